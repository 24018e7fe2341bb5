/**
 * The sidecar as the process it is in a pod — `podmcp serve` — against the real control plane, with a
 * kubeconfig that carries the shipped read-only ServiceAccount's token and nothing else. Over stdio and over
 * Streamable HTTP with the SDK's own client transports; the health port's /readyz and /metrics; an idle
 * sidecar sends no API requests; SIGTERM ends it with exit 0. RBAC itself (not only podmcp's guard) is shown
 * to refuse namespace B and Secrets for the very token the sidecar runs with.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { callTool, createWorld, deployApp, type World } from './fixture.ts';
import { PODMCP_BIN as BIN, get, REPO, startHttpSidecar } from './process-helpers.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

interface PodList {
  readonly namespace: string;
  readonly pods: Array<{ name: string; status: string }>;
}

describe('podmcp serve as a process, with the shipped read-only ServiceAccount', { skip }, () => {
  let world: World;
  let scratch: string;
  let kubeconfigFile: string;
  let ownPod: string;
  let env: Record<string, string>;
  const children = new Set<ChildProcess>();

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'proc' });
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    await deployApp(world, 'elsewhere', { namespace: world.otherNamespace });
    ownPod = pods[0]?.metadata?.name ?? '';
    scratch = mkdtempSync(join(tmpdir(), 'podmcp-e2e-process-'));
    kubeconfigFile = join(scratch, 'sidecar.kubeconfig');
    writeFileSync(kubeconfigFile, plane.kubeConfigForToken(world.sidecarToken).exportConfig(), { mode: 0o600 });
    // Exactly what the process sees: no admin kubeconfig, no inherited PODMCP_* settings.
    env = {
      PATH: process.env.PATH ?? '',
      HOME: scratch,
      KUBECONFIG: kubeconfigFile,
      PODMCP_POD_NAMESPACE: world.namespace,
      PODMCP_POD_NAME: ownPod,
    };
  });
  afterEach(() => {
    // A failed assertion must not leave a sidecar behind to hold the test file open.
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('stdio: list_pods serves namespace A, "self" is this pod\'s Deployment, and closing stdin ends it', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'serve', '--transport', 'stdio'],
      env,
      cwd: REPO,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'podmcp-e2e-stdio', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { structured, text } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
      assert.deepEqual(structured.pods.map((pod) => pod.status).sort(), ['Running', 'Running']);
      assert.ok(!text.includes('elsewhere'));
      const self = await callTool<PodList>(client, 'list_pods', { workload: 'self' });
      assert.ok(self.structured.pods.some((pod) => pod.name === ownPod));
    } finally {
      await client.close();
    }
    const logs = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const listening = logs.find((log) => log.msg === 'listening');
    assert.equal(listening?.namespace, world.namespace);
    assert.equal(listening?.namespaceSource, 'PODMCP_POD_NAMESPACE');
    assert.ok(logs.some((log) => log.audit === true && log.name === 'list_pods' && log.caller === 'stdio'));
    // It stopped because stdin closed, on its own, not because the client transport fell back to SIGTERM.
    assert.ok(
      logs.some(
        (log) => log.msg === 'stopping: unready, finishing requests in flight' && log.reason === 'stdin closed',
      ),
    );
    assert.equal(logs.at(-1)?.msg, 'stopped');
  });

  test('RBAC itself refuses namespace B and Secrets to the same token, bypassing podmcp', async () => {
    // Objects that exist, so a 403 cannot be mistaken for a 404.
    await world.admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: world.namespace,
      body: { metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } },
    });
    const core = plane?.kubeConfigForToken(world.sidecarToken).makeApiClient(CoreV1Api) as CoreV1Api;
    // The token works: the same client lists pods in its own namespace.
    const own = await core.listNamespacedPod({ namespace: world.namespace });
    assert.equal(own.items.length, 2);
    await assert.rejects(core.listNamespacedPod({ namespace: world.otherNamespace }), isForbidden);
    await assert.rejects(core.listNamespacedSecret({ namespace: world.namespace }), isForbidden);
    await assert.rejects(core.readNamespacedSecret({ namespace: world.namespace, name: 'db-password' }), isForbidden);
    await assert.rejects(core.listSecretForAllNamespaces(), isForbidden);
  });

  test('http: tools over Streamable HTTP, /readyz and /metrics, no API requests while idle, SIGTERM exits 0', async () => {
    const sidecar = await startHttpSidecar(env);
    children.add(sidecar.child);
    const client = new Client({ name: 'podmcp-e2e-http', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecar.port}/mcp`)));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'list_pods'));
      const { structured } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
      assert.equal(structured.pods.length, 2);
    } finally {
      await client.close();
    }

    assert.equal((await get(sidecar.healthPort, '/healthz')).status, 200);
    assert.equal((await get(sidecar.healthPort, '/readyz')).status, 200);
    const metrics = await get(sidecar.healthPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^podmcp_sidecar_tool_calls_total\{tool="list_pods",outcome="ok"\} 1$/m);
    assert.match(metrics.body, /^podmcp_sidecar_tool_duration_seconds_count\{tool="list_pods",outcome="ok"\} 1$/m);
    assert.match(metrics.body, /^podmcp_sidecar_kube_requests_total\{verb="list"\} \d+$/m);
    assert.match(metrics.body, /^podmcp_sidecar_process_resident_memory_bytes \d+/m);

    // Idle: nothing is called, so nothing may be sent — no polling, no watches, no informers.
    const before = kubeRequests(metrics.body);
    assert.ok(before > 0);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(kubeRequests((await get(sidecar.healthPort, '/metrics')).body), before);

    sidecar.child.kill('SIGTERM');
    assert.equal(await sidecar.exited, 0);
    assert.equal(await refusesConnections(sidecar.port), true, 'the MCP port is closed');
    assert.equal(await refusesConnections(sidecar.healthPort), true, 'the health port is closed');
    assert.equal(sidecar.stdout(), '', 'nothing but the stdio protocol ever goes to stdout');
    assert.match(sidecar.stderr(), /"msg":"stopped"/);
  });
});

function isForbidden(error: unknown): boolean {
  assert.equal((error as { code?: unknown }).code, 403, String(error));
  return true;
}

/** The sum of podmcp_sidecar_kube_requests_total over every verb. */
function kubeRequests(metrics: string): number {
  let total = 0;
  for (const match of metrics.matchAll(/^podmcp_sidecar_kube_requests_total\{[^}]*\} (\d+)$/gm)) {
    total += Number(match[1]);
  }
  return total;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
