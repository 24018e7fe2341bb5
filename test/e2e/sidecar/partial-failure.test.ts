/**
 * A diagnosis survives a failing part: against the real control plane, two Node objects no kwok manages point
 * the API server at kubelets on loopback — one port where nothing listens (the node refuses), one listener
 * that accepts and never answers (the node hangs). A Deployment pinned to each node (spec.nodeName) has a
 * crash-looping pod whose previous log diagnose asks for. The answer must come back with the rollout, pod
 * and event findings, plus a finding that names the node's kubelet — not the API server — as what failed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import {
  type ConnectedSidecar,
  callTool,
  connectSidecar,
  createWorld,
  SERVICE_ACCOUNT,
  type World,
} from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

interface Finding {
  severity: string;
  code: string;
  text: string;
}

interface Diagnosis {
  target: string;
  healthy: boolean;
  findings: Finding[];
  next_steps: string[];
  rollout?: { workload: string; summary: string };
  pods: Array<{ name: string; node?: string; logs: Array<{ container: string; lines: string[]; note?: string }> }>;
  events: Array<{ reason: string; object: string; message: string }>;
}

/** A loopback port nothing listens on: bound by the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A kubelet that hangs: accepts every connection and never sends a byte. */
async function silentListener(): Promise<{
  server: Server;
  port: number;
  sockets: Set<Socket>;
  accepted: () => number;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets, accepted: () => accepted };
}

describe('a diagnosis whose node cannot serve the log, against the real API server', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let core: CoreV1Api;
  let hang: Awaited<ReturnType<typeof silentListener>>;
  const nodes: string[] = [];

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'pf' });
    core = world.admin.makeApiClient(CoreV1Api);
    hang = await silentListener();
    await createNode(core, `refuses-${world.namespace}`, await closedPort());
    await createNode(core, `hangs-${world.namespace}`, hang.port);
    nodes.push(`refuses-${world.namespace}`, `hangs-${world.namespace}`);
    await crashLoopingOn(world, 'refused', `refuses-${world.namespace}`);
    await crashLoopingOn(world, 'hung', `hangs-${world.namespace}`);
    sidecar = await connectSidecar(world, { env: { PODMCP_RATE_LIMIT: '6000' } });
  });

  after(async () => {
    await sidecar?.close();
    for (const node of nodes) await core.deleteNode({ name: node }).catch(() => {});
    for (const socket of hang?.sockets ?? []) socket.destroy();
    hang?.server.close();
  });

  /** The findings every answer keeps whatever happened to the log: the rollout's, the pod's and the events'. */
  function assertTheRestStands(structured: Diagnosis, name: string): void {
    const codes = structured.findings.map((finding) => finding.code);
    assert.ok(codes.includes('crash-loop'), JSON.stringify(structured.findings));
    assert.ok(codes.includes('replicas-unavailable'), JSON.stringify(structured.findings));
    assert.equal(structured.rollout?.workload, `Deployment/${name}`);
    assert.ok(
      structured.events.some((row) => row.reason === 'BackOff' && row.object.startsWith(`Pod/${name}-`)),
      JSON.stringify(structured.events),
    );
    assert.ok(!codes.includes('api-server-unreachable'), 'the API server answered; it is not to blame');
    assert.ok(
      structured.next_steps.some((step) => step.startsWith('The node’s kubelet, not the API server, failed')),
      structured.next_steps.join('\n'),
    );
  }

  test('a node that refuses: the kubelet is named with the API server’s own words, the rest is answered', async () => {
    const node = `refuses-${world.namespace}`;
    const { structured, text } = await callTool<Diagnosis>(sidecar.client, 'diagnose', { workload: 'deploy/refused' });
    assertTheRestStands(structured, 'refused');
    const kubelet = structured.findings.find((finding) => finding.code === 'kubelet-unreachable');
    assert.equal(kubelet?.severity, 'warning');
    assert.match(
      kubelet?.text ?? '',
      new RegExp(
        `^log of refused-[a-z0-9-]+/app not read: the API server could not reach the kubelet on node ${node} \\(.*connection refused.*\\) — the rest of this diagnosis stands$`,
      ),
    );
    const logs = structured.pods.flatMap((pod) => pod.logs);
    assert.match(
      logs[0]?.note ?? '',
      new RegExp(`^no log: the API server could not reach the kubelet on node ${node} `),
    );
    assert.match(text, /problem\(s\) found/);
    assert.ok(text.includes(kubelet?.text ?? '?'), 'the finding is in the text answer too');
  });

  test('a node that hangs: the log read’s own deadline ends the wait, the kubelet is named, the rest is answered', async () => {
    const node = `hangs-${world.namespace}`;
    const { structured } = await callTool<Diagnosis>(sidecar.client, 'diagnose', { workload: 'deploy/hung' });
    assertTheRestStands(structured, 'hung');
    const kubelet = structured.findings.find((finding) => finding.code === 'kubelet-unreachable');
    // The part's deadline (3 s), not the API server's own dial timeout nor the call's, is what answered.
    assert.match(
      kubelet?.text ?? '',
      new RegExp(
        `^log of hung-[a-z0-9-]+/app not read: the kubelet on node ${node} did not answer within 3 s \\(the API server answered the other reads\\) — the rest of this diagnosis stands$`,
      ),
    );
    assert.ok(hang.accepted() > 0, 'the API server dialled the hanging kubelet');
  });

  test('the crash-loop prompt gathers its parts at once: the diagnosis names the kubelet, the log part says it waited', async () => {
    const pod = await podOf(core, world.namespace, 'hung');
    const result = await sidecar.client.getPrompt({ name: 'diagnose_crash_loop', arguments: { pod } });
    const text = result.messages.map((message) => (message.content as { text?: string }).text ?? '').join('\n');
    assert.match(text, /log of hung-[a-z0-9-]+\/app not read: the kubelet on node hangs-\S+ did not answer within 3 s/);
    assert.match(
      text,
      /\(get_pod_logs did not answer within 3 s: the pod's node \(its kubelet\) or the API server is slow or down; the other sections stand\)/,
    );
  });
});

