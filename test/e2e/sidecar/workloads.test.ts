/**
 * list_deployments and get_resources against the real control plane, as the shipped read-only
 * ServiceAccount: every workload kind with its rollout state (a Deployment that can never schedule becomes
 * stuck through the real deployment controller), every kind get_resources serves, and every refusal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  PolicyV1Api,
} from '@kubernetes/client-node';
import { createAll, eventually, serviceAccountToken } from '../../control-plane/kube.ts';
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

interface Workload {
  kind: string;
  name: string;
  self?: boolean;
  rollout?: string;
  status?: string;
  completions?: string;
  schedule?: string;
  suspended?: boolean;
  images: string[];
  desired?: number;
  ready?: number;
  detail?: string;
}

interface ListDeployments {
  workloads: Workload[];
  more?: string[];
  next_cursor?: string;
  note?: string;
}

type Row = Record<string, string | number | boolean>;

interface GetResources {
  kind: string;
  items?: Row[];
  next_cursor?: string;
  summary?: Row;
  object?: Record<string, unknown> & { metadata: Record<string, unknown> };
  note?: string;
}

const podTemplate = (app: string, extra: Record<string, unknown> = {}) => ({
  metadata: { labels: { app } },
  spec: {
    serviceAccountName: SERVICE_ACCOUNT,
    containers: [{ name: 'main', image: `registry.example/${app}:1.0` }],
    ...extra,
  },
});

/** Everything the suite reads, in namespace A, and look-alikes in namespace B that must stay invisible. */
async function populate(world: World): Promise<void> {
  const namespace = world.namespace;
  const core = world.admin.makeApiClient(CoreV1Api);
  const apps = world.admin.makeApiClient(AppsV1Api);
  const batch = world.admin.makeApiClient(BatchV1Api);
  const networking = world.admin.makeApiClient(NetworkingV1Api);
  const autoscaling = world.admin.makeApiClient(AutoscalingV2Api);
  const policy = world.admin.makeApiClient(PolicyV1Api);

  // Never schedulable, with a one-second deadline: the deployment controller marks it ProgressDeadlineExceeded.
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'stuck' },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 1,
        selector: { matchLabels: { app: 'stuck' } },
        template: podTemplate('stuck', { nodeSelector: { 'podmcp.dev/no-such-node': 'true' } }),
      },
    },
  });
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } },
  });
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'db' },
      spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: podTemplate('db') },
    },
  });
  await apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate('agent') },
    },
  });
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name: 'migrate' },
      spec: { template: podTemplate('migrate', { restartPolicy: 'Never' }) as never, backoffLimit: 0 },
    },
  });
  await batch.createNamespacedCronJob({
    namespace,
    body: {
      metadata: { name: 'report' },
      spec: {
        schedule: '0 3 * * *',
        suspend: true,
        jobTemplate: { spec: { template: podTemplate('report', { restartPolicy: 'Never' }) as never } },
      },
    },
  });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 as never }] },
    },
  });
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: 'orphan' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] } },
  });
  await core.createNamespacedConfigMap({
    namespace,
    body: {
      metadata: {
        name: 'web-config',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"note":"applied-copy-must-not-show"}}',
        },
      },
      data: { 'app.yaml': 'level: info\n', 'big.txt': 'b'.repeat(5000), db_password: 'hunter2' },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  });
  await autoscaling.createNamespacedHorizontalPodAutoscaler({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        ],
      },
    },
  });
  await policy.createNamespacedPodDisruptionBudget({
    namespace,
    body: { metadata: { name: 'web' }, spec: { minAvailable: 1 as never, selector: { matchLabels: { app: 'web' } } } },
  });
  await networking.createNamespacedIngress({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        rules: [
          {
            host: 'web.example',
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }],
            },
          },
        ],
      },
    },
  });
  await networking.createNamespacedNetworkPolicy({
    namespace,
    body: {
      metadata: { name: 'deny-ingress' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
    },
  });
  await core.createNamespacedConfigMap({
    namespace: world.otherNamespace,
    body: { metadata: { name: 'b-only' }, data: { leaked: 'namespace-b-value' } },
  });
  await core.createNamespacedService({
    namespace: world.otherNamespace,
    body: { metadata: { name: 'b-service' }, spec: { ports: [{ port: 80 }] } },
  });
}

