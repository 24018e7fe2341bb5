/** The sidecar benchmark's results: their shape, the goals they are held to, and the markdown tables. */

import { parseQuantity } from '@podmcp/core';
import { ratio } from '../shared/stats.ts';
import { type RateRun, renderRateTable } from '../webhook/rate.ts';
import { type Catalogue, type CatalogueRow, perToolVerdict, renderCatalogueMarkdown } from './catalogue.ts';
import type { LoadSection } from './load.ts';
import type { ServerName } from './mcp-servers.ts';
import type { Operation } from './operations.ts';
import type { SidecarBenchOptions } from './options.ts';
import type { Seeded } from './seed.ts';
import { renderSessionMarkdown, type SessionResults } from './session-cost/report.ts';

export interface LatencyRow {
  readonly operation: Operation;
  readonly server: ServerName | 'direct';
  readonly tool: string;
  readonly args: unknown;
  readonly calls: number;
  readonly errors: number;
  readonly errorSample: string | undefined;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly textBytes: number | null;
  readonly resultBytes: number | null;
  readonly tokens: number | null;
}

export interface SidecarResults {
  meta: {
    date: string;
    quick: boolean;
    node: string;
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    kubernetes: string;
    external: boolean;
    auditLog: boolean;
    options: SidecarBenchOptions;
    seeded: Seeded;
    namespace: string;
    totalSeconds: number;
  };
  servers: Array<{ name: ServerName; version: string; describe: string; tools: readonly string[] }>;
  /** podmcp as the image runs it (bundle, baked compile cache, the injector's NODE_OPTIONS): cold start and idle only. */
  image: { describe: string } | null;
  footprint: Array<{
    server: FootprintName;
    coldStartMs: number[];
    coldStartMedianMs: number | null;
    rssAfterStartBytes: number | null;
    rssAfterIdleBytes: number | null;
  }>;
  latency: LatencyRow[];
  apiCost: {
    idleSeconds: number;
    /** Requests while idle: podmcp's own counter (metrics) and the audit log's count by user agent. */
    idle: Record<string, { metrics: number | null; audit: number | null }>;
    /** What the idle requests were, by user agent, verb and path, with counts (audit log). */
    idleRequests: Record<string, number>;
    perCall: Array<{
      server: ServerName;
      operation: Operation;
      metrics: number | null;
      audit: number | null;
      userAgents: string[];
      requests: string[];
    }>;
    /** Requests RBAC refused (403), by user agent. */
    forbidden: Record<string, string[]>;
  };
  /** The tool catalogue as a model sees it (catalogue.ts), against the Go peer's. */
  catalogue: { reference: ServerName; catalogues: Catalogue[]; rows: CatalogueRow[] };
  /** podmcp under load. */
  load: LoadSection;
  /** The Go peer under the same load (same clients, same calls), when the peers run. */
  peerLoad: LoadSection | null;
  /** The injected sidecar's default resources (packages/core's DEFAULTS) and the heap caps the injector derives. */
  sidecarDefaults: { memoryRequest: string; memoryLimit: string; injectedEnv: string };
  webhook: unknown;
  /** The webhook and the baseline at a fixed request rate (bench/webhook/rate.ts). */
  webhookAtRate: RateRun[];
  /** Six broken workloads, each server with its fixed runbook (bench/sidecar/session-cost/main.ts). */
  session: SessionResults;
  podmcpErrors: number;
  /** Sections that failed and were left empty (the exit status is then 1). */
  failures: string[];
  /** Issue 15's goals. */
  goals: Goal[];
  /** Goals set before issue 15, still reported. */
  earlierGoals: Goal[];
}

export interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

/** The footprint's podmcp run from the image's bundle, next to the servers run as in every other section. */
export const IMAGE_LABEL = 'podmcp (image bundle)';
export type FootprintName = ServerName | typeof IMAGE_LABEL;

