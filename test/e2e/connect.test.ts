/**
 * `podmcp connect` against the real control plane. The Deployment's pod template is the one `podmcp inject`
 * produces (the injector's own injectManifests, classic sidecar container), so its pods carry the
 * podmcp.dev/status and podmcp.dev/endpoint annotations and the `podmcp` container exactly as the webhook
 * would write them. kwok runs the pods without a container runtime; its ClusterPortForward sends every
 * pod's port 9810 to a real `podmcp serve --transport http` process on loopback, which runs with the
 * workload's ServiceAccount token. The port-forward itself is the real one: the user's kubeconfig, the API
 * server's pods/portforward subresource, RBAC, and kwok's kubelet streaming endpoint.
 *
 * Proves: an SDK Client over stdio (initialize, tools/list, tools/call list_pods) through the process; a pod
 * that goes away is replaced by another ready pod on the next request; an action asks the agent's user through
 * connect (the sidecar's MCP session), also when connect moves to another pod; a client of the 2026-07-28 era
 * (server/discover, no session) lists and acts through connect, the approval as a multi-round-trip call, once the
 * sidecar's era switch is on, and while it is off gets no 2026-07-28 session (pinned) or falls back to 2025 (auto);
 * --listen serves Streamable HTTP; the example SDK client script runs; and the error paths exit 1 with what to do
 * (no sidecar injected, unknown workload listing what exists, no pods/portforward permission).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { Client, type ElicitResult, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { defaultInjectorConfig, injectManifests } from '@podmcp/injector';
import { parse, stringify } from 'yaml';
import { MODERN_ERA_ENABLED } from '../../packages/sidecar/src/mcp/wire/era.ts';
import { eventually, serviceAccountToken } from '../control-plane/kube.ts';
import { freePorts } from '../control-plane/ports.ts';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { callTool, callToolError, createWorld, SERVICE_ACCOUNT, type World } from './sidecar/fixture.ts';
import { PODMCP_BIN as BIN, connectThroughCli, REPO, startHttpSidecar } from './sidecar/process-helpers.ts';

const MCP_PORT = 9810;
const MODERN_VERSION = '2026-07-28';

// The local sidecar's port is chosen before kwok starts, because kwok reads its forwarding rules at start-up.
const [sidecarPort] = (await freePorts(1)) as [number];
const { plane, skip } = await controlPlaneForSuite({
  nodes: true,
  kwokConfigurations: [
    stringify({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterPortForward',
      metadata: { name: 'podmcp-sidecar' },
      spec: { forwards: [{ ports: [MCP_PORT], target: { address: '127.0.0.1', port: sidecarPort } }] },
    }),
  ],
});

interface PodList {
  readonly namespace: string;
  readonly pods: Array<{ name: string; status: string }>;
}

/** A Deployment as `podmcp inject` renders it (or, with inject false, as written). */
function deployment(name: string, replicas: number, inject: boolean): V1Deployment {
  // Separate objects: one shared object would be written as a YAML anchor and aliases.
  const labels = () => ({ app: name });
  const manifest: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: labels() },
    spec: {
      replicas,
      selector: { matchLabels: labels() },
      template: {
        metadata: { labels: labels(), annotations: inject ? { 'podmcp.dev/inject': 'true' } : {} },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT,
          containers: [{ name: 'app', image: 'registry.example/app:1.0' }],
        },
      },
    },
  };
  if (!inject) return manifest;
  const result = injectManifests(stringify(manifest), defaultInjectorConfig(), { nativeSidecars: false });
  assert.equal(result.reports[0]?.action, 'inject', JSON.stringify(result.reports));
  return parse(result.output) as V1Deployment;
}

