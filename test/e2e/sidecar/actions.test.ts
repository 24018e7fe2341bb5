import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  type CoreV1Event,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { isUnappliedPatch, rollbackPatch } from '../../../packages/sidecar/src/actions/patches.ts';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import {
  type ConnectedSidecar,
  callTool,
  callToolError,
  connectSidecar,
  createWorld,
  deployApp,
  SERVICE_ACCOUNT,
  type World,
} from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const REASON = 'e2e: checking that podmcp actions are verified and audited';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const ACTIONS = ['restart_deployment', 'scale_workload', 'delete_pod', 'rollback_deployment'];
/** Settings of a read-write sidecar; no cooldown unless a test asks for one, and room for many calls. */
// The in-memory test client cannot elicit, so actions run under the unattended policy (approvals: approvals.test.ts).
const READ_WRITE = {
  PODMCP_MODE: 'read-write',
  PODMCP_ACTION_COOLDOWN: '0',
  PODMCP_RATE_LIMIT: '6000',
  PODMCP_UNATTENDED_ACTIONS: 'true',
};

interface ActionAnswer {
  applied: boolean;
  dry_run: boolean;
  target: string;
  summary: string;
  changes: Array<{ field: string; before: string; after: string }>;
  verification?: { state: string; detail: string };
  event?: { recorded: boolean; reason: string; name?: string; error?: string };
  warnings: string[];
  [key: string]: unknown;
}

type Clients = { apps: AppsV1Api; core: CoreV1Api };

function clients(world: World): Clients {
  return { apps: world.admin.makeApiClient(AppsV1Api), core: world.admin.makeApiClient(CoreV1Api) };
}

async function eventsOn(world: World, name: string, reason: string): Promise<CoreV1Event[]> {
  const list = await clients(world).core.listNamespacedEvent({
    namespace: world.namespace,
    fieldSelector: `involvedObject.name=${name},reason=${reason}`,
  });
  return list.items;
}

/** The Event an applied action left: on the object, from the sidecar, with the caller and the reason. */
async function assertEvent(world: World, name: string, reason: string, instance: string): Promise<void> {
  const [event, ...more] = await eventsOn(world, name, reason);
  assert.ok(event, `an Event ${reason} on ${name}`);
  assert.equal(more.length, 0, 'exactly one Event per action');
  assert.equal(event.type, 'Normal');
  assert.equal(event.reportingComponent, 'podmcp-sidecar');
  assert.equal(event.reportingInstance, instance);
  assert.match(event.message ?? '', /caller e2e/);
  assert.ok(event.message?.includes(REASON), event.message);
}

function assertAudited(sidecar: ConnectedSidecar, tool: string, target: string): void {
  const record = sidecar.audit.find(
    (entry) => entry.name === tool && entry.target === target && entry.outcome === 'ok' && entry.reason === REASON,
  );
  assert.ok(record, `${tool} on ${target} is in the audit log with its reason`);
}

function assertVerified(answer: ActionAnswer): void {
  assert.ok(answer.verification, 'an applied action is verified');
  assert.ok(
    ['complete', 'in-progress'].includes(answer.verification.state),
    `verification: ${JSON.stringify(answer.verification)}`,
  );
}

async function runningPods(world: World, app: string): Promise<V1Pod[]> {
  const list = await clients(world).core.listNamespacedPod({ namespace: world.namespace, labelSelector: `app=${app}` });
  return list.items.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
}

async function createStatefulSet(world: World, name: string, replicas: number): Promise<void> {
  const labels = { app: name };
  await clients(world).apps.createNamespacedStatefulSet({
    namespace: world.namespace,
    body: {
      metadata: { name, labels },
      spec: {
        replicas,
        serviceName: name,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: SERVICE_ACCOUNT, containers: [{ name: 'db', image: 'registry.example/db:1' }] },
        },
      },
    },
  });
  await eventually(`${replicas} Running pod(s) of StatefulSet ${name}`, async () => {
    return (await runningPods(world, name)).length === replicas;
  });
}

