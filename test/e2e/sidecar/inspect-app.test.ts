/**
 * inspect_app and read_runbook against the real control plane, as the shipped read-only ServiceAccount.
 * The "app" is an HTTP server in this test process on 127.0.0.1 (a random high port), reached by the sidecar
 * exactly as inside a pod: over localhost, at the ports PODMCP_APP_METRICS_PORT / PODMCP_APP_HEALTH_PORT name.
 *
 * Drift: a Deployment with maxUnavailable 0 gets a new template whose pods can never be scheduled, so the
 * rollout creates revision 2 but can never remove the old pod — which is then, for certain, a pod on an
 * outdated ReplicaSet. A ConfigMap it mounts is changed after the pod started.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import {
  type ConnectedSidecar,
  callTool,
  callToolError,
  connectSidecar,
  createWorld,
  SERVICE_ACCOUNT,
  type World,
} from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const METRICS_PAGE = `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 1027
http_requests_total{method="GET",code="500"} 31
http_requests_total{method="POST",code="200"} 5
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 600
http_request_duration_seconds_bucket{le="0.1"} 900
http_request_duration_seconds_bucket{le="0.5"} 1000
http_request_duration_seconds_bucket{le="+Inf"} 1063
http_request_duration_seconds_sum 97.2
http_request_duration_seconds_count 1063
# HELP queue_depth Jobs waiting.
# TYPE queue_depth gauge
queue_depth 17
# HELP db_query_seconds Query latency.
# TYPE db_query_seconds summary
db_query_seconds{quantile="0.5"} 0.004
db_query_seconds{quantile="0.99"} 0.25
db_query_seconds_sum 12
db_query_seconds_count 2400
`;

interface FakeApp {
  readonly port: number;
  healthStatus: number;
  healthBody: string;
  close(): Promise<void>;
}

/** The app's own endpoints, as a container in the pod would serve them. */
async function startApp(): Promise<FakeApp> {
  const state = { healthStatus: 200, healthBody: '{"status":"ok","db":"up"}' };
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(METRICS_PAGE);
    } else if (request.url === '/healthz') {
      response.writeHead(state.healthStatus, { 'content-type': 'application/json' }).end(state.healthBody);
    } else if (request.url === '/html') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>\n<body>hello</body>\n</html>\n');
    } else {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const app = {
    port: (server.address() as AddressInfo).port,
    get healthStatus() {
      return state.healthStatus;
    },
    set healthStatus(value: number) {
      state.healthStatus = value;
    },
    get healthBody() {
      return state.healthBody;
    },
    set healthBody(value: string) {
      state.healthBody = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return app;
}

/** A high port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Metrics {
  metrics: {
    families_total: number;
    families_matched: number;
    families_omitted: number;
    series_total: number;
    families: Array<{
      name: string;
      type: string;
      series: number;
      total?: number;
      top: Array<{ labels: string; value?: number; count?: number; sum?: number; p50?: number; p99?: number }>;
    }>;
  };
  note?: string;
}

interface Drift {
  drift: {
    pod: string;
    drifted: boolean;
    revision: { state: string; owner?: string; pod_revision?: string; current_revision?: string; detail: string };
    config_maps: Array<{ name: string; state: string; uses: string[]; changed_by?: string; effect?: string }>;
  };
}

const LONG_RUNBOOK = Array.from(
  { length: 900 },
  (_, index) => `${index}. Check step ${index} of the long runbook.`,
).join('\n');

describe('inspect_app and read_runbook against the real API server, as the read-only ServiceAccount', {
  skip,
}, () => {
  let world: World;
  let app: FakeApp;
  let sidecar: ConnectedSidecar;
  let pod: V1Pod;
  const opened: ConnectedSidecar[] = [];

  /** Another sidecar in the same world with other settings (closed at the end). */
  const connect = async (env: Record<string, string>, podName?: string) => {
    const connected = await connectSidecar(world, {
      env: { PODMCP_RATE_LIMIT: '6000', ...env },
      appHost: '127.0.0.1',
      ...(podName ? { podName } : {}),
    });
    opened.push(connected);
    return connected;
  };

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'app' });
    app = await startApp();
    const core = world.admin.makeApiClient(CoreV1Api);
    const apps = world.admin.makeApiClient(AppsV1Api);
    const namespace = world.namespace;
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'drifty-config' }, data: { 'app.yaml': 'level: info\n' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'drifty-env' }, data: { MODE: 'a' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'web-runbooks' },
        data: {
          'high-latency.md': '# High latency\n\n1. Check inspect_app metrics for http_request_duration_seconds.\n',
          'crashloop.md': 'Read this first.\n\n## CrashLoopBackOff\n\nLook at get_pod_logs with previous: true.\n',
          'long.md': LONG_RUNBOOK,
        },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: world.otherNamespace,
      body: { metadata: { name: 'b-runbooks' }, data: { 'b.md': '# Namespace B only\n' } },
    });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'drifty' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'drifty' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 as never, maxSurge: 1 as never } },
          template: {
            metadata: { labels: { app: 'drifty' } },
            spec: {
              serviceAccountName: SERVICE_ACCOUNT,
              containers: [
                {
                  name: 'app',
                  image: 'registry.example/drifty:1.0',
                  env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'drifty-env', key: 'MODE' } } }],
                  envFrom: [{ configMapRef: { name: 'drifty-optional', optional: true } }],
                  volumeMounts: [{ name: 'config', mountPath: '/etc/drifty' }],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: 'drifty-config' } }],
            },
          },
        },
      },
    });
    pod = await eventually(
      'the drifty pod Running',
      async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=drifty' });
        return list.items.find((item) => item.status?.phase === 'Running');
      },
      60_000,
    );
    sidecar = await connect(
      {
        PODMCP_APP_METRICS_PORT: String(app.port),
        PODMCP_APP_HEALTH_PORT: String(app.port),
        PODMCP_RUNBOOKS: 'web-runbooks',
      },
      pod.metadata?.name,
    );
  });
  after(async () => {
    for (const connected of opened) await connected.close();
    await app?.close();
  });

  const metrics = async (args: Record<string, unknown> = {}) =>
    callTool<Metrics>(sidecar.client, 'inspect_app', { aspect: 'metrics', ...args });

  test('metrics: families with type, series counts, top values, totals and histogram/summary quantiles', async () => {
    const { structured, text } = await metrics();
    const { families } = structured.metrics;
    assert.equal(structured.metrics.families_total, 5);
    assert.equal(structured.metrics.series_total, 7);
    // The app's own families come first; the runtime's last.
    assert.equal(families.at(-1)?.name, 'go_goroutines');
    const byName = new Map(families.map((family) => [family.name, family]));
    const requests = byName.get('http_requests_total');
    assert.equal(requests?.type, 'counter');
    assert.equal(requests?.series, 3);
    assert.equal(requests?.total, 1063);
    assert.deepEqual(requests?.top[0], { labels: 'method="GET",code="200"', value: 1027 });
    const latency = byName.get('http_request_duration_seconds')?.top[0];
    assert.equal(latency?.count, 1063);
    assert.equal(latency?.sum, 97.2);
    assert.ok(latency?.p50 !== undefined && latency.p50 > 0 && latency.p50 <= 0.05, `p50 ${latency?.p50}`);
    assert.equal(latency?.p99, 0.5, 'a rank in +Inf answers the highest finite bound');
    assert.deepEqual(byName.get('db_query_seconds')?.top[0], {
      labels: '',
      count: 2400,
      sum: 12,
      p50: 0.004,
      p99: 0.25,
    });
    assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${app.port}/metrics answered 200`));
    assert.match(text, /<<<untrusted [0-9a-f]{12}: app metrics/);
    assert.match(text, /http_request_duration_seconds \(histogram, 1 series\)/);
  });

  test('metrics: a prefix or regular-expression filter, caps that say what was left out', async () => {
    const prefix = await metrics({ filter: 'http_' });
    assert.deepEqual(prefix.structured.metrics.families.map((family) => family.name).sort(), [
      'http_request_duration_seconds',
      'http_requests_total',
    ]);
    const regex = await metrics({ filter: 'seconds$|depth' });
    assert.deepEqual(regex.structured.metrics.families.map((family) => family.name).sort(), [
      'db_query_seconds',
      'http_request_duration_seconds',
      'queue_depth',
    ]);
    const capped = await metrics({ max_families: 1, max_series: 1 });
    assert.equal(capped.structured.metrics.families.length, 1);
    assert.equal(capped.structured.metrics.families_omitted, 4);
    assert.match(capped.structured.note ?? '', /4 more matching families not shown; narrow with filter/);
    assert.match(capped.text, /… 2 more series/);
    const none = await metrics({ filter: 'nothing_like_this' });
    assert.equal(none.structured.metrics.families.length, 0);
    assert.match(none.structured.note ?? '', /No metric family matches "nothing_like_this" \(of 5\)/);
    assert.match(
      await callToolError(sidecar.client, 'inspect_app', { aspect: 'metrics', filter: '(unclosed' }),
      /filter: "\(unclosed" is not a valid regular expression/,
    );
  });

  test('health: status, latency and body; an unhealthy answer is an answer, not an error', async () => {
    const healthy = await callTool<{ health: { status: number; healthy: boolean; body: string; duration_ms: number } }>(
      sidecar.client,
      'inspect_app',
      { aspect: 'health' },
    );
    assert.equal(healthy.structured.health.status, 200);
    assert.equal(healthy.structured.health.healthy, true);
    assert.equal(healthy.structured.health.body, '{"status":"ok","db":"up"}');
    assert.equal(typeof healthy.structured.health.duration_ms, 'number');
    assert.match(healthy.text, /^Healthy: .*answered 200/);

    app.healthStatus = 503;
    app.healthBody = '{"status":"down","db":"timeout","db_password":"hunter2"}';
    try {
      const unhealthy = await callTool<{ health: { status: number; healthy: boolean; body: string } }>(
        sidecar.client,
        'inspect_app',
        { aspect: 'health' },
      );
      assert.equal(unhealthy.structured.health.status, 503);
      assert.equal(unhealthy.structured.health.healthy, false);
      assert.match(unhealthy.text, /^UNHEALTHY: .*answered 503/);
      assert.match(unhealthy.text, /<<<untrusted [0-9a-f]{12}: health body/);
      assert.ok(!unhealthy.text.includes('hunter2') && !JSON.stringify(unhealthy.structured).includes('hunter2'));
    } finally {
      app.healthStatus = 200;
      app.healthBody = '{"status":"ok","db":"up"}';
    }
  });

  test('endpoints not configured: how to enable them; not answering: said so, with what to check', async () => {
    const unconfigured = await connect({});
    assert.match(
      await callToolError(unconfigured.client, 'inspect_app', { aspect: 'metrics' }),
      /has not told podmcp where its metrics endpoint is\. To enable it, add the pod-template annotation podmcp\.dev\/app-metrics-port: "<port>"/,
    );
    assert.match(
      await callToolError(unconfigured.client, 'inspect_app', { aspect: 'health' }),
      /podmcp\.dev\/app-health-port: "<port>" \(and podmcp\.dev\/app-health-path if it is not \/healthz\)/,
    );

    const port = await closedPort();
    const broken = await connect({
      PODMCP_APP_METRICS_PORT: String(app.port),
      PODMCP_APP_METRICS_PATH: '/nope',
      PODMCP_APP_HEALTH_PORT: String(port),
    });
    assert.match(
      await callToolError(broken.client, 'inspect_app', { aspect: 'health' }),
      new RegExp(
        `did not answer its health endpoint \\(http://127\\.0\\.0\\.1:${port}/healthz: ECONNREFUSED\\)\\. Is it listening`,
      ),
    );
    assert.match(
      await callToolError(broken.client, 'inspect_app', { aspect: 'metrics' }),
      /answered 404, not metrics\. Is the path right\? Set podmcp\.dev\/app-metrics-path/,
    );

    const html = await connect({ PODMCP_APP_METRICS_PORT: String(app.port), PODMCP_APP_METRICS_PATH: '/html' });
    assert.match(
      await callToolError(html.client, 'inspect_app', { aspect: 'metrics' }),
      /did not answer in the Prometheus text format \(3 unreadable line\(s\)\)/,
    );
  });

  test('drift: a fresh pod on the current ReplicaSet with unchanged ConfigMaps has none', async () => {
    const { structured, text } = await callTool<Drift>(sidecar.client, 'inspect_app', { aspect: 'drift' });
    const drift = structured.drift;
    assert.equal(drift.pod, pod.metadata?.name);
    assert.equal(drift.drifted, false);
    assert.equal(drift.revision.state, 'current');
    assert.equal(drift.revision.owner, 'Deployment/drifty');
    const byName = new Map(drift.config_maps.map((item) => [item.name, item]));
    assert.equal(byName.get('drifty-config')?.state, 'unchanged');
    assert.deepEqual(byName.get('drifty-config')?.uses, ['volume config at /etc/drifty (app)']);
    assert.equal(byName.get('drifty-env')?.state, 'unchanged');
    assert.equal(byName.get('drifty-optional')?.state, 'missing');
    assert.equal(byName.get('drifty-optional')?.effect, 'optional: the pod runs without it');
    assert.ok(!byName.has('kube-root-ca.crt'));
    assert.match(text, /no drift found/);
  });

  test('drift: a ConfigMap changed after the pod started, then a rollout that leaves the pod on an old ReplicaSet', async () => {
    const core = world.admin.makeApiClient(CoreV1Api);
    const apps = world.admin.makeApiClient(AppsV1Api);
    const namespace = world.namespace;
    // Times are stored to the second: change the ConfigMap in a later second than the pod's start.
    const started = new Date(pod.status?.startTime ?? 0).getTime();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 1100 - Date.now())));
    const current = await core.readNamespacedConfigMap({ name: 'drifty-config', namespace });
    await core.replaceNamespacedConfigMap({
      name: 'drifty-config',
      namespace,
      body: { ...current, data: { 'app.yaml': 'level: debug\n' } },
    });
    const changed = await callTool<Drift>(sidecar.client, 'inspect_app', { aspect: 'drift' });
    const config = changed.structured.drift.config_maps.find((item) => item.name === 'drifty-config');
    assert.equal(changed.structured.drift.drifted, true);
    assert.equal(config?.state, 'changed');
    assert.ok(config?.changed_by, 'names the field manager that made the change');
    assert.match(config?.effect ?? '', /refreshed by the kubelet within about a minute, but the app must re-read them/);
    assert.equal(changed.structured.drift.config_maps.find((item) => item.name === 'drifty-env')?.state, 'unchanged');
    assert.match(changed.text, /DRIFTED/);

    // A new template whose pod can never be scheduled: with maxUnavailable 0 the old pod stays.
    const deployment = await apps.readNamespacedDeployment({ name: 'drifty', namespace });
    const template = deployment.spec?.template;
    if (!template?.spec) throw new Error('drifty has no template');
    template.spec.nodeSelector = { 'podmcp.dev/no-such-node': 'true' };
    await apps.replaceNamespacedDeployment({ name: 'drifty', namespace, body: deployment });
    const outdated = await eventually('the pod to be on an outdated ReplicaSet', async () => {
      const answer = await callTool<Drift>(sidecar.client, 'inspect_app', { aspect: 'drift' });
      return answer.structured.drift.revision.state === 'outdated' ? answer : undefined;
    });
    const revision = outdated.structured.drift.revision;
    assert.match(revision.pod_revision ?? '', /^1 \(ReplicaSet drifty-/);
    assert.match(revision.current_revision ?? '', /^2 \(ReplicaSet drifty-/);
    assert.match(revision.detail, /older template than the Deployment's current one; rollout progressing/);
    assert.equal(outdated.structured.drift.pod, pod.metadata?.name, 'the same pod, still running');
  });

  test('drift for StatefulSet and DaemonSet pods (revision hash / template generation), and a Job pod', async () => {
    const core = world.admin.makeApiClient(CoreV1Api);
    const apps = world.admin.makeApiClient(AppsV1Api);
    const namespace = world.namespace;
    const template = (app: string, extra: Record<string, unknown> = {}) => ({
      metadata: { labels: { app } },
      spec: {
        serviceAccountName: SERVICE_ACCOUNT,
        containers: [{ name: 'main', image: `registry.example/${app}:1` }],
        ...extra,
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'store' },
        spec: {
          replicas: 1,
          serviceName: 'store',
          selector: { matchLabels: { app: 'store' } },
          template: template('store'),
        },
      },
    });
    await apps.createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: { name: 'agent' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
      },
    });
    await world.admin.makeApiClient(BatchV1Api).createNamespacedJob({
      namespace,
      body: { metadata: { name: 'once' }, spec: { template: template('once', { restartPolicy: 'Never' }) as never } },
    });
    const podOf = (app: string) =>
      eventually(`a pod of ${app}`, async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
        return list.items[0]?.metadata?.name;
      });
    const driftOf = async (app: string) => {
      const name = await podOf(app);
      return eventually(`drift of ${name} to settle`, async () => {
        const answer = await callTool<Drift>(sidecar.client, 'inspect_app', { aspect: 'drift', pod: name });
        return answer.structured.drift.revision.state !== 'unknown' ? answer.structured.drift.revision : undefined;
      });
    };
    const store = await driftOf('store');
    assert.equal(store.state, 'current');
    assert.equal(store.owner, 'StatefulSet/store');
    assert.match(store.current_revision ?? '', /^store-/);
    const agent = await driftOf('agent');
    assert.equal(agent.state, 'current');
    assert.equal(agent.owner, 'DaemonSet/agent');
    assert.equal(agent.pod_revision, '1');
    const once = await driftOf('once');
    assert.equal(once.state, 'not-applicable');
    assert.equal(once.owner, 'Job/once');
  });

  test('drift: another pod by name; a pod that does not exist names those that do; no own pod says so', async () => {
    const named = await callTool<Drift>(sidecar.client, 'inspect_app', { aspect: 'drift', pod: pod.metadata?.name });
    assert.equal(named.structured.drift.pod, pod.metadata?.name);
    assert.match(
      await callToolError(sidecar.client, 'inspect_app', { aspect: 'drift', pod: 'nope' }),
      /Pod "nope" does not exist in namespace app-\d+-a\. Pods: .*drifty-.*Omit pod to check this sidecar.s own pod/,
    );
    const podless = await connect({});
    assert.match(
      await callToolError(podless.client, 'inspect_app', { aspect: 'drift' }),
      /not running in a pod, so it has no pod of its own to check; name one with pod/,
    );
  });

  test('read_runbook: lists runbooks by their first heading; reads one by name, with or without .md', async () => {
    const list = await callTool<{ config_map: string; runbooks: Array<{ name: string; title: string }> }>(
      sidecar.client,
      'read_runbook',
    );
    assert.equal(list.structured.config_map, 'web-runbooks');
    assert.deepEqual(
      list.structured.runbooks.map((runbook) => [runbook.name, runbook.title]),
      [
        ['crashloop.md', 'CrashLoopBackOff'],
        ['high-latency.md', 'High latency'],
        ['long.md', '0. Check step 0 of the long runbook.'],
      ],
    );
    const one = await callTool<{ name: string; markdown: string; next_offset?: number }>(
      sidecar.client,
      'read_runbook',
      { name: 'high-latency' },
    );
    assert.equal(one.structured.name, 'high-latency.md');
    assert.match(one.structured.markdown, /^# High latency/);
    assert.equal(one.structured.next_offset, undefined);
    assert.match(one.text, /<<<untrusted [0-9a-f]{12}: runbook high-latency\.md/);
  });

  test('read_runbook: a long runbook comes in parts that join up exactly', async () => {
    let offset = 0;
    let joined = '';
    for (let part = 0; part < 10; part += 1) {
      const { structured, text } = await callTool<{ markdown: string; next_offset?: number; bytes: number }>(
        sidecar.client,
        'read_runbook',
        { name: 'long.md', offset },
      );
      joined += structured.markdown;
      if (structured.next_offset === undefined) break;
      assert.match(text, new RegExp(`Continues: call again with offset ${structured.next_offset}`));
      offset = structured.next_offset;
    }
    assert.ok(offset > 0, 'the runbook needed more than one part');
    assert.equal(joined, LONG_RUNBOOK);
    assert.match(
      await callToolError(sidecar.client, 'read_runbook', { name: 'long.md', offset: 10_000_000 }),
      /offset/,
    );
  });

  test('read_runbook failures: unknown name lists the runbooks; unconfigured, missing and other-namespace ConfigMaps', async () => {
    assert.match(
      await callToolError(sidecar.client, 'read_runbook', { name: 'disk-full' }),
      /There is no runbook "disk-full" in ConfigMap web-runbooks\. Runbooks: crashloop\.md \(CrashLoopBackOff\), high-latency\.md \(High latency\)/,
    );
    const unconfigured = await connect({});
    assert.match(
      await callToolError(unconfigured.client, 'read_runbook'),
      /No runbooks are configured for this workload\. To add them, create a ConfigMap .* set the pod-template annotation podmcp\.dev\/runbooks: <configmap-name>/,
    );
    const missing = await connect({ PODMCP_RUNBOOKS: 'missing-runbooks' });
    assert.match(
      await callToolError(missing.client, 'read_runbook'),
      /The runbooks ConfigMap "missing-runbooks" \(named by podmcp\.dev\/runbooks\) does not exist in namespace app-\d+-a/,
    );
    const elsewhere = await connect({ PODMCP_RUNBOOKS: 'b-runbooks' });
    const error = await callToolError(elsewhere.client, 'read_runbook');
    assert.match(error, /"b-runbooks" .* does not exist in namespace app-\d+-a/);
    assert.ok(!error.includes('Namespace B only'));
  });
});
