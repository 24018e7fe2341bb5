/**
 * Turns scenario results into the tables a person reads and the JSON a script reads. Ratios are always
 * webhook ÷ baseline: below 1 for throughput, above 1 for latency, CPU and memory means the webhook costs more.
 */
import type { ScenarioResult, SideResult } from './compare.ts';
import type { BenchOptions } from './options.ts';

export interface RunFacts {
  readonly nodeVersion: string;
  readonly cpus: number;
}

export function renderText(results: readonly ScenarioResult[], options: BenchOptions, facts: RunFacts): string {
  const lines = [
    `podmcp injector webhook vs ${options.against === undefined ? 'bare node:https baseline' : 'another version of it'} — Node ${facts.nodeVersion}, ${facts.cpus} CPUs, ` +
      `${options.connections} keep-alive connections to 127.0.0.1`,
    `${options.seconds} s measured per server per scenario in ${options.rounds * 2} alternating rounds, ` +
      `after ${options.warmupSeconds} s warm-up each${options.quick ? ' (--quick: expect noise)' : ''}`,
    'Webhook: real server, info log line per decision to a discarded stream, Prometheus metrics on.',
    options.against === undefined
      ? 'Baseline: same TLS and keep-alive settings, receives the whole body, answers the bytes the webhook would.'
      : `Baseline: the webhook of ${options.against} (--against), wired the same way.`,
    '',
    'Throughput and latency (ratio = webhook / baseline)',
    table(
      [
        'scenario',
        'req/s webhook',
        'req/s baseline',
        'ratio',
        'p50 webhook',
        'p50 baseline',
        'p99 webhook',
        'p99 baseline',
        'p99 ratio',
      ],
      results.map(({ scenario, webhook, baseline }) => [
        scenario.name,
        count(webhook.requestsPerSecond),
        count(baseline.requestsPerSecond),
        ratio(webhook.requestsPerSecond, baseline.requestsPerSecond),
        milliseconds(webhook.latencyMs.p50),
        milliseconds(baseline.latencyMs.p50),
        milliseconds(webhook.latencyMs.p99),
        milliseconds(baseline.latencyMs.p99),
        ratio(webhook.latencyMs.p99, baseline.latencyMs.p99),
      ]),
    ),
    '',
    'Cost (CPU per answer and busy share of one core while loaded; RSS after the scenario)',
    table(
      [
        'scenario',
        'CPU/req webhook',
        'CPU/req baseline',
        'ratio',
        'server busy w / b',
        'client busy w / b',
        'RSS webhook',
        'RSS baseline',
        'RSS ratio',
      ],
      results.map(({ scenario, webhook, baseline }) => [
        scenario.name,
        microseconds(webhook.cpuMicrosPerRequest),
        microseconds(baseline.cpuMicrosPerRequest),
        ratio(webhook.cpuMicrosPerRequest, baseline.cpuMicrosPerRequest),
        `${percent(webhook.serverCpuShare)} / ${percent(baseline.serverCpuShare)}`,
        `${percent(webhook.clientCpuShare)} / ${percent(baseline.clientCpuShare)}`,
        mebibytes(webhook.rssBytes),
        mebibytes(baseline.rssBytes),
        ratio(webhook.rssBytes, baseline.rssBytes),
      ]),
    ),
    ...clientBoundNote(results),
    ...contentionNote(results),
    '',
    'Scenarios',
    ...results.map(
      ({ scenario }) =>
        `  ${scenario.name}: ${scenario.summary}; request ${kibibytes(scenario.requestBody.length)}, ` +
        `answer ${kibibytes(scenario.answerBody.length)}`,
    ),
    '',
    ...errorLines(results),
  ];
  return lines.join('\n');
}