/** A Node object no kwok manages whose kubelet endpoint is `port` on loopback; unschedulable, so nothing else lands on it. */
async function createNode(core: CoreV1Api, name: string, port: number): Promise<void> {
  await core.createNode({
    body: {
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      spec: { unschedulable: true },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    },
  });
  // Node status is a subresource: written again through it, in case create dropped it.
  await eventually(`the kubelet endpoint of ${name}`, async () => {
    const node = await core.readNode({ name });
    if (node.status?.daemonEndpoints?.kubeletEndpoint?.Port === port) return true;
    await core.replaceNodeStatus({
      name,
      body: {
        ...node,
        status: {
          ...node.status,
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
        },
      },
    });
    return undefined;
  });
}

/**
 * A one-replica Deployment pinned to `node`, its pod written crash-looping (the previous instance exited 1,
 * so diagnose reads its previous log) and a BackOff Warning event about it.
 */
async function crashLoopingOn(world: World, name: string, node: string): Promise<void> {
  const apps = world.admin.makeApiClient(AppsV1Api);
  const core = world.admin.makeApiClient(CoreV1Api);
  const labels = { app: name };
  await apps.createNamespacedDeployment({
    namespace: world.namespace,
    body: {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            nodeName: node,
            serviceAccountName: SERVICE_ACCOUNT,
            containers: [{ name: 'app', image: 'registry.example/app:1.0' }],
          },
        },
      },
    },
  });
  const pod = await podOf(core, world.namespace, name);
  const now = new Date();
  await eventually(`status of ${pod} written`, async () => {
    const current = await core.readNamespacedPod({ name: pod, namespace: world.namespace });
    await core.replaceNamespacedPodStatus({
      name: pod,
      namespace: world.namespace,
      body: { ...current, status: crashLoopStatus(now) },
    });
    return true;
  });
  await core.createNamespacedEvent({
    namespace: world.namespace,
    body: {
      metadata: { generateName: `${pod}.` },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod,
        namespace: world.namespace,
        fieldPath: 'spec.containers{app}',
      },
      source: { component: 'kubelet', host: node },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container app in pod',
      count: 4,
      firstTimestamp: new Date(now.getTime() - 120_000),
      lastTimestamp: now,
    },
  });
}

function crashLoopStatus(now: Date): V1Pod['status'] {
  const notReady = { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' };
  return {
    phase: 'Running',
    startTime: new Date(now.getTime() - 600_000),
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', ...notReady, lastTransitionTime: now },
      { type: 'Ready', ...notReady, lastTransitionTime: now },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'registry.example/app:1.0',
        imageID: '',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app' } },
        lastState: {
          terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(now.getTime() - 30_000) },
        },
      },
    ],
  };
}

async function podOf(core: CoreV1Api, namespace: string, app: string): Promise<string> {
  return eventually(`the pod of ${app}`, async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
    return list.items[0]?.metadata?.name;
  });
}