const GO: ServerName = 'kubernetes-mcp-server';
/** Issue 15's limits. */
export const LIMITS = {
  coldStartMs: 300,
  coldStartVsGo: 3,
  latencyVsDirect: 1.0,
  loadMemoryBytes: 128 * 2 ** 20,
  memoryRequestBytes: 96 * 2 ** 20,
  webhookCpuVsBare: 1.5,
  webhookHugeP99Ms: 50,
  webhookThroughputVsBare: 0.8,
} as const;

const mib = (bytes: number | null | undefined) => (bytes == null ? '–' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const ms = (value: number | null | undefined) => (value == null ? '–' : `${value.toFixed(value < 10 ? 2 : 1)} ms`);
const times = (value: number | null | undefined) => (value == null ? '–' : `${value.toFixed(2)}×`);
const bytes = (value: number | null | undefined) =>
  value == null ? '–' : value >= 10_240 ? `${(value / 1024).toFixed(1)} KiB` : `${value} B`;

interface WebhookScenario {
  name: string;
  webhook: { requestsPerSecond: number; latencyMs: { p50: number; p99: number } };
  baseline: { requestsPerSecond: number; latencyMs: { p50: number; p99: number } };
  ratios: { throughput: number | null; p99: number | null; cpuPerRequest: number | null };
}

function webhookScenarios(webhook: unknown): WebhookScenario[] {
  const scenarios = (webhook as { scenarios?: WebhookScenario[] } | undefined)?.scenarios;
  return Array.isArray(scenarios) ? scenarios : [];
}

/** Issue 15's goals, each with what was measured and whether it was met (null: not measured in this run). */
export function evaluateGoals(results: SidecarResults): Goal[] {
  const foot = (name: FootprintName) => results.footprint.find((row) => row.server === name);
  const go = foot(GO);
  const sources = foot('podmcp');
  const image = foot(IMAGE_LABEL);
  // The image is what an injected pod runs; the sources are what every other section runs.
  const podmcp = image ?? sources;
  const as = image ? 'image bundle' : 'sources';
  const fromSources = image ? `; from the sources ${mib(sources?.rssAfterIdleBytes)}` : '';
  const goals: Goal[] = [];

  const rss = ratio(podmcp?.rssAfterIdleBytes, go?.rssAfterIdleBytes);
  goals.push({
    goal: "idle RSS ≤ the Go peer's",
    measured: go
      ? `${mib(podmcp?.rssAfterIdleBytes)} (${as}) vs ${mib(go.rssAfterIdleBytes)}: ${times(rss)}${fromSources}`
      : `${mib(podmcp?.rssAfterIdleBytes)} (${as}); Go peer not run`,
    met: rss === null ? null : rss <= 1,
  });

  const cold = podmcp?.coldStartMedianMs ?? null;
  const coldRatio = ratio(cold, go?.coldStartMedianMs);
  goals.push({
    goal: `cold start to first tools/list ≤ ${LIMITS.coldStartMs} ms and ≤ ${LIMITS.coldStartVsGo}× the Go peer's`,
    measured: `median ${ms(cold)} (${as})${go ? `, ${times(coldRatio)} the Go peer's ${ms(go.coldStartMedianMs)}` : ''}${image ? `; from the sources ${ms(sources?.coldStartMedianMs)}` : ''}`,
    met: cold === null ? null : cold > LIMITS.coldStartMs ? false : coldRatio === null ? null : coldRatio <= 3,
  });

  const row = (operation: Operation, server: ServerName | 'direct') =>
    results.latency.find((entry) => entry.operation === operation && entry.server === server);
  const operations = [...new Set(results.latency.map((entry) => entry.operation))];
  const latency = operations.map((operation) => ({
    operation,
    factor: ratio(row(operation, 'podmcp')?.p50Ms, row(operation, 'direct')?.p50Ms),
  }));
  goals.push({
    goal: `tool p50 ≤ ${LIMITS.latencyVsDirect.toFixed(1)}× the direct client-node call, every operation`,
    measured: latency.map(({ operation, factor }) => `${operation} ${times(factor)}`).join('; '),
    met:
      latency.length === 0 ? null : latency.every(({ factor }) => factor !== null && factor <= LIMITS.latencyVsDirect),
  });

  const { load, peerLoad } = results;
  const throughput = ratio(load.callsPerSecond, peerLoad?.callsPerSecond);
  goals.push({
    goal: "load: throughput ≥ the Go peer's under the same load",
    measured: peerLoad
      ? `${load.callsPerSecond.toFixed(1)} vs ${peerLoad.callsPerSecond.toFixed(1)} calls/s (${times(throughput)}); p50 ${ms(load.latencyMs.p50)} vs ${ms(peerLoad.latencyMs.p50)}, p99 ${ms(load.latencyMs.p99)} vs ${ms(peerLoad.latencyMs.p99)}`
      : `${load.callsPerSecond.toFixed(1)} calls/s; Go peer not run`,
    met: throughput === null ? null : throughput >= 1,
  });
  goals.push({
    goal: 'load: 0 errors',
    measured: `podmcp ${load.errors} of ${load.calls}${peerLoad ? `; Go peer ${peerLoad.errors} of ${peerLoad.calls}` : ''}`,
    met: load.errors === 0,
  });
  const loaded = Math.max(load.rssBytes.afterLoad ?? Infinity, load.rssBytes.afterSessionsClosed ?? 0);
  goals.push({
    goal: `load: sidecar memory ≤ ${mib(LIMITS.loadMemoryBytes)} with the injector's heap cap`,
    measured: `RSS ${mib(load.rssBytes.beforeLoad)} before, ${mib(load.rssBytes.afterLoad)} after load, ${mib(load.rssBytes.afterSessionsClosed)} after sessions closed (heap in use ${mib(load.heapUsedAfterSessionsClosedBytes)}), process RSS (as run in the load section) with ${results.sidecarDefaults.injectedEnv}${peerLoad ? `; Go peer ${mib(peerLoad.rssBytes.afterLoad)} after load` : ''}`,
    met: Number.isFinite(loaded) ? loaded <= LIMITS.loadMemoryBytes : null,
  });

  const request = parseQuantity(results.sidecarDefaults.memoryRequest);
  goals.push({
    goal: `default memory request ≤ ${mib(LIMITS.memoryRequestBytes)}`,
    measured: `${results.sidecarDefaults.memoryRequest} (limit ${results.sidecarDefaults.memoryLimit}), packages/core DEFAULTS`,
    met: request === undefined ? null : request <= LIMITS.memoryRequestBytes,
  });

  const catalogue = perToolVerdict(results.catalogue.catalogues, 'podmcp', GO, results.catalogue.rows);
  goals.push({ goal: "tool catalogue per tool ≤ the Go peer's", ...catalogue });

  const scenarios = webhookScenarios(results.webhook);
  const optedIn = scenarios.find((scenario) => scenario.name === 'opted-in');
  const all = (pick: (scenario: WebhookScenario) => number | null) =>
    scenarios.map((scenario) => `${scenario.name} ${times(pick(scenario))}`).join('; ');
  const cpu = optedIn?.ratios.cpuPerRequest ?? null;
  goals.push({
    goal: `webhook: CPU per admission ≤ ${LIMITS.webhookCpuVsBare}× the bare server's (opted-in pod)`,
    measured: optedIn ? all((scenario) => scenario.ratios.cpuPerRequest) : 'webhook benchmark not run',
    met: cpu === null ? null : cpu <= LIMITS.webhookCpuVsBare,
  });
  const atRate = (scenario: string, rate: number) =>
    results.webhookAtRate.find(
      (run) => run.scenario === scenario && run.targetRate === rate && run.server === 'webhook',
    );
  const huge = atRate('env-2000', 500);
  const hugeBare = results.webhookAtRate.find(
    (run) => run.scenario === 'env-2000' && run.targetRate === 500 && run.server === 'baseline',
  );
  goals.push({
    goal: `webhook: 2000-env pod p99 < ${LIMITS.webhookHugeP99Ms} ms at 500 req/s`,
    measured: huge
      ? `p99 ${ms(huge.latencyMs.p99)}, ${huge.achievedRate.toFixed(0)} req/s achieved (bare server p99 ${ms(hugeBare?.latencyMs.p99)}); ${ms(atRate('env-2000', 100)?.latencyMs.p99)} at 100 req/s`
      : 'not run',
    met: huge ? (huge.latencyMs.p99 ?? Infinity) < LIMITS.webhookHugeP99Ms : null,
  });
  const rate = optedIn?.ratios.throughput ?? null;
  goals.push({
    goal: `webhook: throughput ≥ ${LIMITS.webhookThroughputVsBare}× the bare server's (opted-in pod)`,
    measured: optedIn ? all((scenario) => scenario.ratios.throughput) : 'webhook benchmark not run',
    met: rate === null ? null : rate >= LIMITS.webhookThroughputVsBare,
  });
  return goals;
}

/** Goals set before issue 15, still measured. */
export function evaluateEarlierGoals(results: SidecarResults): Goal[] {
  const goals: Goal[] = [];
  const row = (operation: Operation, server: ServerName) =>
    results.latency.find((entry) => entry.operation === operation && entry.server === server);
  const sizeRatios: string[] = [];
  let sizeMet: boolean | null = null;
  for (const operation of [...new Set(results.latency.map((entry) => entry.operation))]) {
    const own = row(operation, 'podmcp')?.textBytes;
    for (const peer of [GO, 'mcp-server-kubernetes'] as const) {
      const factor = ratio(row(operation, peer)?.textBytes, own);
      if (factor === null) continue;
      sizeRatios.push(`${operation} ${peer} ${factor.toFixed(1)}×`);
      sizeMet = (sizeMet ?? true) && factor >= 3;
    }
  }
  goals.push({
    goal: "tool answers ≥ 3× smaller than the peers'",
    measured: sizeRatios.length > 0 ? sizeRatios.join('; ') : 'peers not run',
    met: sizeMet,
  });
  const idle = results.apiCost.idle.podmcp?.metrics;
  goals.push({
    goal: 'no API requests while idle',
    measured: `${idle ?? '–'} in ${results.apiCost.idleSeconds} s (metrics)`,
    met: idle == null ? null : idle === 0,
  });
  const small = results.webhookAtRate.find(
    (run) => run.scenario === 'opted-in' && run.targetRate === 500 && run.server === 'webhook',
  );
  goals.push({
    goal: 'webhook: opted-in p99 < 5 ms at 500 req/s',
    measured: small ? `p99 ${ms(small.latencyMs.p99)} (open loop, from the scheduled time)` : 'not run',
    met: small ? (small.latencyMs.p99 ?? Infinity) < 5 : null,
  });
  return goals;
}

export function renderMarkdown(results: SidecarResults): string {
  const { meta } = results;
  const lines: string[] = [];
  const table = (header: string[], rows: string[][]) => {
    lines.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  };
  lines.push(
    `Sidecar benchmark${meta.quick ? ' (--quick)' : ''}, ${meta.date.slice(0, 16)}Z — Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}), Kubernetes ${meta.kubernetes}${meta.external ? ' (external cluster)' : ' (local control plane, kwok node)'}`,
    '',
    `Namespace: ${meta.seeded.pods} pods (${meta.seeded.runningPods} Running), ${meta.seeded.events} events (${meta.seeded.warningEvents} warnings), a ${(meta.seeded.logBytes / 1024 / 1024).toFixed(1)} MiB log (${meta.seeded.logLines} lines). All servers use the same read-only ServiceAccount token.`,
    '',
  );
  lines.push('Servers:', '');
  for (const server of results.servers) lines.push(`- **${server.name}** ${server.version}: ${server.describe}`);
  if (results.image)
    lines.push(`- **${IMAGE_LABEL}** (footprint, and the podmcp under load): ${results.image.describe}`);
  lines.push('');

  lines.push('### Footprint', '');
  const podmcpFoot = results.footprint.find((row) => row.server === 'podmcp');
  table(
    [
      'server',
      'cold start (median)',
      'vs podmcp',
      'RSS after start',
      `RSS after ${meta.options.idleSeconds} s idle`,
      'vs podmcp',
    ],
    results.footprint.map((row) => [
      row.server,
      ms(row.coldStartMedianMs),
      times(ratio(row.coldStartMedianMs, podmcpFoot?.coldStartMedianMs)),
      mib(row.rssAfterStartBytes),
      mib(row.rssAfterIdleBytes),
      times(ratio(row.rssAfterIdleBytes, podmcpFoot?.rssAfterIdleBytes)),
    ]),
  );

  lines.push('### Tool latency and answer size', '');
  lines.push(
    `${meta.options.calls} calls per operation per server, rounds alternating between servers. Size: the text a model reads; tokens ≈ bytes / 4. Ratios: p50 ÷ the direct call's, size ÷ podmcp's.`,
    '',
  );
  const rows: string[][] = [];
  for (const row of results.latency) {
    const direct = results.latency.find((entry) => entry.operation === row.operation && entry.server === 'direct');
    const own = results.latency.find((entry) => entry.operation === row.operation && entry.server === 'podmcp');
    rows.push([
      row.operation,
      row.server,
      `\`${row.tool}\``,
      ms(row.p50Ms),
      ms(row.p99Ms),
      row.server === 'direct' ? '1.00×' : times(ratio(row.p50Ms, direct?.p50Ms)),
      bytes(row.textBytes),
      row.tokens == null ? '–' : String(row.tokens),
      row.server === 'direct' ? '(raw JSON)' : times(ratio(row.textBytes, own?.textBytes)),
      row.errors === 0
        ? '0'
        : `${row.errors}: ${(row.errorSample ?? '').replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 120)}`,
    ]);
  }
  table(
    ['operation', 'server', 'tool', 'p50', 'p99', 'p50 vs direct', 'size', 'tokens', 'size vs podmcp', 'errors'],
    rows,
  );

  lines.push(
    renderCatalogueMarkdown(results.catalogue.catalogues, results.catalogue.rows, results.catalogue.reference),
  );

  const { load, peerLoad } = results;
  const loads = peerLoad ? [load, peerLoad] : [load];
  lines.push('### Load (Streamable HTTP)', '');
  lines.push(
    `${load.clients} concurrent clients × ${load.callsPerClient} calls per server, each client its own session and its own loopback address (a separate caller), cycling through the four operations as each server spells them, after one uncounted warm-up call of each; the servers one after the other. Ratios: ÷ podmcp's.`,
    '',
  );
  for (const entry of loads) lines.push(`- **${entry.server}**: ${entry.describe}`);
  lines.push('');
  table(
    [
      'server',
      'calls',
      'errors',
      'calls/s',
      'vs podmcp',
      'p50',
      'p99',
      'max',
      'RSS before',
      'RSS after load',
      'RSS after sessions closed',
      'heap used then',
      'API requests/call',
    ],
    loads.map((entry) => [
      entry.server,
      String(entry.calls),
      String(entry.errors),
      entry.callsPerSecond.toFixed(1),
      times(ratio(entry.callsPerSecond, load.callsPerSecond)),
      ms(entry.latencyMs.p50),
      ms(entry.latencyMs.p99),
      ms(entry.latencyMs.max),
      mib(entry.rssBytes.beforeLoad),
      mib(entry.rssBytes.afterLoad),
      mib(entry.rssBytes.afterSessionsClosed),
      mib(entry.heapUsedAfterSessionsClosedBytes),
      entry.kubeRequestsPerCall == null ? '–' : entry.kubeRequestsPerCall.toFixed(2),
    ]),
  );
  for (const entry of loads)
    if (entry.errors > 0) lines.push(`Load errors (${entry.server}): ${JSON.stringify(entry.errorSamples)}`, '');

  lines.push('### API-server requests', '');
  lines.push(
    `Idle: ${results.apiCost.idleSeconds} s with no calls. Per call: one call alone in its window, after warm-up. podmcp counts itself (podmcp_sidecar_kube_requests_total); ${meta.auditLog ? 'every server is also counted in the API server audit log' : 'no audit log (external cluster), so peers are not counted'}.`,
    '',
  );
  const servers = results.servers.map((server) => server.name);
  const perCall = (server: ServerName, operation: Operation) => {
    const entry = results.apiCost.perCall.find((row) => row.server === server && row.operation === operation);
    if (!entry) return '–';
    if (server === 'podmcp') return `${entry.metrics ?? '–'} (audit ${entry.audit ?? '–'})`;
    return String(entry.audit ?? '–');
  };
  const operations = [...new Set(results.latency.map((entry) => entry.operation))];
  table(
    ['server', 'idle requests', ...operations],
    servers.map((server) => {
      const idle = results.apiCost.idle[server];
      const idleText =
        server === 'podmcp' ? `${idle?.metrics ?? '–'} (audit ${idle?.audit ?? '–'})` : String(idle?.audit ?? '–');
      return [server, idleText, ...operations.map((operation) => perCall(server, operation))];
    }),
  );
  const idleSeen = Object.entries(results.apiCost.idleRequests);
  if (idleSeen.length > 0) {
    lines.push('Requests seen while idle (audit log):', '');
    for (const [request, count] of idleSeen) lines.push(`- ${count} × ${request}`);
    lines.push('');
  }
  const forbidden = Object.entries(results.apiCost.forbidden);
  if (forbidden.length > 0) {
    lines.push('Refused by RBAC (403) during the run:', '');
    for (const [agent, requests] of forbidden) lines.push(`- ${agent}: ${requests.join(', ')}`);
    lines.push('');
  }

  const scenarios = webhookScenarios(results.webhook);
  if (scenarios.length > 0) {
    lines.push('### Webhook (bench/webhook/main.ts)', '');
    table(
      [
        'scenario',
        'req/s webhook',
        'req/s baseline',
        'ratio',
        'p50 webhook',
        'p99 webhook',
        'p99 baseline',
        'CPU/req ratio',
      ],
      scenarios.map((scenario) => [
        scenario.name,
        Math.round(scenario.webhook.requestsPerSecond).toLocaleString('en-US'),
        Math.round(scenario.baseline.requestsPerSecond).toLocaleString('en-US'),
        times(scenario.ratios.throughput),
        ms(scenario.webhook.latencyMs.p50),
        ms(scenario.webhook.latencyMs.p99),
        ms(scenario.baseline.latencyMs.p99),
        times(scenario.ratios.cpuPerRequest),
      ]),
    );
  }

  if (results.webhookAtRate.length > 0) {
    lines.push('### Webhook at a fixed rate (bench/webhook/rate.ts)', '');
    lines.push('Open loop: requests leave on schedule; latency counts from the scheduled time.', '');
    lines.push(renderRateTable(results.webhookAtRate), '');
  }
  lines.push(renderSessionMarkdown(results.session));
  lines.push('### Goals (issue 15)', '');
  const verdict = (goal: Goal) => (goal.met === null ? 'n/a' : goal.met ? 'met' : '**not met**');
  table(
    ['goal', 'measured', 'met'],
    results.goals.map((goal) => [goal.goal, goal.measured, verdict(goal)]),
  );
  lines.push('Earlier goals, still measured:', '');
  table(
    ['goal', 'measured', 'met'],
    results.earlierGoals.map((goal) => [goal.goal, goal.measured, verdict(goal)]),
  );
  for (const failure of results.failures) lines.push(`**Failed:** ${failure}`, '');
  lines.push(`Total run time ${meta.totalSeconds.toFixed(0)} s. podmcp errors: ${results.podmcpErrors}.`);
  return lines.join('\n');
}