export function renderJson(results: readonly ScenarioResult[], options: BenchOptions, facts: RunFacts): string {
  const side = (result: SideResult) => ({
    requests: result.requests,
    errors: result.errors,
    errorSamples: Object.fromEntries(result.errorSamples),
    seconds: round(result.seconds, 3),
    requestsPerSecond: round(result.requestsPerSecond, 1),
    latencyMs: {
      p50: round(result.latencyMs.p50, 3),
      p90: round(result.latencyMs.p90, 3),
      p99: round(result.latencyMs.p99, 3),
      max: round(result.latencyMs.max, 3),
    },
    cpuMicrosPerRequest: round(result.cpuMicrosPerRequest, 1),
    serverCpuShare: round(result.serverCpuShare, 3),
    clientCpuShare: round(result.clientCpuShare, 3),
    rssBytes: result.rssBytes,
    peakRssBytes: result.peakRssBytes,
  });
  return JSON.stringify(
    {
      facts,
      options,
      totalErrors: totalErrors(results),
      scenarios: results.map(({ scenario, webhook, baseline }) => ({
        name: scenario.name,
        summary: scenario.summary,
        requestBytes: scenario.requestBody.length,
        answerBytes: scenario.answerBody.length,
        webhook: side(webhook),
        baseline: side(baseline),
        ratios: {
          throughput: round(webhook.requestsPerSecond / baseline.requestsPerSecond, 3),
          p50: round(webhook.latencyMs.p50 / baseline.latencyMs.p50, 3),
          p99: round(webhook.latencyMs.p99 / baseline.latencyMs.p99, 3),
          cpuPerRequest: round(webhook.cpuMicrosPerRequest / baseline.cpuMicrosPerRequest, 3),
          rss: round(webhook.rssBytes / baseline.rssBytes, 3),
          peakRss: round(webhook.peakRssBytes / baseline.peakRssBytes, 3),
        },
      })),
    },
    null,
    2,
  );
}

export function totalErrors(results: readonly ScenarioResult[]): number {
  return results.reduce((sum, { webhook, baseline }) => sum + webhook.errors + baseline.errors, 0);
}

// Above this share of a core the load generator itself is the bottleneck.
const CLIENT_BOUND_SHARE = 0.9;

function clientBoundNote(results: readonly ScenarioResult[]): string[] {
  const bound = results.filter(({ baseline }) => baseline.clientCpuShare >= CLIENT_BOUND_SHARE);
  if (bound.length === 0) return [];
  return [
    `  Note: the load generator was saturated during baseline rounds of ${bound.map(({ scenario }) => scenario.name).join(', ')};`,
    '  there the baseline could go faster than measured, so the throughput ratio flatters the webhook and the',
    '  CPU/req ratio is the steadier measure of what the webhook costs.',
  ];
}

// Below this share, neither process was the limit: something else on the machine took the CPU.
const IDLE_SHARE = 0.85;

function contentionNote(results: readonly ScenarioResult[]): string[] {
  const starved = results.filter(({ webhook, baseline }) =>
    [webhook, baseline].some((side) => side.serverCpuShare < IDLE_SHARE && side.clientCpuShare < IDLE_SHARE),
  );
  if (starved.length === 0) return [];
  return [
    `  Note: in ${starved.map(({ scenario }) => scenario.name).join(', ')} neither the server nor the load generator`,
    '  kept a core busy, so other work on the machine competed for CPU; rerun those before trusting their ratios.',
  ];
}

function errorLines(results: readonly ScenarioResult[]): string[] {
  const total = totalErrors(results);
  if (total === 0) return ['Every answer was HTTP 200 and the AdmissionReview the scenario expects.'];
  const lines = [`FAILED: ${total} requests got a wrong answer or none; their timings are left out.`];
  for (const { scenario, webhook, baseline } of results) {
    for (const [role, side] of [
      ['webhook', webhook],
      ['baseline', baseline],
    ] as const) {
      if (side.errors === 0) continue;
      lines.push(`  ${scenario.name} / ${role}: ${side.errors} errors`);
      for (const [message, seen] of side.errorSamples) lines.push(`    ${seen} × ${message}`);
    }
  }
  return lines;
}

/** Columns right-aligned except the first, which holds names. */
function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `  ${text}`).join('\n');
}

function ratio(webhook: number, baseline: number): string {
  const value = webhook / baseline;
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function milliseconds(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a';
}

function microseconds(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value)} µs` : 'n/a';
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function kibibytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function round(value: number, digits: number): number | null {
  // JSON has no NaN; null says "not measured" without breaking parsers.
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : null;
}