describe('list_deployments and get_resources against the real API server, as the read-only ServiceAccount', {
  skip,
}, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'wl' });
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    ownPod = pods[0]?.metadata?.name ?? '';
    await deployApp(world, 'elsewhere', { namespace: world.otherNamespace });
    await populate(world);
    // The polling below (eventually) calls tools many times a second; the default per-minute limit is for agents.
    sidecar = await connectSidecar(world, { podName: ownPod, env: { PODMCP_RATE_LIMIT: '6000' } });
  });
  after(() => sidecar?.close());

  const workloads = async (args: Record<string, unknown> = {}) =>
    (await callTool<ListDeployments>(sidecar.client, 'list_deployments', args)).structured;

  test('every workload kind with its state; the own Deployment is marked self; namespace B is not there', async () => {
    const result = await eventually(
      'the Job complete, the StatefulSet and DaemonSet ready, the stuck Deployment past its deadline',
      async () => {
        const listed = await workloads();
        const byName = new Map(listed.workloads.map((workload) => [`${workload.kind}/${workload.name}`, workload]));
        const done =
          byName.get('Job/migrate')?.status === 'Complete' &&
          byName.get('StatefulSet/db')?.rollout === 'complete' &&
          byName.get('DaemonSet/agent')?.rollout === 'complete' &&
          byName.get('Deployment/stuck')?.rollout === 'stuck';
        return done ? { listed, byName } : undefined;
      },
      60_000,
    );
    const { byName } = result;
    assert.deepEqual([...byName.keys()].sort(), [
      'CronJob/report',
      'DaemonSet/agent',
      'Deployment/stuck',
      'Deployment/web',
      'Job/migrate',
      'StatefulSet/db',
    ]);
    const web = byName.get('Deployment/web');
    assert.equal(web?.self, true);
    assert.equal(web?.rollout, 'complete');
    assert.equal(web?.ready, 2);
    assert.deepEqual(web?.images, ['registry.example/app:1.0']);
    assert.match(byName.get('Deployment/stuck')?.detail ?? '', /^ProgressDeadlineExceeded: /);
    assert.equal(byName.get('Deployment/stuck')?.self, undefined);
    assert.equal(byName.get('Job/migrate')?.completions, '1/1');
    const report = byName.get('CronJob/report');
    assert.equal(report?.schedule, '0 3 * * *');
    assert.equal(report?.suspended, true);
    assert.equal(report?.status, 'Suspended');

    const { text } = await callTool(sidecar.client, 'list_deployments');
    assert.match(text, /KIND\s+NAME\s+STATUS/);
    assert.match(text, /web \(self\)/);
    assert.match(text, /- Deployment stuck: ProgressDeadlineExceeded/);
    assert.ok(!text.includes('elsewhere'));
  });

  test('name "self" shows only this sidecar\'s workload; kinds and exact names filter', async () => {
    const self = await workloads({ name: 'self' });
    assert.deepEqual(
      self.workloads.map((workload) => `${workload.kind}/${workload.name}/${workload.self}`),
      ['Deployment/web/true'],
    );
    const batchOnly = await workloads({ kinds: ['jobs', 'cj'] });
    assert.deepEqual(batchOnly.workloads.map((workload) => workload.kind).sort(), ['CronJob', 'Job']);
    const named = await workloads({ name: 'db' });
    assert.deepEqual(
      named.workloads.map((workload) => `${workload.kind}/${workload.name}`),
      ['StatefulSet/db'],
    );
    const missing = await workloads({ name: 'nope' });
    assert.equal(missing.workloads.length, 0);
    assert.match(missing.note ?? '', /No workloads named nope in namespace .*Names must match exactly/);
    assert.match(
      await callToolError(sidecar.client, 'list_deployments', { name: 'Bad Name' }),
      /name: must be an object name/,
    );
    assert.match(await callToolError(sidecar.client, 'list_deployments', { kinds: ['pods'] }), /kinds/);
  });

  test('pages per kind with one cursor, which continues only the kinds that had more', async () => {
    const first = await workloads({ limit_per_kind: 1 });
    assert.deepEqual(first.more, ['deployments']);
    assert.ok(first.next_cursor);
    assert.equal(first.workloads.length, 5);
    const second = await workloads({ limit_per_kind: 1, cursor: first.next_cursor });
    assert.equal(second.workloads.length, 1);
    assert.equal(second.workloads[0]?.kind, 'Deployment');
    assert.notEqual(
      second.workloads[0]?.name,
      first.workloads.find((workload) => workload.kind === 'Deployment')?.name,
    );
    assert.equal(second.next_cursor, undefined);
    assert.match(
      await callToolError(sidecar.client, 'list_deployments', { cursor: 'not-a-cursor' }),
      /cursor is not one this tool gave out/,
    );
  });

  const resources = async (args: Record<string, unknown>) =>
    callTool<GetResources>(sidecar.client, 'get_resources', args);

  test('services: a row per Service with ready/not-ready endpoints from EndpointSlices; an empty one says why', async () => {
    const { structured, text } = await eventually('web endpoints ready', async () => {
      const answer = await resources({ kind: 'svc' });
      const web = answer.structured.items?.find((item) => item.name === 'web');
      return web?.ready_endpoints === 2 ? answer : undefined;
    });
    assert.equal(structured.kind, 'services');
    const byName = new Map((structured.items ?? []).map((item) => [item.name, item]));
    assert.deepEqual([...byName.keys()].sort(), ['db', 'orphan', 'web']);
    assert.equal(byName.get('web')?.ports, 'http:80/TCP→8080');
    assert.equal(byName.get('web')?.selector, 'app=web');
    assert.equal(byName.get('orphan')?.ready_endpoints, 0);
    assert.match(String(byName.get('orphan')?.problem), /no pod matches the selector/);
    assert.match(text, /NAME\s+TYPE\s+CLUSTER-IP\s+PORTS\s+READY\s+NOT-READY\s+SELECTOR/);
    assert.match(text, /! orphan: no endpoints/);
    assert.ok(!text.includes('b-service'));
  });

  test('one Service by name: its summary and the object without machinery noise', async () => {
    const { structured, text } = await resources({ kind: 'service', name: 'web' });
    assert.equal(structured.summary?.ready_endpoints, 2);
    const metadata = structured.object?.metadata ?? {};
    for (const noise of ['managedFields', 'uid', 'resourceVersion', 'namespace']) {
      assert.equal(metadata[noise], undefined, `${noise} is stripped`);
    }
    assert.equal(metadata.name, 'web');
    assert.deepEqual((structured.object?.spec as { selector?: unknown } | undefined)?.selector, { app: 'web' });
    assert.match(text, /<<<untrusted [0-9a-f]{12}: services\/web/);
    assert.match(text, /ready_endpoints: 2/);
  });

  test('configmaps: keys and sizes in lists; values with a name, capped, with key to read one in full', async () => {
    const list = await resources({ kind: 'cm' });
    const row = list.structured.items?.find((item) => item.name === 'web-config');
    assert.equal(row?.key_count, 3);
    assert.match(String(row?.keys), /big\.txt \(4\.9 KiB\)/);
    assert.ok(!list.text.includes('level: info'), 'lists never show values');
    assert.ok(!list.text.includes('b-only'));

    const one = await resources({ kind: 'configmaps', name: 'web-config' });
    const data = one.structured.object?.data as Record<string, string>;
    assert.equal(data['app.yaml'], 'level: info\n');
    assert.match(data['big.txt'] ?? '', /…\[truncated: 2952 more bytes\] \(call again with key "big.txt"/);
    assert.equal(data.db_password, '[REDACTED]', 'secret-looking keys are redacted by the gate');
    assert.ok(!JSON.stringify(one.structured).includes('hunter2'));
    assert.ok(!one.text.includes('hunter2'));
    assert.ok(!JSON.stringify(one.structured).includes('applied-copy-must-not-show'), 'last-applied is dropped');

    const full = await resources({ kind: 'cm', name: 'web-config', key: 'big.txt' });
    assert.deepEqual(full.structured.object?.data, { 'big.txt': 'b'.repeat(5000) });
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'cm', name: 'web-config', key: 'nope' }),
      /has no key "nope"\. Keys: app\.yaml, big\.txt, db_password/,
    );
  });

  test('not found names what exists here, and objects of namespace B are never visible', async () => {
    const error = await callToolError(sidecar.client, 'get_resources', { kind: 'configmaps', name: 'b-only' });
    assert.match(error, /ConfigMap "b-only" does not exist in namespace wl-\d+-a\. Existing configmaps: .*web-config/);
    assert.ok(!error.includes('namespace-b-value'));
    const services = await callToolError(sidecar.client, 'get_resources', { kind: 'svc', name: 'b-service' });
    assert.match(services, /Existing services: db, orphan, web\./);
  });

  test('the other kinds: pvc, hpa, pdb, ingress, netpol, sa, ep, endpointslices, rs, pods, workloads', async () => {
    const row = async (kind: string, name: string) =>
      (await resources({ kind })).structured.items?.find((item) => item.name === name);
    const pvc = await row('pvc', 'data');
    assert.equal(pvc?.phase, 'Pending');
    assert.equal(pvc?.requested, '1Gi');
    assert.equal((await row('hpa', 'web'))?.target, 'Deployment/web');
    const pdb = await eventually('the disruption controller to count healthy pods', async () => {
      const found = await row('pdb', 'web');
      return found?.current_healthy === 2 ? found : undefined;
    });
    assert.equal(pdb.disruptions_allowed, 1);
    assert.equal((await row('ing', 'web'))?.rules, 'web.example/→web:http');
    assert.equal((await row('netpol', 'deny-ingress'))?.effect, 'denies all ingress');
    assert.equal((await row('sa', SERVICE_ACCOUNT))?.automount_token, true);
    const endpoints = await eventually('web Endpoints', async () => {
      const found = await row('ep', 'web');
      return found?.ready === 2 ? found : undefined;
    });
    assert.equal(endpoints.not_ready, 0);
    const slices = (await resources({ kind: 'endpointslices', label_selector: 'kubernetes.io/service-name=web' }))
      .structured.items;
    assert.equal(slices?.[0]?.service, 'web');
    const replicaSets = (await resources({ kind: 'rs', label_selector: 'app=web' })).structured.items ?? [];
    assert.equal(replicaSets.length, 1);
    assert.equal(replicaSets[0]?.owner, 'Deployment/web');
    const pods = (await resources({ kind: 'pods', label_selector: 'app=web' })).structured.items ?? [];
    assert.equal(pods.length, 2);
    assert.equal(pods[0]?.status, 'Running');
    const deployments = (await resources({ kind: 'deploy' })).structured.items ?? [];
    assert.deepEqual(deployments.map((item) => item.name).sort(), ['stuck', 'web']);
  });

  test('a pod by name is the full spec and status, without managedFields or uids', async () => {
    const { structured } = await resources({ kind: 'po', name: ownPod });
    const object = structured.object as {
      metadata: Record<string, unknown>;
      spec: { containers: Array<{ name: string }> };
      status: { phase: string };
    };
    assert.equal(object.spec.containers[0]?.name, 'app');
    assert.equal(object.status.phase, 'Running');
    assert.equal(object.metadata.managedFields, undefined);
    assert.equal(object.metadata.uid, undefined);
    assert.deepEqual((object.metadata.ownerReferences as Array<Record<string, unknown>>)[0]?.kind, 'ReplicaSet');
    assert.equal(structured.summary?.status, 'Running');
  });

  test('a list pages with a cursor', async () => {
    const first = await resources({ kind: 'svc', limit: 2 });
    assert.equal(first.structured.items?.length, 2);
    assert.ok(first.structured.next_cursor);
    assert.match(first.text, /More services: call again with cursor/);
    const second = await resources({ kind: 'svc', limit: 2, cursor: first.structured.next_cursor });
    assert.equal(second.structured.items?.length, 1);
  });

  test('Secrets are refused and audited as such; other kinds podmcp does not serve say where to look', async () => {
    const refusal = await callToolError(sidecar.client, 'get_resources', { kind: 'secrets' });
    assert.match(refusal, /^podmcp never reads Secrets/);
    assert.ok(
      sidecar.audit.some((record) => record.name === 'get_resources' && record.outcome === 'refused'),
      'the refusal is audited as refused',
    );
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'Secret', name: 'x' }),
      /never reads Secrets/,
    );
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'nodes' }),
      /cluster-scoped; podmcp serves namespace wl-\d+-a only/,
    );
    assert.match(await callToolError(sidecar.client, 'get_resources', { kind: 'events' }), /call list_events/);
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'widgets' }),
      /Unknown or unsupported kind "widgets"\. Supported: services \(svc\), endpoints \(ep\)/,
    );
  });

  test('podmetrics without metrics-server: a clear answer, not an error dump', async () => {
    const listError = await callToolError(sidecar.client, 'get_resources', { kind: 'podmetrics' });
    assert.match(
      listError,
      /^metrics-server is not installed in this cluster \(the metrics\.k8s\.io API does not exist\)/,
    );
    const oneError = await callToolError(sidecar.client, 'get_resources', { kind: 'top', name: ownPod });
    assert.match(oneError, /^metrics-server is not installed/);
  });

  test('with a narrower Role than the shipped one: kinds it cannot read are named, the rest still listed', async () => {
    const admin = world.admin;
    const namespace = world.namespace;
    await admin
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'narrow' } } });
    await createAll(admin, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'narrow', namespace },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'narrow', namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'narrow' },
        subjects: [{ kind: 'ServiceAccount', name: 'narrow', namespace }],
      },
    ] as never[]);
    const token = await serviceAccountToken(admin, namespace, 'narrow');
    const narrow = await connectSidecar(world, {
      kubeConfig: world.plane.kubeConfigForToken(token),
      env: { PODMCP_RATE_LIMIT: '6000' },
    });
    try {
      const { structured, text } = await eventually('the narrow Role to take effect', async () => {
        const answer = await callTool<ListDeployments & { unavailable?: Record<string, string> }>(
          narrow.client,
          'list_deployments',
        );
        return answer.structured.workloads.length > 0 ? answer : undefined;
      });
      assert.deepEqual(structured.workloads.map((workload) => workload.name).sort(), ['stuck', 'web']);
      assert.deepEqual(Object.keys(structured.unavailable ?? {}).sort(), [
        'cronjobs',
        'daemonsets',
        'jobs',
        'statefulsets',
      ]);
      assert.match(structured.unavailable?.jobs ?? '', /RBAC refused this/);
      assert.match(text, /! jobs: Kubernetes RBAC refused this/);
      assert.match(
        await callToolError(narrow.client, 'get_resources', { kind: 'hpa' }),
        /Kubernetes RBAC refused this: .*horizontalpodautoscalers/,
      );
    } finally {
      await narrow.close();
    }
  });

  test('arguments that do not go together are refused with the fix', async () => {
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'svc', name: 'web', label_selector: 'a=b' }),
      /name reads one object; label_selector and cursor are for lists/,
    );
    assert.match(
      await callToolError(sidecar.client, 'get_resources', { kind: 'svc', name: 'web', key: 'x' }),
      /key works only with kind configmaps and a name/,
    );
    assert.match(await callToolError(sidecar.client, 'get_resources', { kind: 'svc', limit: 0 }), /limit/);
  });
});
