/** The sidecar benchmark's results: their shape, the goals they are held to, and the markdown tables. */

import { ratio } from '../shared/stats.ts';
import { type RateRun, renderRateTable } from '../webhook/rate.ts';
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
  footprint: Array<{
    server: ServerName;
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
  load: LoadSection;
  webhook: unknown;
  /** The webhook and the baseline at a fixed request rate (bench/webhook/rate.ts). */
  webhookAtRate: RateRun[];
  /** Six broken workloads, each server with its fixed runbook (bench/sidecar/session-cost/main.ts). */
  session: SessionResults;
  podmcpErrors: number;
  goals: Array<{ goal: string; measured: string; met: boolean | null }>;
}

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

export function evaluateGoals(results: SidecarResults): SidecarResults['goals'] {
  const goals: SidecarResults['goals'] = [];
  const foot = (name: ServerName) => results.footprint.find((row) => row.server === name);
  const podmcp = foot('podmcp');
  const go = foot('kubernetes-mcp-server');
  goals.push({
    goal: "sidecar idle RSS at or below the Go peer's",
    measured: go
      ? `${mib(podmcp?.rssAfterIdleBytes)} vs ${mib(go.rssAfterIdleBytes)} (${times(ratio(podmcp?.rssAfterIdleBytes, go.rssAfterIdleBytes))})`
      : `${mib(podmcp?.rssAfterIdleBytes)}; Go peer not run`,
    met: go ? (podmcp?.rssAfterIdleBytes ?? Infinity) <= (go.rssAfterIdleBytes ?? 0) : null,
  });
  goals.push({
    goal: 'cold start to first tools/list < 300 ms',
    measured: `median ${ms(podmcp?.coldStartMedianMs)}`,
    met: podmcp?.coldStartMedianMs == null ? null : podmcp.coldStartMedianMs < 300,
  });
  const row = (operation: Operation, server: ServerName | 'direct') =>
    results.latency.find((entry) => entry.operation === operation && entry.server === server);
  const operations = [...new Set(results.latency.map((entry) => entry.operation))];
  const sizeRatios: string[] = [];
  let sizeMet: boolean | null = null;
  for (const operation of operations) {
    const own = row(operation, 'podmcp')?.textBytes;
    for (const peer of ['kubernetes-mcp-server', 'mcp-server-kubernetes'] as const) {
      const theirs = row(operation, peer)?.textBytes;
      const factor = ratio(theirs, own);
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
  const latencyRatios = operations.map((operation) => ({
    operation,
    factor: ratio(row(operation, 'podmcp')?.p50Ms, row(operation, 'direct')?.p50Ms),
  }));
  goals.push({
    goal: 'tool latency within 1.2× of the direct API call (p50)',
    measured: latencyRatios.map(({ operation, factor }) => `${operation} ${times(factor)}`).join('; '),
    met: latencyRatios.every(({ factor }) => factor !== null && factor <= 1.2),
  });
  goals.push({
    goal: 'load: no errors',
    measured: `${results.load.errors} errors in ${results.load.calls} calls, p99 ${ms(results.load.latencyMs.p99)}`,
    met: results.load.errors === 0,
  });
  goals.push({
    goal: 'no API requests while idle',
    measured: `${results.apiCost.idle.podmcp?.metrics ?? '–'} in ${results.apiCost.idleSeconds} s (metrics)`,
    met: results.apiCost.idle.podmcp?.metrics == null ? null : results.apiCost.idle.podmcp.metrics === 0,
  });
  const scenarios = webhookScenarios(results.webhook);
  if (scenarios.length > 0) {
    const worst = Math.min(...scenarios.map((scenario) => scenario.ratios.throughput ?? 0));
    goals.push({
      goal: "webhook ≥ 80% of the bare server's throughput",
      measured: scenarios.map((scenario) => `${scenario.name} ${times(scenario.ratios.throughput)}`).join('; '),
      met: worst >= 0.8,
    });
  }
  const atRate = (scenario: string, rate: number) =>
    results.webhookAtRate.find(
      (run) => run.scenario === scenario && run.targetRate === rate && run.server === 'webhook',
    );
  const small = atRate('opted-in', 500);
  if (small) {
    goals.push({
      goal: 'webhook p99 < 5 ms at 500 req/s',
      measured: `opted-in p99 ${ms(small.latencyMs.p99)}, not-opted-in p99 ${ms(atRate('not-opted-in', 500)?.latencyMs.p99)} (open loop, from the scheduled time)`,
      met: (small.latencyMs.p99 ?? Infinity) < 5,
    });
  }
  const huge = atRate('env-2000', 500);
  if (huge) {
    goals.push({
      goal: 'webhook huge pod p99 < 50 ms',
      measured: `env-2000 p99 ${ms(huge.latencyMs.p99)} at 500 req/s (${huge.achievedRate.toFixed(0)} achieved), ${ms(atRate('env-2000', 100)?.latencyMs.p99)} at 100 req/s`,
      met: (huge.latencyMs.p99 ?? Infinity) < 50,
    });
  }
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

  const { load } = results;
  lines.push('### Load on podmcp (Streamable HTTP)', '');
  lines.push(
    `${load.clients} concurrent clients × ${load.callsPerClient} calls, each client its own session and its own loopback address (a separate caller); PODMCP_RATE_LIMIT=${load.rateLimitPerMinute}.`,
    '',
  );
  table(
    [
      'calls',
      'errors',
      'calls/s',
      'p50',
      'p90',
      'p99',
      'max',
      'RSS before',
      'RSS after load',
      'RSS after sessions closed',
      'heap used then',
      'API requests/call',
    ],
    [
      [
        String(load.calls),
        String(load.errors),
        load.callsPerSecond.toFixed(0),
        ms(load.latencyMs.p50),
        ms(load.latencyMs.p90),
        ms(load.latencyMs.p99),
        ms(load.latencyMs.max),
        mib(load.rssBytes.beforeLoad),
        mib(load.rssBytes.afterLoad),
        mib(load.rssBytes.afterSessionsClosed),
        mib(load.heapUsedAfterSessionsClosedBytes),
        load.kubeRequestsPerCall == null ? '–' : load.kubeRequestsPerCall.toFixed(2),
      ],
    ],
  );
  if (load.errors > 0) lines.push(`Load errors: ${JSON.stringify(load.errorSamples)}`, '');

  lines.push('### API-server requests', '');
  lines.push(
    `Idle: ${results.apiCost.idleSeconds} s with no calls. Per call: one call alone in its window, after warm-up. podmcp counts itself (podmcp_sidecar_kube_requests_total); ${meta.auditLog ? 'every server is also counted in the API server audit log' : 'no audit log (external cluster), so peers are not counted'}.`,
    '',
  );
  const servers = results.footprint.map((row) => row.server);
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
  lines.push('### Goals', '');
  table(
    ['goal', 'measured', 'met'],
    results.goals.map((goal) => [goal.goal, goal.measured, goal.met === null ? 'n/a' : goal.met ? 'yes' : '**no**']),
  );
  lines.push(`Total run time ${meta.totalSeconds.toFixed(0)} s. podmcp errors: ${results.podmcpErrors}.`);
  return lines.join('\n');
}
