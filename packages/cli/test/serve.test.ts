/**
 * `podmcp serve` as users and the kubelet meet it: flag and environment errors exit 2 and say what is wrong,
 * stdout carries nothing but the stdio protocol, an unreachable API server neither stops the sidecar nor makes
 * it unready, and SIGTERM ends it with exit 0. Against a real API server: test/e2e/sidecar/process.test.ts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { planSidecar } from '@podmcp/sidecar';
import { BIN, REPO, runCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'podmcp-cli-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Nothing listens on port 1: every API request fails at once with "connection refused". */
const UNREACHABLE = join(dir, 'unreachable.kubeconfig');
writeFileSync(
  UNREACHABLE,
  `apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: someone
  user: {token: not-a-real-token}
contexts:
- name: nowhere
  context: {cluster: nowhere, user: someone, namespace: shop}
- name: elsewhere
  context: {cluster: nowhere, user: someone, namespace: other}
current-context: nowhere
`,
);

/** The bin with exactly this environment (plus PATH and a scratch HOME): no inherited KUBECONFIG or PODMCP_*. */
function serveSync(args: readonly string[], env: Record<string, string> = {}, input = '') {
  const result = spawnSync(process.execPath, [BIN, 'serve', ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('podmcp serve: usage', () => {
  test('--help describes the transports, the flags and the environment', async () => {
    const run = await runCli(['serve', '--help']);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^Usage:\n {2}podmcp serve \[flags\]/);
    for (const flag of [
      '--transport stdio|http',
      '--namespace NS',
      '--kubeconfig FILE',
      '--context NAME',
      '--pod NAME',
      '--workload KIND/NAME',
      '--host ADDRESS',
      '--port PORT',
      '--health-port PORT',
      '--allowed-host NAME',
    ]) {
      assert.ok(run.stdout.includes(flag), flag);
    }
    assert.match(run.stdout, /PODMCP_EXPOSE/);
    assert.match(run.stdout, /\/readyz/);
  });

  test('podmcp --help lists serve', async () => {
    const run = await runCli(['--help']);
    assert.match(run.stdout, / {2}serve +Run the MCP sidecar/);
  });

  const usageErrors: Array<[string[], RegExp]> = [
    [['--transport', 'tcp'], /--transport must be one of stdio, http, got "tcp"/],
    [['--port', '70000'], /--port must be a port number between 0 and 65535, got "70000"/],
    [['--health-port', 'nine'], /--health-port must be a port number between 0 and 65535, got "nine"/],
    [['--port', ''], /--port must be a port number/],
    [['--workload', 'pod/web'], /--workload: unknown workload kind "pod"/],
    [['--workload', 'self'], /--workload must name a workload as KIND\/NAME/],
    [['--workload', 'deploy/Web_1'], /--workload: "Web_1" is not a valid object name/],
    [['--namespace', ' '], /--namespace must not be empty/],
    [['--transport', 'stdio', '--port', '9000'], /--host, --port and --allowed-host apply to --transport http only/],
    [['--verbose'], /Unknown option '--verbose'/],
    [['stray'], /Unexpected argument 'stray'/],
  ];
  for (const [argv, message] of usageErrors) {
    test(`${argv.join(' ') || '(empty)'} is a usage error`, async () => {
      const run = await runCli(['serve', ...argv]);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Run 'podmcp serve --help' for usage\.\n$/);
    });
  }
});

describe('podmcp serve: invalid settings exit 2 and name the variable or flag', () => {
  const envErrors: Array<[Record<string, string>, RegExp]> = [
    [{ PODMCP_MODE: 'rw' }, /PODMCP_MODE: "rw" is not valid; allowed: read-only, read-write/],
    [{ PODMCP_PORT: 'http' }, /PODMCP_PORT: "http" is not valid; allowed: /],
    [{ PODMCP_EXPOSE: 'maybe' }, /PODMCP_EXPOSE: "maybe" is not valid; allowed: /],
    [{ PODMCP_LOG_LEVEL: 'loud' }, /PODMCP_LOG_LEVEL: "loud" is not valid; allowed: .*debug/],
    [{ PODMCP_TOOLS: 'list_pods,restart_deployment' }, /restart_deployment is an action tool.*read-write/],
  ];
  for (const [env, message] of envErrors) {
    test(
      Object.entries(env)
        .map(([key, value]) => `${key}=${value}`)
        .join(' '),
      () => {
        const run = serveSync(['--kubeconfig', UNREACHABLE], env);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, message);
      },
    );
  }

  test('two invalid variables are both reported', () => {
    const run = serveSync([], { PODMCP_MODE: 'rw', PODMCP_RATE_LIMIT: '-3' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /PODMCP_MODE/);
    assert.match(run.stderr, /PODMCP_RATE_LIMIT/);
  });

  test('--port equal to the health port is refused, naming both', () => {
    const run = serveSync(['--transport', 'http', '--port', '9811', '--kubeconfig', UNREACHABLE]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--port\/PODMCP_PORT, --health-port\/PODMCP_HEALTH_PORT/);
  });

  test('a missing --kubeconfig file and an unknown --context are usage errors', () => {
    const missing = serveSync(['--kubeconfig', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--kubeconfig .*nope\.yaml does not exist/);
    const context = serveSync(['--kubeconfig', UNREACHABLE, '--context', 'prod']);
    assert.equal(context.code, 2);
    assert.match(context.stderr, /--context "prod" is not in the kubeconfig; its contexts: nowhere, elsewhere/);
    const noConfig = serveSync(['--context', 'prod']);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /--context needs a kubeconfig/);
  });

  test('a port already in use is a failure (exit 1) that says so', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as { port: number };
      const run = serveSync(['--transport', 'http', '--port', String(port), '--kubeconfig', UNREACHABLE]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /podmcp serve: cannot listen: .*EADDRINUSE.*the port is in use/);
    } finally {
      taken.close();
    }
  });
});