async function createBarePod(world: World, name: string, finalizers?: string[]): Promise<void> {
  await clients(world).core.createNamespacedPod({
    namespace: world.namespace,
    body: {
      metadata: { name, labels: { app: name }, finalizers },
      spec: { serviceAccountName: SERVICE_ACCOUNT, containers: [{ name: 'app', image: 'registry.example/app:1.0' }] },
    },
  });
  await eventually(`bare pod ${name} Running`, async () => (await runningPods(world, name)).length === 1);
}

/** A finished rollout: the controller saw the latest spec and every pod is updated and available. */
async function rolledOut(world: World, name: string): Promise<V1Deployment> {
  return eventually(`Deployment ${name} rolled out`, async () => {
    const deployment = await clients(world).apps.readNamespacedDeployment({ name, namespace: world.namespace });
    const status = deployment.status ?? {};
    const desired = deployment.spec?.replicas ?? 1;
    const done =
      (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
      status.updatedReplicas === desired &&
      status.availableReplicas === desired &&
      (status.replicas ?? 0) === desired;
    return done ? deployment : undefined;
  });
}

describe('action tools against the real API server, as the read-write ServiceAccount', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  let admin: Clients;

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { access: 'read-write', prefix: 'act' });
    admin = clients(world);
    const [web] = await Promise.all([
      deployApp(world, 'web', { replicas: 2 }),
      deployApp(world, 'api'),
      deployApp(world, 'worker', { replicas: 2 }),
      deployApp(world, 'shop'),
      deployApp(world, 'web', { namespace: world.otherNamespace }),
      deployApp(world, 'frozen'),
      createStatefulSet(world, 'db', 1),
      createBarePod(world, 'lonely'),
      createBarePod(world, 'held', ['podmcp.dev/e2e-hold']),
    ]);
    await admin.apps.patchNamespacedDeployment(
      { name: 'frozen', namespace: world.namespace, body: { spec: { paused: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    ownPod = web.pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, {
      env: { ...READ_WRITE, PODMCP_MAX_REPLICAS: '4' },
      podName: ownPod,
    });
  });
  after(() => sidecar?.close());

  test('tools/list offers the four actions in read-write mode, marked destructive', async () => {
    const { tools } = await sidecar.client.listTools();
    for (const name of ACTIONS) {
      const tool = tools.find((candidate) => candidate.name === name);
      assert.ok(tool, `${name} is listed`);
      assert.equal(tool.annotations?.readOnlyHint, false);
      assert.equal(tool.annotations?.destructiveHint, true);
      assert.ok((tool.inputSchema.required ?? []).includes('reason'));
    }
  });

  test('restart_deployment on "self": the dry run changes nothing; the real run restarts, verified, with an Event and an audit record', async () => {
    const original = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    const preview = await callTool<ActionAnswer>(sidecar.client, 'restart_deployment', {
      reason: REASON,
      dry_run: true,
    });
    assert.equal(preview.structured.applied, false);
    assert.equal(preview.structured.target, 'Deployment/web');
    assert.ok(preview.structured.changes.some((change) => change.field.includes(RESTARTED_AT)));
    assert.match(preview.text, /Dry run, nothing changed/);
    const untouched = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    assert.equal(untouched.metadata?.generation, original.metadata?.generation);
    assert.equal(untouched.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined);

    const { structured, text } = await callTool<ActionAnswer>(sidecar.client, 'restart_deployment', { reason: REASON });
    assert.equal(structured.applied, true);
    assertVerified(structured);
    assert.match(structured.verification?.detail ?? '', /new ReplicaSet web-/);
    assert.ok(structured.warnings.some((warning) => warning.includes("sidecar's own Deployment")));
    assert.equal(structured.event?.recorded, true);
    const restarted = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    assert.equal(restarted.spec?.template?.metadata?.annotations?.[RESTARTED_AT], structured.restarted_at);
    assert.equal(restarted.metadata?.generation, (original.metadata?.generation ?? 0) + 1);
    assert.equal(restarted.spec?.replicas, 2, 'nothing but the template annotation changed');
    assert.match(text, /^Done: Deployment web restarted/);
    await assertEvent(world, 'web', 'PodmcpRestart', ownPod);
    assertAudited(sidecar, 'restart_deployment', 'Deployment/web');

    const elsewhere = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: world.otherNamespace });
    assert.equal(elsewhere.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined, 'namespace B untouched');
  });

  test('restart_deployment refuses what is not a Deployment, and says what to use instead', async () => {
    const text = await callToolError(sidecar.client, 'restart_deployment', { workload: 'sts/db', reason: REASON });
    assert.match(text, /Deployments only.*delete_pod/);
  });

  test('scale_workload: dry run, then the real scale through the scale subresource, verified; a repeat changes nothing', async () => {
    const preview = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 3,
      reason: REASON,
      dry_run: true,
    });
    assert.equal(preview.structured.applied, false);
    assert.deepEqual(preview.structured.changes, [{ field: 'spec.replicas', before: '1', after: '3' }]);
    const unchanged = await admin.apps.readNamespacedDeployment({ name: 'api', namespace: world.namespace });
    assert.equal(unchanged.spec?.replicas, 1);

    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 3,
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assert.equal(structured.replicas_before, 1);
    assert.equal(structured.replicas_after, 3);
    assertVerified(structured);
    assert.equal(typeof structured.ready, 'number');
    const scaled = await admin.apps.readNamespacedDeployment({ name: 'api', namespace: world.namespace });
    assert.equal(scaled.spec?.replicas, 3);
    assert.equal(
      scaled.spec?.template?.metadata?.annotations?.[RESTARTED_AT],
      undefined,
      'the template is not touched',
    );
    await assertEvent(world, 'api', 'PodmcpScale', ownPod);
    assertAudited(sidecar, 'scale_workload', 'Deployment/api');
    await eventually('3 Running api pods', async () => (await runningPods(world, 'api')).length === 3);

    const again = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 3,
      reason: REASON,
    });
    assert.equal(again.structured.applied, false);
    assert.match(again.text, /already has 3 replica\(s\)/);
    assert.equal((await eventsOn(world, 'api', 'PodmcpScale')).length, 1, 'a no-op leaves no Event');
  });

  test('scale_workload scales a StatefulSet through its scale subresource', async () => {
    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'sts/db',
      replicas: 2,
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assert.equal(structured.target, 'StatefulSet/db');
    assertVerified(structured);
    const scaled = await admin.apps.readNamespacedStatefulSet({ name: 'db', namespace: world.namespace });
    assert.equal(scaled.spec?.replicas, 2);
    await assertEvent(world, 'db', 'PodmcpScale', ownPod);
  });

  test('scale_workload warns that a HorizontalPodAutoscaler on the workload will override the count', async () => {
    await world.admin.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: world.namespace,
      body: {
        metadata: { name: 'worker' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' },
          minReplicas: 1,
          maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          ],
        },
      },
    });
    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'worker',
      replicas: 3,
      reason: REASON,
      dry_run: true,
    });
    assert.ok(
      structured.warnings.some((warning) => /HorizontalPodAutoscaler worker manages Deployment\/worker/.test(warning)),
      JSON.stringify(structured.warnings),
    );
  });

  test('a paused Deployment is neither restarted nor rolled back, and the answer says how to resume it', async () => {
    const restart = await callToolError(sidecar.client, 'restart_deployment', { workload: 'frozen', reason: REASON });
    assert.match(restart, /paused.*kubectl rollout resume deployment\/frozen/);
    const rollback = await callToolError(sidecar.client, 'rollback_deployment', { workload: 'frozen', reason: REASON });
    assert.match(rollback, /paused.*resume/);
    const frozen = await admin.apps.readNamespacedDeployment({ name: 'frozen', namespace: world.namespace });
    assert.equal(frozen.spec?.template?.metadata?.annotations?.[RESTARTED_AT], undefined);
  });

  test('an action on a workload that does not exist names the ones that do', async () => {
    const text = await callToolError(sidecar.client, 'restart_deployment', { workload: 'nope', reason: REASON });
    assert.match(text, /Deployment "nope" does not exist.*Existing Deployments: .*shop/);
  });

  test('scale_workload refuses above max-replicas (naming the limit and the annotation) and 0 without allow_zero', async () => {
    const above = await callToolError(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 5,
      reason: REASON,
    });
    assert.match(above, /limit of 4.*podmcp\.dev\/max-replicas/);
    const zero = await callToolError(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 0,
      reason: REASON,
    });
    assert.match(zero, /stops all of its pods.*allow_zero: true/);
    const daemon = await callToolError(sidecar.client, 'scale_workload', {
      workload: 'ds/x',
      replicas: 1,
      reason: REASON,
    });
    assert.match(daemon, /Deployments and StatefulSets only/);
    const unchanged = await admin.apps.readNamespacedDeployment({ name: 'api', namespace: world.namespace });
    assert.equal(unchanged.spec?.replicas, 3);
    assert.ok(sidecar.audit.some((entry) => entry.name === 'scale_workload' && entry.outcome === 'refused'));
  });

  test('scale_workload to 0 with allow_zero takes the workload down', async () => {
    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'scale_workload', {
      workload: 'deploy/api',
      replicas: 0,
      allow_zero: true,
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assertVerified(structured);
    const scaled = await admin.apps.readNamespacedDeployment({ name: 'api', namespace: world.namespace });
    assert.equal(scaled.spec?.replicas, 0);
  });

  test('delete_pod: the dry run deletes nothing; the real run deletes that pod, its ReplicaSet replaces it', async () => {
    const [victim] = await runningPods(world, 'worker');
    const name = victim?.metadata?.name ?? '';
    const uid = victim?.metadata?.uid;
    const preview = await callTool<ActionAnswer>(sidecar.client, 'delete_pod', { name, reason: REASON, dry_run: true });
    assert.equal(preview.structured.applied, false);
    assert.match(preview.structured.owner as string, /^ReplicaSet\/worker-/);
    const still = await admin.core.readNamespacedPod({ name, namespace: world.namespace });
    assert.equal(still.metadata?.uid, uid);
    assert.equal(still.metadata?.deletionTimestamp, undefined);

    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'delete_pod', { name, reason: REASON });
    assert.equal(structured.applied, true);
    assert.equal(structured.target, `Pod/${name}`);
    assertVerified(structured);
    await eventually('the deleted pod gone or terminating', async () => {
      const pods = await admin.core.listNamespacedPod({ namespace: world.namespace, labelSelector: 'app=worker' });
      const same = pods.items.find((pod) => pod.metadata?.uid === uid);
      return !same || same.metadata?.deletionTimestamp !== undefined;
    });
    await eventually('two Running worker pods again, without the deleted one', async () => {
      const pods = await runningPods(world, 'worker');
      return pods.length === 2 && pods.every((pod) => pod.metadata?.uid !== uid);
    });
    await assertEvent(world, name, 'PodmcpDelete', ownPod);
    assertAudited(sidecar, 'delete_pod', `Pod/${name}`);
  });

  test('delete_pod refuses a pod no controller owns unless allow_unowned is true', async () => {
    const refused = await callToolError(sidecar.client, 'delete_pod', { name: 'lonely', reason: REASON });
    assert.match(refused, /no controller.*allow_unowned: true/);
    assert.equal((await runningPods(world, 'lonely')).length, 1, 'still there');

    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'delete_pod', {
      name: 'lonely',
      allow_unowned: true,
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assert.equal(structured.owner, undefined);
    assertVerified(structured);
  });

  test('delete_pod of a pod that does not exist lists the pods that do', async () => {
    const text = await callToolError(sidecar.client, 'delete_pod', { name: 'missing-pod', reason: REASON });
    assert.match(text, /missing-pod does not exist.*Pods here: .*worker-/);
  });

  test('delete_pod of a pod already terminating says so and what holds it', async () => {
    await admin.core.deleteNamespacedPod({ name: 'held', namespace: world.namespace });
    const text = await callToolError(sidecar.client, 'delete_pod', {
      name: 'held',
      reason: REASON,
      allow_unowned: true,
    });
    assert.match(text, /already terminating.*finalizers podmcp\.dev\/e2e-hold hold it/);
    await admin.core.patchNamespacedPod(
      { name: 'held', namespace: world.namespace, body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });

  test('delete_pod "self" deletes the sidecar\'s own pod and warns that the connection drops', async () => {
    const [own] = await runningPods(world, 'worker');
    const podName = own?.metadata?.name ?? '';
    const inWorker = await connectSidecar(world, { env: READ_WRITE, podName });
    try {
      const { structured } = await callTool<ActionAnswer>(inWorker.client, 'delete_pod', {
        name: 'self',
        reason: REASON,
      });
      assert.equal(structured.applied, true);
      assert.equal(structured.pod, podName);
      assert.ok(structured.warnings.some((warning) => warning.includes("sidecar's own pod")));
      await assertEvent(world, podName, 'PodmcpDelete', podName);
    } finally {
      await inWorker.close();
    }
  });

  test('rollback_deployment: unknown revision lists them; dry run, then the previous template back, verified', async () => {
    await admin.apps.patchNamespacedDeployment(
      {
        name: 'shop',
        namespace: world.namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/app:2.0' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await rolledOut(world, 'shop');

    const unknown = await callToolError(sidecar.client, 'rollback_deployment', {
      workload: 'shop',
      to_revision: 9,
      reason: REASON,
    });
    assert.match(unknown, /revision 9 does not exist/);
    assert.match(
      unknown,
      /revision 2 \(current\): ReplicaSet shop-\S+, app=registry\.example\/app:2\.0, created \S+ ago/,
    );
    assert.match(unknown, /revision 1: ReplicaSet shop-\S+, app=registry\.example\/app:1\.0/);

    const preview = await callTool<ActionAnswer>(sidecar.client, 'rollback_deployment', {
      workload: 'shop',
      reason: REASON,
      dry_run: true,
    });
    assert.equal(preview.structured.applied, false);
    assert.equal(preview.structured.from_revision, 2);
    assert.equal(preview.structured.to_revision, 1);
    assert.deepEqual(preview.structured.image_changes, [
      { container: 'app', before: 'registry.example/app:2.0', after: 'registry.example/app:1.0' },
    ]);
    const still = await admin.apps.readNamespacedDeployment({ name: 'shop', namespace: world.namespace });
    assert.equal(still.spec?.template?.spec?.containers[0]?.image, 'registry.example/app:2.0');

    const { structured } = await callTool<ActionAnswer>(sidecar.client, 'rollback_deployment', {
      workload: 'shop',
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assertVerified(structured);
    assert.match(structured.verification?.detail ?? '', /template of revision 1 in place/);
    const rolledBack = await admin.apps.readNamespacedDeployment({ name: 'shop', namespace: world.namespace });
    assert.equal(rolledBack.spec?.template?.spec?.containers[0]?.image, 'registry.example/app:1.0');
    assert.equal(rolledBack.spec?.template?.metadata?.labels?.['pod-template-hash'], undefined);
    // The controller adopts the old ReplicaSet as the newest revision, as after `kubectl rollout undo`.
    await eventually('the revision 1 ReplicaSet renumbered 3', async () => {
      const sets = await admin.apps.listNamespacedReplicaSet({ namespace: world.namespace, labelSelector: 'app=shop' });
      return sets.items.some(
        (set) =>
          set.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3' &&
          set.spec?.template?.spec?.containers[0]?.image === 'registry.example/app:1.0',
      );
    });
    await assertEvent(world, 'shop', 'PodmcpRollback', ownPod);
    assertAudited(sidecar, 'rollback_deployment', 'Deployment/shop');

    const current = await callToolError(sidecar.client, 'rollback_deployment', {
      workload: 'shop',
      to_revision: 3,
      reason: REASON,
    });
    assert.match(current, /revision 3 is the one it runs now.*Pick another revision/s);
  });

  test('rollback_deployment with a single revision says there is nothing earlier', async () => {
    const text = await callToolError(sidecar.client, 'rollback_deployment', { workload: 'worker', reason: REASON });
    assert.match(text, /revision 1 is its oldest remaining revision.*nothing earlier to roll back to/s);
  });

  test("the rollback patch's generation guard is enforced by the API server, and its refusal is recognised", async () => {
    const shop = await admin.apps.readNamespacedDeployment({ name: 'shop', namespace: world.namespace });
    const stale = (shop.metadata?.generation ?? 0) - 1;
    const refusal = await admin.apps
      .patchNamespacedDeployment(
        {
          name: 'shop',
          namespace: world.namespace,
          body: rollbackPatch(stale, shop.spec?.template ?? {}),
          dryRun: 'All',
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(refusal, 'a stale generation is refused');
    assert.equal(isUnappliedPatch(refusal), true, String(refusal));
  });

  test('bad arguments are isError answers: missing reason, a namespace argument, an invalid name', async () => {
    assert.match(await callToolError(sidecar.client, 'restart_deployment', { workload: 'api' }), /reason/);
    assert.match(await callToolError(sidecar.client, 'restart_deployment', { reason: 'short' }), /reason/);
    const valid: Record<string, Record<string, unknown>> = {
      restart_deployment: { workload: 'web' },
      scale_workload: { workload: 'web', replicas: 1 },
      delete_pod: { name: 'web-1' },
      rollback_deployment: { workload: 'web' },
    };
    for (const tool of ACTIONS) {
      const text = await callToolError(sidecar.client, tool, {
        ...valid[tool],
        reason: REASON,
        namespace: world.otherNamespace,
      });
      assert.match(text, /Invalid arguments.*Unrecognized key.*"namespace"/, tool);
    }
    assert.match(
      await callToolError(sidecar.client, 'delete_pod', { name: '../../namespaces/x/pods/y', reason: REASON }),
      /Invalid arguments.*name/,
    );
    const elsewhere = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: world.otherNamespace });
    assert.equal(elsewhere.metadata?.generation, 1, 'namespace B was never changed');
  });
});

describe('which action tools exist', { skip }, () => {
  let world: World;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { access: 'read-write', prefix: 'lst' });
  });

  test('none in read-only mode', async () => {
    const sidecar = await connectSidecar(world);
    try {
      const { tools } = await sidecar.client.listTools();
      assert.deepEqual(
        tools.filter((tool) => ACTIONS.includes(tool.name)),
        [],
      );
      await assert.rejects(
        sidecar.client.callTool({ name: 'restart_deployment', arguments: { reason: REASON } }),
        /Unknown tool/,
      );
    } finally {
      await sidecar.close();
    }
  });

  test('in read-write mode, only those on the allow-list', async () => {
    const sidecar = await connectSidecar(world, {
      env: { PODMCP_MODE: 'read-write', PODMCP_TOOLS: 'list_pods,scale_workload' },
    });
    try {
      const { tools } = await sidecar.client.listTools();
      assert.deepEqual(
        tools.filter((tool) => ACTIONS.includes(tool.name)).map((tool) => tool.name),
        ['scale_workload'],
      );
      await assert.rejects(
        sidecar.client.callTool({ name: 'delete_pod', arguments: { name: 'x', reason: REASON } }),
        /Unknown tool/,
      );
    } finally {
      await sidecar.close();
    }
  });
});

describe('the cooldown between actions on one target', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { access: 'read-write', prefix: 'cool' });
    await deployApp(world, 'web');
    sidecar = await connectSidecar(world, { env: { ...READ_WRITE, PODMCP_ACTION_COOLDOWN: '1h' } });
  });
  after(() => sidecar?.close());

  test('a dry run does not start it; an applied restart does, and a second action on that target is refused with the wait', async () => {
    await callTool(sidecar.client, 'restart_deployment', { workload: 'web', reason: REASON, dry_run: true });
    const first = await callTool<ActionAnswer>(sidecar.client, 'restart_deployment', {
      workload: 'web',
      reason: REASON,
    });
    assert.equal(first.structured.applied, true);
    const generation = (await clients(world).apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace }))
      .metadata?.generation;

    const again = await callToolError(sidecar.client, 'restart_deployment', { workload: 'deploy/web', reason: REASON });
    assert.match(again, /Deployment\/web was changed by podmcp less than 3600 s ago \(cooldown\).*retry after \d+ s/);
    const scale = await callToolError(sidecar.client, 'scale_workload', {
      workload: 'web',
      replicas: 2,
      reason: REASON,
    });
    assert.match(scale, /cooldown/, 'the cooldown is per target, whatever the action');
    const current = await clients(world).apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    assert.equal(current.metadata?.generation, generation);
    assert.ok(sidecar.audit.some((entry) => entry.name === 'restart_deployment' && entry.outcome === 'rate-limited'));
  });
});