async function deploy(world: World, name: string, replicas: number, inject: boolean) {
  const apps = world.admin.makeApiClient(AppsV1Api);
  const core = world.admin.makeApiClient(CoreV1Api);
  await apps.createNamespacedDeployment({ namespace: world.namespace, body: deployment(name, replicas, inject) });
  return eventually(
    `${replicas} running pod(s) of ${name}`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: world.namespace, labelSelector: `app=${name}` })).items;
      const running = pods.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
      return running.length === replicas ? running : undefined;
    },
    90_000,
  );
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('podmcp connect, port-forwarding to an injected sidecar', { skip }, () => {
  let world: World;
  let scratch: string;
  /** The user's kubeconfig: the cluster admin, as a developer's own context would be. */
  let userKubeconfig: string;
  let sidecar: ChildProcess;
  const children = new Set<ChildProcess>();

  before(async () => {
    if (!plane) return;
    // Read-write, so an action can be approved through connect; every other test only reads.
    world = await createWorld(plane, { prefix: 'conn', access: 'read-write' });
    scratch = mkdtempSync(join(tmpdir(), 'podmcp-e2e-connect-'));
    userKubeconfig = plane.kubeconfigFile;
    const pods = await deploy(world, 'checkout', 2, true);
    await deploy(world, 'plain', 1, false);
    // The sidecar, as it runs in the pod: the workload's ServiceAccount token, its namespace and pod name.
    const sidecarKubeconfig = join(scratch, 'sidecar.kubeconfig');
    writeFileSync(sidecarKubeconfig, plane.kubeConfigForToken(world.sidecarToken).exportConfig(), { mode: 0o600 });
    const sidecarEnv = {
      PATH: process.env.PATH ?? '',
      HOME: scratch,
      KUBECONFIG: sidecarKubeconfig,
      PODMCP_POD_NAMESPACE: world.namespace,
      PODMCP_POD_NAME: pods[0]?.metadata?.name ?? '',
      PODMCP_MODE: 'read-write',
      PODMCP_ACTION_COOLDOWN: '0',
    };
    const started = await startHttpSidecar(sidecarEnv, { port: sidecarPort });
    sidecar = started.child;
  });
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });
  after(() => {
    sidecar?.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  function env(kubeconfig = userKubeconfig): Record<string, string> {
    return { PATH: process.env.PATH ?? '', HOME: scratch, KUBECONFIG: kubeconfig };
  }

  /** Runs `podmcp connect …` with stdin closed at once, for the paths that must fail before any MCP. */
  function connectFails(args: readonly string[], kubeconfig?: string): Promise<Finished> {
    const child = spawn(process.execPath, [BIN, 'connect', ...args], { cwd: REPO, env: env(kubeconfig) });
    children.add(child);
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  test('stdio: initialize, tools/list and list_pods through the port-forward; a pod that goes away is replaced', async () => {
    const { client, stderr: stderrOf } = await connectThroughCli({
      args: ['-n', world.namespace, 'deploy/checkout'],
      env: env(),
      name: 'podmcp-e2e-connect',
    });
    try {
      assert.equal(client.getServerVersion()?.name, 'podmcp');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'list_pods'));
      const { structured } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
      assert.equal(structured.pods.filter((pod) => pod.name.startsWith('checkout-')).length, 2);

      const first = /forwarding to pod (\S+),/.exec(stderrOf())?.[1];
      assert.ok(first, stderrOf());
      await world.admin
        .makeApiClient(CoreV1Api)
        .deleteNamespacedPod({ namespace: world.namespace, name: first, gracePeriodSeconds: 0 });
      await eventually(`pod ${first} gone`, async () => {
        try {
          await world.admin.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: world.namespace, name: first });
          return false;
        } catch {
          return true;
        }
      });
      const again = await callTool<PodList>(client, 'list_pods');
      assert.equal(again.structured.namespace, world.namespace);
      assert.match(stderrOf(), new RegExp(`pod ${first} is gone; the next request connects to another ready pod`));
      const second = [...stderrOf().matchAll(/forwarding to pod (\S+),/g)].map((match) => match[1]);
      assert.equal(second.length, 2, stderrOf());
      assert.notEqual(second[1], first);
    } finally {
      await client.close();
    }
  });

  test('no ready pod mid-session: that request gets a JSON-RPC error saying why, and the next one connects again', async () => {
    const apps = world.admin.makeApiClient(AppsV1Api);
    const core = world.admin.makeApiClient(CoreV1Api);
    const namespace = world.namespace;
    await deploy(world, 'cart', 1, true);
    const { client, stderr: stderrOf } = await connectThroughCli({
      args: ['-n', namespace, 'deploy/cart'],
      env: env(),
      name: 'podmcp-e2e-connect-scale',
    });
    const scale = (replicas: number) =>
      apps.patchNamespacedDeploymentScale(
        { namespace, name: 'cart', body: [{ op: 'replace', path: '/spec/replicas', value: replicas }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    const running = async () =>
      (await core.listNamespacedPod({ namespace, labelSelector: 'app=cart' })).items.filter(
        (pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp,
      );
    try {
      await callTool<PodList>(client, 'list_pods');
      await scale(0);
      await eventually('cart scaled to zero', async () => (await running()).length === 0, 60_000);
      await assert.rejects(
        client.listTools(),
        /podmcp connect: .*deploy\/cart .*(has no pods|no pod whose podmcp sidecar is ready)/,
      );
      await scale(1);
      await eventually('cart back to one running pod', async () => (await running()).length === 1, 90_000);
      const { structured } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, namespace);
      assert.equal([...stderrOf().matchAll(/deploy\/cart: forwarding to pod/g)].length, 2, stderrOf());
    } finally {
      await client.close();
    }
  });

  test("an action asks the agent's user through connect: no changes nothing, yes acts, also in the session connect opens with another pod", async () => {
    const namespace = world.namespace;
    const apps = world.admin.makeApiClient(AppsV1Api);
    await deploy(world, 'orders', 1, true);
    const replicas = async () => (await apps.readNamespacedDeployment({ namespace, name: 'orders' })).spec?.replicas;
    const asked: string[] = [];
    const answers: ElicitResult[] = [];
    const { client, stderr: stderrOf } = await connectThroughCli({
      args: ['-n', namespace, 'deploy/orders'],
      env: env(),
      name: 'podmcp-e2e-connect-approve',
      elicit: (request) => {
        asked.push(request.params.message);
        const answer = answers.shift();
        assert.ok(answer, `an unexpected question: ${request.params.message}`);
        return answer;
      },
    });
    const scale = (to: number) => ({
      workload: 'deploy/orders',
      replicas: to,
      reason: 'e2e: approval through connect',
    });
    try {
      answers.push({ action: 'decline' });
      assert.match(await callToolError(client, 'scale_workload', scale(2)), /Nothing was changed: the user declined/);
      assert.equal(await replicas(), 1);

      answers.push({ action: 'accept', content: { approve: true } });
      assert.equal((await callTool<{ applied: boolean }>(client, 'scale_workload', scale(2))).structured.applied, true);
      assert.equal(await replicas(), 2);
      assert.equal(asked.length, 2);
      assert.match(asked[1] ?? '', /dry run says/);

      // The pod goes away: connect opens a session with another pod's sidecar, replaying the agent's handshake
      // (without it that session could not ask, and the action would be refused).
      const first = /forwarding to pod (\S+),/.exec(stderrOf())?.[1];
      assert.ok(first, stderrOf());
      const core = world.admin.makeApiClient(CoreV1Api);
      await core.deleteNamespacedPod({ namespace, name: first, gracePeriodSeconds: 0 });
      await eventually(`pod ${first} gone`, async () => {
        try {
          await core.readNamespacedPod({ namespace, name: first });
          return false;
        } catch {
          return true;
        }
      });
      answers.push({ action: 'accept', content: { approve: true } });
      assert.equal((await callTool<{ applied: boolean }>(client, 'scale_workload', scale(1))).structured.applied, true);
      assert.equal(await replicas(), 1);
      assert.equal(asked.length, 3, 'the user was asked again, in the new session');
      assert.equal([...stderrOf().matchAll(/forwarding to pod/g)].length, 2, stderrOf());
    } finally {
      await client.close();
    }
  });

  /** An SDK client over stdio to a `podmcp connect` child, negotiating its era as `mode` says. */
  async function connectWithEra(
    args: readonly string[],
    mode: 'auto' | { pin: string },
    elicit?: (message: string) => ElicitResult,
  ): Promise<{ client: Client; stderr: () => string }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'connect', ...args],
      env: env(),
      cwd: REPO,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client(
      { name: 'podmcp-e2e-connect-modern', version: '1.0.0' },
      { versionNegotiation: { mode }, ...(elicit ? { capabilities: { elicitation: { form: {} } } } : {}) },
    );
    if (elicit) client.setRequestHandler('elicitation/create', async (request) => elicit(request.params.message));
    try {
      await client.connect(transport);
    } catch (error) {
      await transport.close().catch(() => {});
      throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
    }
    return { client, stderr: () => stderr };
  }

  if (MODERN_ERA_ENABLED) {
    test('2026-07-28: a pinned client discovers, lists and calls through connect, and an action is approved in two rounds', async () => {
      const namespace = world.namespace;
      const { client, stderr } = await connectWithEra(['-n', namespace, 'deploy/checkout'], { pin: MODERN_VERSION });
      try {
        assert.equal(client.getProtocolEra(), 'modern', stderr());
        assert.equal(client.getNegotiatedProtocolVersion(), MODERN_VERSION);
        assert.equal(client.getServerVersion()?.name, 'podmcp');
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'list_pods'));
        const { structured } = await callTool<PodList>(client, 'list_pods');
        assert.equal(structured.namespace, namespace);
        assert.equal(structured.pods.filter((pod) => pod.name.startsWith('checkout-')).length, 2);
      } finally {
        await client.close();
      }

      await deploy(world, 'basket', 1, true);
      const apps = world.admin.makeApiClient(AppsV1Api);
      const asked: string[] = [];
      const approving = await connectWithEra(['-n', namespace, 'deploy/basket'], { pin: MODERN_VERSION }, (message) => {
        asked.push(message);
        return { action: 'accept', content: { approve: true } };
      });
      try {
        const scaled = await callTool<{ applied: boolean }>(approving.client, 'scale_workload', {
          workload: 'deploy/basket',
          replicas: 2,
          reason: 'e2e: a 2026-07-28 approval through connect',
        });
        assert.equal(scaled.structured.applied, true);
        assert.equal(asked.length, 1, 'the user was asked once');
        assert.match(asked[0] ?? '', /dry run says/);
        assert.equal((await apps.readNamespacedDeployment({ namespace, name: 'basket' })).spec?.replicas, 2);
      } finally {
        await approving.client.close();
      }
    });
  } else {
    test('2026-07-28 while the sidecar serves 2025 only: a pinned client gets no session through connect, auto falls back to 2025', async () => {
      const args = ['-n', world.namespace, 'deploy/checkout'];
      await assert.rejects(
        connectWithEra(args, { pin: MODERN_VERSION }),
        /did not offer pinned protocol version 2026-07-28/,
      );
      const { client } = await connectWithEra(args, 'auto');
      try {
        assert.equal(client.getProtocolEra(), 'legacy');
        assert.notEqual(client.getNegotiatedProtocolVersion(), MODERN_VERSION);
        const { structured } = await callTool<PodList>(client, 'list_pods');
        assert.equal(structured.namespace, world.namespace);
      } finally {
        await client.close();
      }
    });
  }

  test('stdout carries only JSON-RPC, and closing stdin ends the process with exit 0 after the answer', async () => {
    const child = spawn(process.execPath, [BIN, 'connect', '-n', world.namespace, 'checkout'], {
      cwd: REPO,
      env: env(),
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
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    child.stdin.end(`${JSON.stringify(initialize)}\n`);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, stdout);
    const answer = JSON.parse(lines[0] ?? '') as { id: number; result?: { serverInfo?: { name?: string } } };
    assert.equal(answer.id, 1);
    assert.equal(answer.result?.serverInfo?.name, 'podmcp');
    // The bare name was found as the Deployment.
    assert.match(stderr, /deploy\/checkout: forwarding to pod checkout-/);
  });

  test('--listen: a local Streamable HTTP endpoint forwarded to the sidecar', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'connect', '--listen', '127.0.0.1:0', '-n', world.namespace, 'deploy/checkout'],
      { cwd: REPO, env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`podmcp connect exited with ${code}:\n${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const client = new Client({ name: 'podmcp-e2e-listen', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const { structured } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
    } finally {
      await client.close();
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(stdout, '');
  });

  test('the example SDK client script (examples/agents/sdk-client.ts) lists the pods through podmcp connect', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO, 'examples', 'agents', 'sdk-client.ts'), '-n', world.namespace, 'deploy/checkout'],
      {
        cwd: REPO,
        env: { ...env(), PODMCP_COMMAND: `${process.execPath} ${BIN}` },
      },
    );
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^tools: .*list_pods/m);
    assert.match(stdout, /checkout-/);
  });

  test('a workload without the sidecar: exit 1, and the message names podmcp.dev/inject', async () => {
    const result = await connectFails(['-n', world.namespace, 'deploy/plain']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /no podmcp sidecar injected/);
    assert.match(result.stderr, /podmcp\.dev\/inject: "true"/);
    assert.equal(result.stdout, '');
  });

  test('a workload with no pods: exit 1, and the message says so', async () => {
    await deploy(world, 'idle', 0, true);
    const result = await connectFails(['-n', world.namespace, 'deploy/idle']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /deploy\/idle in namespace \S+ has no pods/);
  });

  test('an unknown workload: exit 1, and the message lists the workloads that exist', async () => {
    const result = await connectFails(['-n', world.namespace, 'deploy/nope']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /deploy\/nope not found in namespace/);
    assert.match(result.stderr, /deploy\/checkout/);
    assert.match(result.stderr, /deploy\/plain/);
    const bare = await connectFails(['-n', world.namespace, 'nothing-here']);
    assert.equal(bare.code, 1, bare.stderr);
    assert.match(bare.stderr, /nothing-here not found/);
  });

  test('a user who may read the workload but not create pods/portforward: exit 1, and the message says so', async () => {
    const rbac = world.admin.makeApiClient(RbacAuthorizationV1Api);
    const core = world.admin.makeApiClient(CoreV1Api);
    const namespace = world.namespace;
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'viewer' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'viewer' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
          { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'list'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'viewer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
        subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace }],
      },
    });
    const token = await serviceAccountToken(world.admin, namespace, 'viewer');
    const file = join(scratch, 'viewer.kubeconfig');
    writeFileSync(file, plane?.kubeConfigForToken(token).exportConfig() ?? '', { mode: 0o600 });
    const result = await connectFails(['-n', namespace, 'deploy/checkout'], file);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /forbidden to port-forward to pod checkout-/);
    assert.match(result.stderr, /create pods\/portforward/);
  });
});