describe('podmcp serve: what runs where (planSidecar)', () => {
  test('outside a pod: stdio, no health server unless asked, loopback everywhere', () => {
    const plan = planSidecar({ env: {} });
    assert.equal(plan.transport, 'stdio');
    assert.equal(plan.health, undefined);
    assert.equal(plan.host, '127.0.0.1');
    assert.equal(planSidecar({ env: {}, healthPort: 0 }).health?.host, '127.0.0.1');
  });

  test('injected: http on 127.0.0.1 (agents arrive by port-forward), probes on every interface', () => {
    const plan = planSidecar({ env: { PODMCP_POD_NAME: 'web-1', PODMCP_POD_IP: '10.244.0.7' } });
    assert.equal(plan.transport, 'http');
    assert.equal(plan.host, '127.0.0.1');
    assert.deepEqual(plan.allowedHosts, []);
    assert.deepEqual(plan.health, { host: '0.0.0.0', port: 9811 });
    assert.equal(plan.podName, 'web-1');
    assert.equal(plan.settings.port, 9810);
  });

  test('PODMCP_EXPOSE=true binds the pod IP and accepts it as a Host; --host and flags still win', () => {
    const env = { PODMCP_POD_NAME: 'web-1', PODMCP_POD_IP: '10.244.0.7', PODMCP_EXPOSE: 'true' };
    const exposed = planSidecar({ env });
    assert.equal(exposed.host, '10.244.0.7');
    assert.deepEqual(exposed.allowedHosts, ['10.244.0.7']);
    assert.equal(planSidecar({ env: { ...env, PODMCP_POD_IP: '' } }).host, '0.0.0.0');
    const flagged = planSidecar({
      env: { ...env, PODMCP_PORT: '7000' },
      host: '0.0.0.0',
      port: 7100,
      transport: 'stdio',
      podName: 'other',
      allowedHosts: ['web.shop.svc'],
    });
    assert.equal(flagged.host, '0.0.0.0');
    assert.equal(flagged.settings.port, 7100);
    assert.equal(flagged.transport, 'stdio');
    assert.equal(flagged.podName, 'other');
    assert.deepEqual(flagged.allowedHosts, ['web.shop.svc', '10.244.0.7']);
    // --host beyond loopback exposes the port as PODMCP_EXPOSE does, so the pod IP is a valid Host too.
    const byFlag = planSidecar({ env: { PODMCP_POD_NAME: 'web-1', PODMCP_POD_IP: '10.244.0.7' }, host: '0.0.0.0' });
    assert.deepEqual(byFlag.allowedHosts, ['10.244.0.7']);
    assert.deepEqual(planSidecar({ env: { PODMCP_POD_IP: '10.244.0.7' }, host: '::1' }).allowedHosts, []);
  });
});

describe('podmcp serve: the process', () => {
  const running = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  });

  test('stdio: stdout carries only JSON-RPC, logs go to stderr, and stdin closing ends it with exit 0', () => {
    const messages = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cli-test', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_pods', arguments: {} } },
    ];
    // stdin closes right after the call: the call is still answered before the process exits.
    const run = serveSync(
      ['--kubeconfig', UNREACHABLE],
      {},
      `${messages.map((message) => JSON.stringify(message)).join('\n')}\n`,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    const written = lines.map(
      (line) => JSON.parse(line) as { jsonrpc: string; id?: number; method?: string; result?: unknown },
    );
    // Besides the answers, only MCP log notes (the failed call's one) may travel on stdout.
    const notes = written.filter((message) => message.id === undefined);
    assert.deepEqual(
      notes.map((note) => note.method),
      ['notifications/message'],
    );
    const answers = written.filter((message) => message.id !== undefined);
    assert.deepEqual(
      answers.map((answer) => [answer.jsonrpc, answer.id]),
      [
        ['2.0', 1],
        ['2.0', 2],
      ],
    );
    const call = answers[1]?.result as { isError: boolean; content: Array<{ text: string }> };
    assert.equal(call.isError, true);
    assert.match(call.content[0]?.text ?? '', /unreachable/);
    const logs = run.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; namespace?: string });
    assert.equal(logs.find((log) => log.msg === 'listening')?.namespace, 'shop');
    assert.ok(logs.some((log) => /not usable at start-up; serving anyway/.test(log.msg)));
    assert.ok(logs.some((log) => log.msg === 'stopped'));
  });

  test('http: ready while the API server is unreachable, unready never; SIGTERM exits 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--transport', 'http', '--port', '0', '--health-port', '0', '--kubeconfig', UNREACHABLE],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = await new Promise<{ port: number; healthPort: number }>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const line = stderr.split('\n').find((text) => text.includes('"msg":"listening"'));
        if (line) resolve(JSON.parse(line));
      });
      exited.then((code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    assert.ok(listening.port > 0 && listening.healthPort > 0);
    assert.equal(await status(listening.healthPort, '/healthz'), 200);
    assert.equal(await status(listening.healthPort, '/readyz'), 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(stdout, '', 'nothing but the protocol ever goes to stdout');
    assert.match(stderr, /"reason":"SIGTERM"/);
  });
});

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}
