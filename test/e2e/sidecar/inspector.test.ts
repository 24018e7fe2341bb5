/**
 * An independent MCP client — the MCP Inspector's CLI, not the SDK this repository builds on — drives the
 * real `podmcp serve` process, over stdio (the Inspector starts the sidecar) and over Streamable HTTP (the
 * sidecar runs on its own), against the real control plane with the read-only ServiceAccount's token, once
 * per protocol era the Inspector offers (`--protocol-era legacy`, its default for ad-hoc runs, and `auto`,
 * which tries server/discover first), asserting the version each run negotiated.
 * If a protocol detail only our own SDK tolerates crept in, this is where it shows.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { LEGACY_VERSION, MODERN_ERA_ENABLED, MODERN_VERSION, PREFERRED_VERSION } from '../../interop/clients.ts';
import { createWorld, deployApp, type World } from './fixture.ts';
import { PODMCP_BIN as BIN, REPO, startHttpSidecar } from './process-helpers.ts';

const BIN_DIR = join(REPO, 'node_modules', '.bin');
const INSPECTOR = join(BIN_DIR, 'mcp-inspector');

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

interface Inspected {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--format json` answer: `{ result }` on success. */
  readonly json: { result?: Record<string, unknown>; error?: unknown };
}

describe('the MCP Inspector CLI against the podmcp serve process', { skip }, () => {
  let world: World;
  let scratch: string;
  let ownPod: string;
  let sidecarEnv: Record<string, string>;
  /** For the Inspector itself: the repository's Node first on PATH, and a scratch HOME for its files. */
  let inspectorEnv: Record<string, string>;
  const children = new Set<ChildProcess>();

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'insp' });
    const { pods } = await deployApp(world, 'web');
    ownPod = pods[0]?.metadata?.name ?? '';
    scratch = mkdtempSync(join(tmpdir(), 'podmcp-e2e-inspector-'));
    const kubeconfigFile = join(scratch, 'sidecar.kubeconfig');
    writeFileSync(kubeconfigFile, plane.kubeConfigForToken(world.sidecarToken).exportConfig(), { mode: 0o600 });
    sidecarEnv = { KUBECONFIG: kubeconfigFile, PODMCP_POD_NAMESPACE: world.namespace, PODMCP_POD_NAME: ownPod };
    inspectorEnv = {
      PATH: [BIN_DIR, process.env.PATH ?? ''].join(delimiter),
      HOME: scratch,
      MCP_CATALOG_PATH: join(scratch, 'mcp.json'),
    };
  });
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** One Inspector CLI run; it exits when the method has been answered. */
  function inspect(args: readonly string[]): Promise<Inspected> {
    return new Promise((resolve, reject) => {
      const child = spawn(INSPECTOR, ['--cli', '--format', 'json', ...args], {
        cwd: REPO,
        env: inspectorEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once('error', reject);
      child.once('close', (code) => {
        children.delete(child);
        let json: Inspected['json'];
        try {
          json = JSON.parse(stdout) as Inspected['json'];
        } catch {
          reject(new Error(`the Inspector printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
          return;
        }
        resolve({ code, stdout, stderr, json });
      });
    });
  }

  /**
   * Every method the suite asks, and what each answer must hold; run once per transport and era. The target
   * comes last: for stdio it is `-- COMMAND ARGS…`, and everything after `--` belongs to the server. The
   * Inspector's `initialize` method reports what the connection negotiated (also after server/discover).
   */
  async function exercise(era: 'legacy' | 'auto', expectedVersion: string, where: readonly string[]): Promise<void> {
    const target = ['--protocol-era', era, ...where];
    const negotiated = await inspect(['--method', 'initialize', ...target]);
    assert.equal(negotiated.code, 0, `${negotiated.stdout}\n${negotiated.stderr}`);
    assert.equal(negotiated.json.result?.protocolVersion, expectedVersion, `${era}: ${negotiated.stdout}`);
    assert.equal((negotiated.json.result?.serverInfo as { name?: string } | undefined)?.name, 'podmcp');

    const listed = await inspect(['--method', 'tools/list', ...target]);
    assert.equal(listed.code, 0, listed.stderr);
    const tools = listed.json.result?.tools as Array<{ name: string; inputSchema: { type: string } }>;
    assert.ok(
      tools.some((tool) => tool.name === 'list_pods'),
      listed.stdout,
    );
    assert.ok(tools.every((tool) => tool.inputSchema.type === 'object'));

    const called = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'list_pods',
      '--tool-arg',
      'limit=10',
      ...target,
    ]);
    assert.equal(called.code, 0, `${called.stdout}\n${called.stderr}`);
    const result = called.json.result as { isError?: boolean; structuredContent?: Record<string, unknown> };
    assert.notEqual(result.isError, true);
    const structured = result.structuredContent as { namespace: string; pods: Array<{ name: string; status: string }> };
    assert.equal(structured.namespace, world.namespace);
    assert.deepEqual(
      structured.pods.map((pod) => [pod.name, pod.status]),
      [[ownPod, 'Running']],
    );

    const self = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'list_pods',
      '--tool-arg',
      'workload=self',
      ...target,
    ]);
    assert.equal(self.code, 0, `${self.stdout}\n${self.stderr}`);
    const own = (self.json.result?.structuredContent as { pods: Array<{ name: string }> } | undefined)?.pods ?? [];
    assert.deepEqual(
      own.map((pod) => pod.name),
      [ownPod],
      'workload "self" resolves through PODMCP_POD_NAME and the owner chain',
    );

    const resources = await inspect(['--method', 'resources/list', ...target]);
    assert.equal(resources.code, 0, resources.stderr);
    const uris = ((resources.json.result?.resources ?? []) as Array<{ uri: string }>).map((resource) => resource.uri);
    assert.ok(uris.includes('podmcp://self'), resources.stdout);
    const read = await inspect(['--method', 'resources/read', '--uri', 'podmcp://self', ...target]);
    assert.equal(read.code, 0, `${read.stdout}\n${read.stderr}`);
    const contents = read.json.result?.contents as Array<{ text?: string }>;
    assert.match(contents[0]?.text ?? '', new RegExp(`pod ${ownPod} in namespace ${world.namespace}`));
    const podUri = `podmcp://pods/${ownPod}`;
    const pod = await inspect(['--method', 'resources/read', '--uri', podUri, ...target]);
    assert.equal(pod.code, 0, `${pod.stdout}\n${pod.stderr}`);

    const prompts = await inspect(['--method', 'prompts/list', ...target]);
    assert.equal(prompts.code, 0, prompts.stderr);
    const names = ((prompts.json.result?.prompts ?? []) as Array<{ name: string }>).map((prompt) => prompt.name);
    assert.ok(names.includes('diagnose_crash_loop'), prompts.stdout);
    const prompt = await inspect([
      '--method',
      'prompts/get',
      '--prompt-name',
      'diagnose_crash_loop',
      '--prompt-args',
      `pod=${ownPod}`,
      ...target,
    ]);
    assert.equal(prompt.code, 0, `${prompt.stdout}\n${prompt.stderr}`);
    const messages = prompt.json.result?.messages as Array<{ content: { text?: string } }>;
    assert.match(messages[0]?.content.text ?? '', /## Diagnosis/);
  }

  const stdioTarget = () => [
    ...Object.entries(sidecarEnv).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
    '--',
    process.execPath,
    BIN,
    'serve',
    '--transport',
    'stdio',
  ];
  const eras = [
    { era: 'legacy', version: LEGACY_VERSION, note: '' },
    {
      era: 'auto',
      version: PREFERRED_VERSION,
      note: MODERN_ERA_ENABLED ? '' : ' (era switch off: falls back to 2025)',
    },
  ] as const;

  for (const { era, version, note } of eras) {
    test(`over stdio, --protocol-era ${era}${note}: the Inspector starts the sidecar itself, negotiates ${version}`, async () => {
      await exercise(era, version, stdioTarget());
    });

    test(`over Streamable HTTP, --protocol-era ${era}${note}: the Inspector connects to /mcp, negotiates ${version}`, async () => {
      const sidecar = await startHttpSidecar({ PATH: process.env.PATH ?? '', HOME: scratch, ...sidecarEnv });
      children.add(sidecar.child);
      await exercise(era, version, ['--transport', 'http', '--server-url', sidecar.url]);
      sidecar.child.kill('SIGTERM');
      assert.equal(await sidecar.exited, 0);
      // Both tool calls the Inspector made are in the audit trail, with the HTTP caller.
      const audited = sidecar
        .stderr()
        .split('\n')
        .filter((line) => line.includes('"audit":true'))
        .map((line) => JSON.parse(line) as { name: string; caller: string; outcome: string })
        .filter((record) => record.name === 'list_pods');
      assert.deepEqual(
        audited.map((record) => [record.name, record.caller, record.outcome]),
        [
          ['list_pods', 'http:127.0.0.1', 'ok'],
          ['list_pods', 'http:127.0.0.1', 'ok'],
        ],
      );
    });
  }

  test(
    MODERN_ERA_ENABLED
      ? '--protocol-era modern (2026-07-28 pinned, no fallback) over both transports'
      : '--protocol-era modern gets no 2026-07-28 session while the era switch is off',
    async () => {
      const sidecar = await startHttpSidecar({ PATH: process.env.PATH ?? '', HOME: scratch, ...sidecarEnv });
      children.add(sidecar.child);
      for (const where of [stdioTarget(), ['--transport', 'http', '--server-url', sidecar.url]]) {
        const pinned = await inspect(['--method', 'initialize', '--protocol-era', 'modern', ...where]).catch(
          (error: Error) => ({ code: -1, stdout: error.message, stderr: '', json: {} }) as Inspected,
        );
        if (MODERN_ERA_ENABLED) {
          assert.equal(pinned.code, 0, `${pinned.stdout}\n${pinned.stderr}`);
          assert.equal(pinned.json.result?.protocolVersion, MODERN_VERSION, pinned.stdout);
          const listed = await inspect(['--method', 'tools/list', '--protocol-era', 'modern', ...where]);
          assert.equal(listed.code, 0, listed.stderr);
          const tools = (listed.json.result?.tools ?? []) as Array<{ name: string }>;
          assert.ok(
            tools.some((tool) => tool.name === 'list_pods'),
            listed.stdout,
          );
        } else {
          assert.notEqual(pinned.json.result?.protocolVersion, MODERN_VERSION, pinned.stdout);
          assert.notEqual(pinned.code, 0, `a pinned modern session completed: ${pinned.stdout}`);
        }
      }
      sidecar.child.kill('SIGTERM');
      assert.equal(await sidecar.exited, 0);
    },
  );
});
