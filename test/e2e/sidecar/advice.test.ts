/**
 * Advice that works: for each broken workload an outside reviewer tried (OOMKilled, image pull failure, crash
 * loop, stuck rollout over a missing ConfigMap key, failed Job, unschedulable pod), a failing readiness probe
 * and a healthy workload, diagnose runs on the real control plane and then every call its next steps suggest
 * is made exactly as written, through the same MCP client, and must succeed. Failures are written the way the kubelet reports them (kwok
 * runs no containers; it rewrites only Pending pods' statuses, and none of a pod bound to a Node it does not
 * manage); the stuck rollout, the failed Job and the unschedulable pod are the real controllers' and
 * scheduler's verdicts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1ContainerStatus,
  type V1PodSpec,
} from '@kubernetes/client-node';
import type { Client } from '@modelcontextprotocol/client';
import { appendPodLog } from '../../control-plane/harness.ts';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type ConnectedSidecar, callTool, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const IMAGE = 'registry.example/app:1.0';
const CRASH_LINE = 'FATAL cannot reach the database: connect ECONNREFUSED 10.96.0.15:5432';

interface Diagnosis {
  target: string;
  findings: Array<{ severity: string; code: string; text: string }>;
  next_steps: string[];
}

interface Call {
  tool: string;
  args: Record<string, unknown>;
}

/** A rendered step (`tool {key: "value", flag: true} — why`) read back into the call it names; advice is undefined. */
function callOf(step: string): Call | undefined {
  const head = /^([a-z_]+) \{/.exec(step);
  if (!head?.[1]) return undefined;
  const args: Record<string, unknown> = {};
  let rest = step.slice(head[0].length);
  while (!rest.startsWith('}')) {
    const pair = /^([a-z_]+): ("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)(?:, )?/.exec(rest);
    assert.ok(pair?.[1] && pair[2], `the arguments of "${step}" read back`);
    args[pair[1]] = JSON.parse(pair[2]);
    rest = rest.slice(pair[0].length);
  }
  assert.match(rest, /^\} — \S/, step);
  return { tool: head[1], args };
}

/** Diagnoses, then makes every suggested call as written; each must answer without isError. */
async function followAdvice(
  client: Client,
  args: Record<string, unknown>,
  firstCode: string,
): Promise<{ diagnosis: Diagnosis; calls: Call[] }> {
  const { structured: diagnosis } = await callTool<Diagnosis>(client, 'diagnose', args);
  assert.equal(diagnosis.findings[0]?.code, firstCode, JSON.stringify(diagnosis.findings));
  const calls = diagnosis.next_steps.flatMap((step) => callOf(step) ?? []);
  for (const call of calls) {
    const result = await client.callTool({ name: call.tool, arguments: call.args });
    const text = (result.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('\n');
    assert.ok(!result.isError, `${call.tool} ${JSON.stringify(call.args)} failed as written: ${text}`);
  }
  return { diagnosis, calls };
}

function assertSuggested(calls: readonly Call[], expected: Call): void {
  assert.ok(
    calls.some((call) => call.tool === expected.tool && JSON.stringify(call.args) === JSON.stringify(expected.args)),
    `${expected.tool} ${JSON.stringify(expected.args)} among ${JSON.stringify(calls)}`,
  );
}

describe('every call diagnose suggests works as written, against the real API server', { skip }, () => {
  let world: World;
  let reader: ConnectedSidecar;
  let writer: ConnectedSidecar;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let unmanaged: string;
  let ownPod: string;
  const pods: Record<string, string> = {};

  /** A one-replica Deployment whose pod template runs `container`, on `pin`'s node if given. */
  const deploy = async (name: string, container: V1Container, pin: Partial<V1PodSpec> = {}, deadline = 600) => {
    const labels = { app: name };
    await apps.createNamespacedDeployment({
      namespace: world.namespace,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: deadline,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { ...pin, automountServiceAccountToken: false, containers: [container] },
          },
        },
      },
    });
  };
  const podOf = (selector: string, phase?: string) =>
    eventually(
      `a ${phase ?? ''} pod for ${selector}`,
      async () => {
        const list = await core.listNamespacedPod({ namespace: world.namespace, labelSelector: selector });
        return list.items.find((pod) => phase === undefined || pod.status?.phase === phase)?.metadata?.name;
      },
      90_000,
    );
  /** Writes what the kubelet would report for container app, retrying on the conflicts kwok's updates cause. */
  const writeContainer = (pod: string, status: Partial<V1ContainerStatus>, phase = 'Running') =>
    eventually(`status of ${pod} written`, async () => {
      const current = await core.readNamespacedPod({ name: pod, namespace: world.namespace });
      const notReady = { status: 'False', reason: 'ContainersNotReady', lastTransitionTime: new Date() };
      await core.replaceNamespacedPodStatus({
        name: pod,
        namespace: world.namespace,
        body: {
          ...current,
          status: {
            ...current.status,
            phase,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date() },
              { type: 'Ready', ...notReady },
              { type: 'ContainersReady', ...notReady },
            ],
            containerStatuses: [{ name: 'app', image: IMAGE, imageID: '', ready: false, restartCount: 0, ...status }],
          },
        },
      });
      return true;
    });
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { access: 'read-write', prefix: 'advice' });
    core = world.admin.makeApiClient(CoreV1Api);
    apps = world.admin.makeApiClient(AppsV1Api);
    const batch = world.admin.makeApiClient(BatchV1Api);
    // A Node object no kwok manages: pods bound to it keep the status written here, and no kubelet serves their logs.
    unmanaged = `unmanaged-${world.namespace}`;
    await core.createNode({ body: { metadata: { name: unmanaged }, spec: { unschedulable: true } } });

    ownPod = (await deployApp(world, 'web')).pods[0]?.metadata?.name ?? '';

    // OOMKilled, now backing off.
    await deploy('cache', { name: 'app', image: IMAGE, resources: { limits: { memory: '64Mi' } } });
    pods.cache = await podOf('app=cache', 'Running');
    await writeContainer(pods.cache, {
      restartCount: 4,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=app' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(90), finishedAt: ago(60) } },
    });

    // The registry does not have the tag.
    await deploy('api', { name: 'app', image: 'registry.example/api:9.9.9' });
    pods.api = await podOf('app=api', 'Running');
    await writeContainer(pods.api, {
      state: {
        waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/api:9.9.9"' },
      },
    });

    // A crash loop whose reason is in what the app printed last.
    await deploy('worker', { name: 'app', image: IMAGE });
    pods.worker = await podOf('app=worker', 'Running');
    await writeContainer(pods.worker, {
      restartCount: 6,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(40), finishedAt: ago(38) } },
    });
    appendPodLog(plane, ['starting worker', CRASH_LINE]);

    // A rollout stuck on a key the ConfigMap lacks: revision 1 runs, revision 2's pod cannot start.
    await core.createNamespacedConfigMap({
      namespace: world.namespace,
      body: { metadata: { name: 'checkout-config' }, data: { LOG_LEVEL: 'info' } },
    });
    await deploy('checkout', { name: 'app', image: IMAGE }, {}, 1);
    await podOf('app=checkout', 'Running');
    await apps.patchNamespacedDeployment(
      {
        name: 'checkout',
        namespace: world.namespace,
        body: [
          { op: 'add', path: '/spec/template/spec/nodeName', value: unmanaged },
          {
            op: 'add',
            path: '/spec/template/spec/containers/0/env',
            value: [
              { name: 'PAYMENT_URL', valueFrom: { configMapKeyRef: { name: 'checkout-config', key: 'PAYMENT_URL' } } },
            ],
          },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    pods.checkout = await eventually('the new revision’s pod', async () => {
      const list = await core.listNamespacedPod({ namespace: world.namespace, labelSelector: 'app=checkout' });
      return list.items.find((pod) => pod.spec?.nodeName === unmanaged)?.metadata?.name;
    });
    await writeContainer(
      pods.checkout,
      {
        state: {
          waiting: {
            reason: 'CreateContainerConfigError',
            message: `couldn't find key PAYMENT_URL in ConfigMap ${world.namespace}/checkout-config`,
          },
        },
      },
      'Pending',
    );

    // A Job allowed one attempt whose pod exited 2, on a node with no kubelet to serve its log.
    await batch.createNamespacedJob({
      namespace: world.namespace,
      body: {
        metadata: { name: 'migrate' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              nodeName: unmanaged,
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              containers: [{ name: 'app', image: IMAGE }],
            },
          },
        },
      },
    });
    pods.migrate = await podOf('job-name=migrate');
    await writeContainer(
      pods.migrate,
      { state: { terminated: { exitCode: 2, reason: 'Error', startedAt: ago(30), finishedAt: ago(25) } } },
      'Failed',
    );

    // Running, and its readiness probe keeps failing.
    await deploy('probed', { name: 'app', image: IMAGE });
    pods.probed = await podOf('app=probed', 'Running');
    await writeContainer(pods.probed, { state: { running: { startedAt: ago(600) } } });
    await core.createNamespacedEvent({
      namespace: world.namespace,
      body: {
        metadata: { generateName: `${pods.probed}.` },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pods.probed,
          namespace: world.namespace,
          fieldPath: 'spec.containers{app}',
        },
        type: 'Warning',
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        count: 5,
        firstTimestamp: ago(300),
        lastTimestamp: ago(10),
        source: { component: 'kubelet' },
      },
    });

    // No node matches.
    await deploy('analytics', { name: 'app', image: IMAGE }, { nodeSelector: { 'podmcp.dev/no-such-node': 'true' } });
    pods.analytics = await podOf('app=analytics');

    await eventually(
      'the controllers and the scheduler to reach their verdicts',
      async () => {
        const [web, checkout, cache, job, pending] = await Promise.all([
          apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace }),
          apps.readNamespacedDeployment({ name: 'checkout', namespace: world.namespace }),
          apps.readNamespacedDeployment({ name: 'cache', namespace: world.namespace }),
          batch.readNamespacedJob({ name: 'migrate', namespace: world.namespace }),
          core.readNamespacedPod({ name: pods.analytics ?? '', namespace: world.namespace }),
        ]);
        return (
          web.status?.availableReplicas === 1 &&
          checkout.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') === true &&
          (cache.status?.availableReplicas ?? 0) === 0 &&
          job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') === true &&
          pending.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') === true
        );
      },
      90_000,
    );
    const env = { PODMCP_RATE_LIMIT: '6000' };
    reader = await connectSidecar(world, { podName: ownPod, env });
    // The in-memory client cannot elicit, so a rollback's dry run runs under the unattended policy.
    writer = await connectSidecar(world, {
      podName: ownPod,
      env: { ...env, PODMCP_MODE: 'read-write', PODMCP_ACTION_COOLDOWN: '0', PODMCP_UNATTENDED_ACTIONS: 'true' },
    });
  });
  after(async () => {
    await reader?.close();
    await writer?.close();
    if (unmanaged) await core.deleteNode({ name: unmanaged });
  });

  test('healthy: the errors of one of its pods, named', async () => {
    const { calls } = await followAdvice(reader.client, {}, 'healthy');
    assert.deepEqual(calls, [{ tool: 'get_pod_logs', args: { pod: ownPod, grep: 'error|exception' } }]);
  });

  test('OOMKilled: the log the kubelet still has (its previous one is gone), and the pods not available', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'deploy/cache' }, 'oom-killed');
    assertSuggested(calls, { tool: 'get_pod_logs', args: { pod: pods.cache, container: 'app' } });
    assertSuggested(calls, { tool: 'list_pods', args: { workload: 'Deployment/cache', problems_only: true } });
  });

  test('image pull failure: the pod’s events', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'deploy/api' }, 'image-pull');
    assertSuggested(calls, { tool: 'list_events', args: { object: `Pod/${pods.api}` } });
  });

  test('crash loop: its log and its workload’s definition, also when the pod is diagnosed alone', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'deploy/worker' }, 'crash-loop');
    assertSuggested(calls, { tool: 'get_pod_logs', args: { pod: pods.worker, container: 'app' } });
    assertSuggested(calls, { tool: 'get_resources', args: { kind: 'deployments', name: 'worker' } });
    const one = await followAdvice(reader.client, { pod: pods.worker }, 'crash-loop');
    assertSuggested(one.calls, { tool: 'get_resources', args: { kind: 'deployments', name: 'worker' } });
  });

  test('stuck rollout over a missing ConfigMap key: that ConfigMap, and a rollback’s dry run to revision 1', async () => {
    const { calls } = await followAdvice(writer.client, { workload: 'deploy/checkout' }, 'rollout-stuck');
    assertSuggested(calls, { tool: 'get_resources', args: { kind: 'configmaps', name: 'checkout-config' } });
    assertSuggested(calls, {
      tool: 'rollback_deployment',
      args: { workload: 'Deployment/checkout', reason: 'rollout of Deployment/checkout is stuck', dry_run: true },
    });
    const readOnly = await followAdvice(reader.client, { workload: 'deploy/checkout' }, 'rollout-stuck');
    assert.ok(!readOnly.calls.some((call) => call.tool === 'rollback_deployment'), 'a read-only caller cannot');
  });

  test('failed Job: its definition and warnings, and no log its node cannot serve', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'job/migrate' }, 'job-failed');
    assertSuggested(calls, { tool: 'get_resources', args: { kind: 'jobs', name: 'migrate' } });
    assertSuggested(calls, { tool: 'list_events', args: { object: 'Job/migrate', warnings_only: true } });
    assert.ok(!calls.some((call) => call.tool === 'get_pod_logs'), JSON.stringify(calls));
  });

  test('failing readiness probe: what the app logs while failing', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'deploy/probed' }, 'readiness-probe');
    assertSuggested(calls, {
      tool: 'get_pod_logs',
      args: { pod: pods.probed, container: 'app', grep: 'error|exception|timeout' },
    });
  });

  test('unschedulable: the pod template to compare with the scheduler’s message', async () => {
    const { calls } = await followAdvice(reader.client, { workload: 'deploy/analytics' }, 'unschedulable');
    assertSuggested(calls, { tool: 'get_resources', args: { kind: 'deployments', name: 'analytics' } });
  });
});