describe('"self" outside a pod', { skip }, () => {
  test('restart and delete_pod say "self" names nothing and what to give instead', async () => {
    if (!plane) return;
    const world = await createWorld(plane, { access: 'read-write', prefix: 'nopod' });
    const sidecar = await connectSidecar(world, { env: READ_WRITE });
    try {
      assert.match(
        await callToolError(sidecar.client, 'restart_deployment', { reason: REASON }),
        /does not know its own workload.*Name one/,
      );
      assert.match(
        await callToolError(sidecar.client, 'delete_pod', { name: 'self', reason: REASON }),
        /does not run in a pod.*Give the pod's name/,
      );
    } finally {
      await sidecar.close();
    }
  });
});

describe('RBAC decides, not podmcp: a read-write sidecar whose ServiceAccount has the read-only ClusterRole', {
  skip,
}, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let generation: number | undefined;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'rbac' });
    await Promise.all([deployApp(world, 'web'), deployApp(world, 'noevent')]);
    // A second revision, so a rollback gets as far as the API server.
    await clients(world).apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: world.namespace,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/app:2.0' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    generation = (await rolledOut(world, 'web')).metadata?.generation;
    // Enough to restart one Deployment, but not to write Events.
    const rbac = world.admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: world.namespace,
      body: {
        metadata: { name: 'patch-noevent' },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'], resourceNames: ['noevent'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: world.namespace,
      body: {
        metadata: { name: 'patch-noevent' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patch-noevent' },
        subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: world.namespace }],
      },
    });
    sidecar = await connectSidecar(world, { env: READ_WRITE });
  });
  after(() => sidecar?.close());

  test('each action answers isError naming the verb and resource RBAC refused, and nothing changes', async () => {
    const restart = await callToolError(sidecar.client, 'restart_deployment', { workload: 'web', reason: REASON });
    assert.match(restart, /RBAC refused.*cannot patch resource "deployments"/);
    const scale = await callToolError(sidecar.client, 'scale_workload', {
      workload: 'web',
      replicas: 2,
      reason: REASON,
    });
    assert.match(scale, /RBAC refused.*cannot patch resource "deployments\/scale"/);
    const rollback = await callToolError(sidecar.client, 'rollback_deployment', { workload: 'web', reason: REASON });
    assert.match(rollback, /RBAC refused.*cannot patch resource "deployments"/);
    const web = await clients(world).apps.readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    assert.equal(web.metadata?.generation, generation);
    const [pod] = await runningPods(world, 'web');
    const remove = await callToolError(sidecar.client, 'delete_pod', { name: pod?.metadata?.name, reason: REASON });
    assert.match(remove, /RBAC refused.*cannot delete resource "pods"/);
    const still = await clients(world).core.readNamespacedPod({
      name: pod?.metadata?.name ?? '',
      namespace: world.namespace,
    });
    assert.equal(still.metadata?.deletionTimestamp, undefined);
    assert.ok(sidecar.audit.some((entry) => entry.name === 'restart_deployment' && entry.error === 'forbidden'));
  });

  test('an action RBAC allows still succeeds when its Event cannot be written, and says so', async () => {
    const { structured, text } = await callTool<ActionAnswer>(sidecar.client, 'restart_deployment', {
      workload: 'noevent',
      reason: REASON,
    });
    assert.equal(structured.applied, true);
    assert.equal(structured.event?.recorded, false);
    assert.match(structured.event?.error ?? '', /RBAC refused.*cannot create resource "events"/);
    assert.match(text, /applied, but Event PodmcpRestart could not be written/);
    const restarted = await clients(world).apps.readNamespacedDeployment({
      name: 'noevent',
      namespace: world.namespace,
    });
    assert.equal(restarted.spec?.template?.metadata?.annotations?.[RESTARTED_AT], structured.restarted_at);
  });
});
