/**
 * query_metrics against a real Prometheus (built from source, history backfilled with promtool) and the real
 * control plane, as the shipped read-only ServiceAccount. Prometheus holds two hours of data for the sidecar's
 * namespace and for another one; every series carries `tenant="<namespace>"`, so an answer holding anything of
 * the other namespace shows even where the namespace label is dropped. No query — adversarial ones included —
 * may return a series of the other namespace. A Prometheus that is unreachable, never answers, or answers an
 * error is a finding of the one call, and the sidecar goes on serving.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api } from '@kubernetes/client-node';
import fc from 'fast-check';
import { createCertificateAuthority, issueServingCertificate } from '../../../packages/injector/src/certificates.ts';
import {
  enforceNamespace,
  QueryRefused,
  selectorProblems,
} from '../../../packages/sidecar/src/metrics-history/promql.ts';
import { promqlArbitrary } from '../../../packages/sidecar/test/promql-arbitrary.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { prometheusForSuite } from '../../prometheus/harness.ts';
import { ERRORS_FROM_MINUTE, MIB, twoNamespaceHistory } from '../../prometheus/history.ts';
import {
  type ConnectedSidecar,
  callTool,
  callToolError,
  connectSidecar,
  createWorld,
  SERVICE_ACCOUNT,
  type World,
} from './fixture.ts';

// createWorld names the first world of this file `<prefix>-1-a` and `<prefix>-1-b`; the history is written
// for those names before Prometheus starts.
const OWN = 'mh-1-a';
const OTHER = 'mh-1-b';
const history = twoNamespaceHistory(OWN, OTHER, Date.now() / 1000 - 60);

const { plane, skip: planeSkip } = await controlPlaneForSuite();
const { prometheus, skip: prometheusSkip } = planeSkip
  ? { prometheus: undefined, skip: planeSkip }
  : await prometheusForSuite(history.text);
const skip = planeSkip || prometheusSkip;

interface Answer {
  namespace: string;
  query: string;
  kind: 'instant' | 'range';
  result_type: string;
  scalar?: number | string;
  series: Array<{
    labels: Record<string, string>;
    value?: number;
    summary?: {
      first: number;
      last: number;
      min: number;
      max: number;
      trend: string;
      slope_per_minute: number;
      change_points: Array<{ at: string; from: number; to: number }>;
    };
  }>;
  series_total: number;
  omitted: number;
  notes: string[];
}

/** Every series in Prometheus's own answer to `query` (sent as is), for checking what an enforced query selects. */
async function rawSeries(query: string): Promise<Array<Record<string, string>>> {
  const response = await fetch(`${prometheus?.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    status: string;
    data?: { result?: Array<{ metric: Record<string, string> }> };
  };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return (body.data?.result ?? []).map((item) => item.metric);
}

/** Prometheus's answer on one of its API paths for `query`, as is (status success or error). */
async function prometheusApi(path: string, query: string): Promise<{ status: string; data?: unknown }> {
  const response = await fetch(`${prometheus?.url}/api/v1/${path}?query=${encodeURIComponent(query)}`);
  return (await response.json()) as { status: string; data?: unknown };
}

/** The matchers of every vector or matrix selector in Prometheus's own syntax tree (parse_query), wherever it is. */
function vectorSelectors(node: unknown): Array<Array<{ name: string; type: string; value: string }>> {
  if (!node || typeof node !== 'object') return [];
  const found: Array<Array<{ name: string; type: string; value: string }>> = [];
  const object = node as Record<string, unknown>;
  if (object.type === 'vectorSelector' || object.type === 'matrixSelector')
    found.push(object.matchers as Array<{ name: string; type: string; value: string }>);
  for (const value of Object.values(object)) found.push(...vectorSelectors(value));
  return found;
}

describe('query_metrics against a real Prometheus', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  // The adversarial lists are long; the per-caller rate limit is not what this suite tests.
  const env = () => ({
    PODMCP_PROMETHEUS_URL: prometheus?.url ?? '',
    PODMCP_PROMETHEUS_TIMEOUT_SECONDS: '10',
    PODMCP_RATE_LIMIT: '6000',
  });

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'mh' });
    assert.deepEqual([world.namespace, world.otherNamespace], [OWN, OTHER]);
    sidecar = await connectSidecar(world, { env: env() });
  });
  after(async () => {
    await sidecar?.close();
  });

  const query = (args: Record<string, unknown>) => callTool<Answer>(sidecar.client, 'query_metrics', args);

  /** The answer holds nothing of the other namespace, and the query that ran selects nothing of it either. */
  async function assertOwnOnly(answer: Answer): Promise<void> {
    for (const series of answer.series) {
      assert.notEqual(series.labels.tenant, OTHER, `${answer.query} returned ${JSON.stringify(series.labels)}`);
      assert.ok(!Object.values(series.labels).includes(OTHER), `${answer.query}: ${JSON.stringify(series.labels)}`);
    }
    for (const labels of await rawSeries(answer.query)) {
      assert.notEqual(labels.tenant, OTHER, `${answer.query} selects ${JSON.stringify(labels)}`);
      assert.notEqual(labels.namespace, OTHER, `${answer.query} selects ${JSON.stringify(labels)}`);
    }
  }

  test('the history really holds the other namespace (so the isolation checks below can fail)', async () => {
    assert.equal((await rawSeries('only_in_other')).length, 1);
    assert.ok((await rawSeries(`http_requests_total{namespace="${OTHER}"}`)).length > 0);
  });

  test('listed only when configured', async () => {
    const tools = (await sidecar.client.listTools()).tools.map((tool) => tool.name);
    assert.ok(tools.includes('query_metrics'));
    const unconfigured = await connectSidecar(world);
    try {
      const names = (await unconfigured.client.listTools()).tools.map((tool) => tool.name);
      assert.ok(!names.includes('query_metrics'), names.join(','));
    } finally {
      await unconfigured.close();
    }
  });

  test('an instant query: the own namespace only, and the answer states the enforced query', async () => {
    const { structured, text } = await query({ query: 'http_requests_total' });
    assert.equal(structured.query, `http_requests_total{namespace="${OWN}"}`);
    assert.match(text, new RegExp(`Query that ran: http_requests_total\\{namespace="${OWN}"\\}`));
    assert.equal(structured.series_total, 2);
    assert.deepEqual(structured.series.map((series) => series.labels.code).sort(), ['200', '500']);
    for (const series of structured.series) assert.equal(series.labels.tenant, OWN);
    await assertOwnOnly(structured);
  });

  test('a range query is summarised: the error rate starts at the half-way mark, memory grows', async () => {
    const errors = await query({ query: 'sum(rate(http_requests_total{code="500"}[5m]))', range_minutes: 110 });
    assert.equal(errors.structured.kind, 'range');
    const [rate] = errors.structured.series;
    assert.ok(rate?.summary, JSON.stringify(errors.structured));
    assert.equal(rate.summary.first, 0);
    assert.equal(rate.summary.max, 0.5);
    assert.equal(rate.summary.trend, 'rising');
    const [change] = [...rate.summary.change_points].sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from));
    assert.ok(change, JSON.stringify(rate.summary));
    const changeMinute = (Date.parse(change.at) / 1000 - history.start) / 60;
    assert.ok(Math.abs(changeMinute - ERRORS_FROM_MINUTE) <= 6, `change at minute ${changeMinute}`);

    const memory = await query({ query: 'container_memory_working_set_bytes', range_minutes: 100 });
    const [series] = memory.structured.series;
    assert.equal(series?.summary?.trend, 'rising');
    assert.ok((series?.summary?.slope_per_minute ?? 0) > 1 * MIB, JSON.stringify(series?.summary));
    assert.ok((series?.summary?.max ?? 0) > 250 * MIB);
    await assertOwnOnly(memory.structured);
  });

  const OWN_ONLY_QUERIES = [
    '{__name__=~".+"}',
    '{__name__=~"only_in_.*"}',
    'only_in_other',
    `only_in_other{namespace="${OWN}"}`,
    'sum by (tenant) ({__name__=~".+"})',
    'count({__name__=~".+"}) by (namespace, tenant)',
    'max_over_time(only_in_other[1h:1m])',
    'last_over_time({__name__=~"only_in_other|http_requests_total"}[2h:5m] offset 10m)',
    'only_in_other offset -30m or {tenant=~".+"} @ end()',
    'vector(1) or only_in_other',
    'http_requests_total or on() only_in_other',
    'sum(container_memory_working_set_bytes) + on() group_left() sum(only_in_other)',
    'label_replace({__name__=~".+"}, "tenant_copy", "$1", "tenant", "(.*)")',
    'label_replace(http_requests_total, "pod", "$1", "namespace", "(.*)")',
    'absent(only_in_other)',
    'topk(100, {__name__=~".+"})',
    'sort_desc(count_values("value", {__name__=~".+"}))',
    "{'__name__'=~'.+', tenant!=''}",
    '{"only_in_other"}',
    'sum(http_requests_total) # only_in_other{namespace="x"}\n',
  ];

  test('adversarial queries that can be enforced return nothing of the other namespace', async () => {
    for (const promql of OWN_ONLY_QUERIES) {
      for (const range of [undefined, 60]) {
        const { structured } = await query({ query: promql, ...(range ? { range_minutes: range } : {}) });
        assert.ok(structured.query.includes(`namespace="${OWN}"`), structured.query);
        await assertOwnOnly(structured);
      }
    }
    // The broadest of them still finds the own data: enforcement narrows, it does not blind.
    const everything = await query({ query: 'count by (tenant) ({__name__=~".+"})' });
    assert.deepEqual(
      everything.structured.series.map((series) => series.labels.tenant),
      [OWN],
    );
  });

  const REFUSED_QUERIES: Array<[string, RegExp]> = [
    [`only_in_other{namespace="${OTHER}"}`, /namespace matcher other than/],
    ['{namespace=~".+"}', /namespace matcher other than/],
    [`{namespace=~"${OWN}|${OTHER}"}`, /namespace matcher other than/],
    [`{namespace=~"${OWN}"}`, /namespace matcher other than/],
    [`http_requests_total{namespace!="${OWN}"}`, /namespace matcher other than/],
    [`{"namespace"="${OTHER}"}`, /namespace matcher other than/],
    [`http_requests_total or only_in_other{namespace="${OTHER}"}`, /namespace matcher other than/],
    [`max_over_time(only_in_other{namespace="${OTHER}"}[1h:1m])`, /namespace matcher other than/],
    [`only_in_other{namespace="${OTHER}"} offset 1h`, /namespace matcher other than/],
    [`label_replace(only_in_other, "namespace", "${OWN}", "", "")`, /label_replace may not write/],
    [`label_join(only_in_other, "namespace", "", "tenant")`, /label_join may not write/],
    ['count_values("namespace", only_in_other)', /count_values may not write/],
    [`sum(x) # comment\n or only_in_other{namespace="${OTHER}"}`, /namespace matcher other than/],
    ['rate(http_requests_total[30d])', /7-day limit/],
    ['max_over_time(http_requests_total[7d:1s])', /steps/],
    ['only_in_other{', /does not parse/],
    ['info(http_requests_total)', /not supported/],
  ];

  test('what cannot be enforced is refused, with the reason', async () => {
    for (const [promql, reason] of REFUSED_QUERIES) {
      const text = await callToolError(sidecar.client, 'query_metrics', { query: promql });
      assert.match(text, /query refused/, promql);
      assert.match(text, reason, promql);
    }
  });

  test('a very long range is bounded to a fixed number of points', async () => {
    const { structured } = await query({
      query: 'node_load1 or http_requests_total',
      range_minutes: 7 * 24 * 60,
      step_seconds: 15,
    });
    assert.ok(
      structured.notes.some((note) => /step raised/.test(note)),
      structured.notes.join('\n'),
    );
    for (const series of structured.series) assert.ok((series.summary?.first ?? 0) >= 0);
    await assertOwnOnly(structured);
  });

  test("Prometheus's own error (a type error) is a finding, and the next call works", async () => {
    const text = await callToolError(sidecar.client, 'query_metrics', { query: 'rate(http_requests_total)' });
    assert.match(text, /metric history unavailable: .*bad_data/);
    assert.match(text, new RegExp(`The query was: rate\\(http_requests_total\\{namespace="${OWN}"\\}\\)`));
    await query({ query: 'http_requests_total' });
  });

  test("generated PromQL: Prometheus's own parser finds the namespace on every selector, and no answer holds the other namespace", async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(promqlArbitrary(OWN, OTHER), async (promql) => {
        let text: string;
        try {
          text = enforceNamespace(promql, OWN).text;
        } catch (error) {
          assert.ok(error instanceof QueryRefused, `${promql}: ${String(error)}`);
          return;
        }
        const parsed = await prometheusApi('parse_query', text);
        // A type error (rate of a scalar, …) is Prometheus refusing the query: nothing to check, nothing leaked.
        if (parsed.status !== 'success') return;
        const selectors = vectorSelectors(parsed.data);
        // Prometheus sees as many selectors as the rewrite wrote: none hidden from the grammar, none lost.
        assert.equal(selectors.length, selectorProblems(text, '\u0000none').length, text);
        for (const matchers of selectors) {
          const own = matchers.filter((matcher) => matcher.name === 'namespace');
          assert.deepEqual(own, [{ name: 'namespace', type: '=', value: OWN }], `${promql}\n=> ${text}`);
        }
        const answer = await prometheusApi('query', text);
        if (answer.status === 'success') {
          for (const series of (answer.data as { result?: Array<{ metric?: Record<string, string> }> }).result ?? []) {
            assert.notEqual(series.metric?.tenant, OTHER, `${text} returned ${JSON.stringify(series.metric)}`);
            assert.notEqual(series.metric?.namespace, OTHER, `${text} returned ${JSON.stringify(series.metric)}`);
          }
        }
        checked += 1;
      }),
      { numRuns: 250 },
    );
    assert.ok(checked > 80, `only ${checked} generated queries reached Prometheus`);
  });

  test("the workload_metric_history prompt gathers the workload's last hour, own namespace only", async () => {
    const prompts = (await sidecar.client.listPrompts()).prompts.map((prompt) => prompt.name);
    assert.ok(prompts.includes('workload_metric_history'), prompts.join(','));
    const result = await sidecar.client.getPrompt({
      name: 'workload_metric_history',
      arguments: { workload: 'deploy/web' },
    });
    const text = result.messages.map((message) => (message.content as { text?: string }).text ?? '').join('\n');
    assert.match(text, /## Memory working set \(bytes\) by pod[\s\S]*\{pod="web-1"\} last [\d.e+]+, .*rising/);
    assert.match(text, /## Container restarts[\s\S]*\{container="app", pod="web-1"\} last 2,/);
    assert.match(
      text,
      new RegExp(
        `Query that ran: sum by \\(code\\) \\(rate\\(http_requests_total\\{pod=~"web-\\.\\*", namespace="${OWN}"\\}`,
      ),
    );
    assert.ok(!text.includes(OTHER), 'the prompt mentions the other namespace');
    const unconfigured = await connectSidecar(world);
    try {
      const names = (await unconfigured.client.listPrompts()).prompts.map((prompt) => prompt.name);
      assert.ok(!names.includes('workload_metric_history'));
    } finally {
      await unconfigured.close();
    }
  });

  test('diagnose adds the last hour: memory climbing, restarts, the 5xx ratio; and says when there is no Prometheus', async () => {
    const labels = { app: 'web' };
    await world.admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: OWN,
      body: {
        metadata: { name: 'web', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] },
          },
        },
      },
    });
    const { structured, text } = await callTool<{ metric_history?: { configured: boolean; lines: string[] } }>(
      sidecar.client,
      'diagnose',
      { workload: 'deploy/web' },
    );
    assert.equal(structured.metric_history?.configured, true);
    const lines = structured.metric_history?.lines.join('\n') ?? '';
    assert.match(lines, /Memory of web-1\/app rose from [\d.]+ MiB to [\d.]+ MiB/);
    assert.match(lines, /web-1\/app restarted [12] time\(s\)/);
    assert.match(lines, /5xx ratio/);
    assert.ok(!lines.includes(OTHER));
    assert.match(text, /Metric history \(last 60 min\):\n- /);

    const unconfigured = await connectSidecar(world);
    try {
      const plain = await callTool<{ metric_history?: { configured: boolean } }>(unconfigured.client, 'diagnose', {
        workload: 'deploy/web',
      });
      assert.equal(plain.structured.metric_history?.configured, false);
      assert.match(plain.text, /Metric history \(last 60 min\):\n- Not configured/);
    } finally {
      await unconfigured.close();
    }
  });

  describe('a Prometheus that is unreachable, never answers, or answers an error', () => {
    const servers: Server[] = [];
    const sockets = new Set<Socket>();
    after(async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    });

    async function loopback(handler: Parameters<typeof createServer>[1]): Promise<string> {
      const server = createServer(handler);
      server.on('connection', (socket) => sockets.add(socket));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    async function withPrometheusAt(
      url: string,
      timeoutSeconds: string,
      check: (client: ConnectedSidecar) => Promise<void>,
    ) {
      const connected = await connectSidecar(world, {
        env: { PODMCP_PROMETHEUS_URL: url, PODMCP_PROMETHEUS_TIMEOUT_SECONDS: timeoutSeconds },
      });
      try {
        await check(connected);
        // Nothing else is lost: the Kubernetes tools of the same session still answer.
        await callTool(connected.client, 'list_pods');
      } finally {
        await connected.close();
      }
    }

    test('unreachable', async () => {
      const closed = await loopback(() => {});
      await new Promise((resolve) => servers.pop()?.close(resolve));
      await withPrometheusAt(closed, '5', async ({ client }) => {
        // diagnose still answers, with the metric history's failure as one line.
        const diagnosis = await callTool<{ metric_history?: { lines: string[] } }>(client, 'diagnose', {
          workload: 'deploy/web',
        });
        assert.match(diagnosis.structured.metric_history?.lines.join('\n') ?? '', /unreachable/);
        const text = await callToolError(client, 'query_metrics', { query: 'up' });
        assert.match(
          text,
          /metric history unavailable: Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable: .*ECONNREFUSED/,
        );
        assert.match(text, new RegExp(`up\\{namespace="${OWN}"\\}`));
      });
    });

    test('never answers: the per-request timeout ends the call', async () => {
      const silent = await loopback(() => {
        // Accepts the request and never responds.
      });
      await withPrometheusAt(silent, '1', async ({ client }) => {
        const text = await callToolError(client, 'query_metrics', { query: 'up', range_minutes: 30 });
        assert.match(text, /did not answer within 1 s/);
      });
    });

    test('answers an error', async () => {
      const failing = await loopback((_request, response) => {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'storage is starting' }));
      });
      await withPrometheusAt(failing, '5', async ({ client }) => {
        const text = await callToolError(client, 'query_metrics', { query: 'up' });
        assert.match(text, /HTTP 503: unavailable: storage is starting/);
      });
    });

    test("https with a private CA, a token bound to Prometheus's audience as the bearer, never the API token", async () => {
      if (!plane) return;
      const audience = 'prometheus';
      const ca = await createCertificateAuthority('podmcp-test-prometheus-ca', 1);
      const serving = await issueServingCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] }, 1);
      const reviews = plane.kubeConfig.makeApiClient(AuthenticationV1Api);
      /** What the API server says of a token for an audience (none: its own). */
      const review = async (token: string, audiences?: string[]) =>
        (await reviews.createTokenReview({ body: { spec: { token, ...(audiences ? { audiences } : {}) } } })).status;
      const seen: string[] = [];
      // Stands in for kube-rbac-proxy with --auth-token-audiences=prometheus: a real TokenReview for that
      // audience, then forwards to the real Prometheus.
      const proxy = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, async (request, response) => {
        const presented = request.headers.authorization ?? '';
        seen.push(presented);
        const token = presented.replace(/^Bearer /, '');
        const status = await review(token, [audience]);
        if (!status?.authenticated || !status.audiences?.includes(audience)) {
          response.writeHead(401).end('Unauthorized');
          return;
        }
        const body = await new Promise<string>((resolve) => {
          let text = '';
          request.on('data', (chunk) => {
            text += chunk;
          });
          request.on('end', () => resolve(text));
        });
        const upstream = await fetch(`${prometheus?.url}${request.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      });
      proxy.on('secureConnection', (socket) => sockets.add(socket));
      servers.push(proxy);
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

      // As the injector mounts them: the API token, and a second projected token for the Prometheus audience.
      const minted = await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        namespace: world.namespace,
        name: SERVICE_ACCOUNT,
        body: { spec: { audiences: [audience], expirationSeconds: 3600 } },
      });
      const prometheusToken = minted.status?.token ?? '';
      assert.ok(prometheusToken);
      const directory = mkdtempSync(join(tmpdir(), 'podmcp-token-'));
      after(() => rmSync(directory, { recursive: true, force: true }));
      const apiTokenFile = join(directory, 'api-token');
      writeFileSync(apiTokenFile, `${world.sidecarToken}\n`);
      const prometheusTokenFile = join(directory, 'prometheus-token');
      writeFileSync(prometheusTokenFile, `${prometheusToken}\n`);
      const connect = (env: Record<string, string>) =>
        connectSidecar(world, {
          env: {
            PODMCP_PROMETHEUS_URL: url,
            PODMCP_PROMETHEUS_AUTH: 'service-account',
            PODMCP_PROMETHEUS_TOKEN_AUDIENCE: audience,
            PODMCP_PROMETHEUS_TOKEN_FILE: prometheusTokenFile,
            PODMCP_TOKEN_FILE: apiTokenFile,
            ...env,
          },
        });

      const trusted = await connect({ PODMCP_PROMETHEUS_CA: ca.certPem });
      try {
        const { structured, text } = await callTool<Answer>(trusted.client, 'query_metrics', {
          query: 'http_requests_total',
        });
        assert.equal(structured.series_total, 2);
        for (const token of [prometheusToken, world.sidecarToken]) {
          assert.ok(!text.includes(token) && !JSON.stringify(structured).includes(token));
        }
        // (a) What reached the proxy is the Prometheus token, and the API server vouches for it for that audience.
        assert.deepEqual(seen, [`Bearer ${prometheusToken}`]);
        const accepted = await review(prometheusToken, [audience]);
        assert.equal(accepted?.authenticated, true);
        assert.equal(accepted?.user?.username, `system:serviceaccount:${world.namespace}:${SERVICE_ACCOUNT}`);
      } finally {
        await trusted.close();
      }

      // (b) Whoever runs the proxy cannot replay that token against the API: not for the API's audience, and
      // not as a bearer, although the ServiceAccount itself may list pods here.
      assert.notEqual((await review(prometheusToken))?.authenticated, true);
      await assert.rejects(
        plane.kubeConfigForToken(prometheusToken).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: OWN }),
        (error: { code?: number }) => {
          assert.equal(error.code, 401);
          return true;
        },
      );
      await plane.kubeConfigForToken(world.sidecarToken).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: OWN });
      assert.notEqual((await review(world.sidecarToken, [audience]))?.authenticated, true);

      const untrusted = await connect({});
      try {
        const text = await callToolError(untrusted.client, 'query_metrics', { query: 'up' });
        assert.match(text, /unreachable: .*(certificate|self.signed|SELF_SIGNED)/i);
      } finally {
        await untrusted.close();
      }

      // (c) The API token is never sent: the sidecar refuses it even when it is what the Prometheus token file
      // holds, and refuses to start with the API token's file as the Prometheus token file.
      const before = seen.length;
      writeFileSync(prometheusTokenFile, `${world.sidecarToken}\n`);
      const apiToken = await connect({ PODMCP_PROMETHEUS_CA: ca.certPem });
      try {
        const text = await callToolError(apiToken.client, 'query_metrics', { query: 'up' });
        assert.match(text, /is not sent: its audience is .*, not prometheus alone/);
        assert.ok(!text.includes(world.sidecarToken));
      } finally {
        await apiToken.close();
      }
      assert.equal(seen.length, before, 'nothing reached the proxy');
      await assert.rejects(connect({ PODMCP_PROMETHEUS_TOKEN_FILE: apiTokenFile }), /is the sidecar's API token/);
      assert.ok(!seen.includes(`Bearer ${world.sidecarToken}`));

      // A token that claims the audience but that the API server did not issue is refused by the proxy.
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const forged = `${part({ alg: 'RS256' })}.${part({ aud: [audience], sub: 'system:serviceaccount:x:y' })}.c2ln`;
      writeFileSync(prometheusTokenFile, forged);
      const forgedToken = await connect({ PODMCP_PROMETHEUS_CA: ca.certPem });
      try {
        const text = await callToolError(forgedToken.client, 'query_metrics', { query: 'up' });
        assert.match(text, /Prometheus refused the request \(HTTP 401\)/);
        assert.ok(!text.includes(forged));
      } finally {
        await forgedToken.close();
      }
      assert.equal(seen.at(-1), `Bearer ${forged}`);
    });

    test('answers too much', async () => {
      const flood = await loopback((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        for (let i = 0; i < 6; i++) response.write(chunk);
        response.end();
      });
      await withPrometheusAt(flood, '5', async ({ client }) => {
        const text = await callToolError(client, 'query_metrics', { query: 'up' });
        assert.match(text, /larger than 4 MiB/);
      });
    });
  });
});
