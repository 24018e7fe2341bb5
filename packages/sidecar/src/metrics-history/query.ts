/**
 * One bounded query of this namespace's metric history: the PromQL is rewritten so that every selector carries
 * namespace="<own namespace>" (what cannot be enforced is refused), only the rewritten query is sent, and the
 * answer is a summary per series (first/last/min/max/trend/change points), never a raw matrix. query_metrics
 * serves it as a tool; diagnose asks it the same way, with the same bounds and the same enforcement.
 */
import type { PrometheusSettings } from '@podmcp/core';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { redactShapes } from '../safety/redact.ts';
import {
  createPrometheusClient,
  PrometheusUnavailable,
  type QueryResult,
  type RangeWindow,
  type Series,
} from './client.ts';
import { type EnforcedQuery, enforceNamespace, NAMESPACE_LABEL, QueryRefused } from './promql.ts';
import { type ChangePoint, round, type SeriesSummary, summariseSamples } from './summarise.ts';

/** A range answer has at most this many points per series; a finer step is coarsened, with a note. */
export const MAX_POINTS = 240;
export const MIN_STEP_SECONDS = 15;
/** Room for the series inside the 24 KiB answer budget. */
const SERIES_MAX_BYTES = 16 * 1024;
const LABEL_VALUE_MAX = 200;

export interface MetricQuery {
  readonly query: string;
  readonly range_minutes?: number | undefined;
  readonly step_seconds?: number | undefined;
  readonly ago_minutes: number;
  readonly max_series: number;
}

export interface MetricSeries {
  labels: Record<string, string>;
  value?: number;
  summary?: Omit<SeriesSummary, 'change_points'> & { change_points: ChangePoint[] };
}

/** The answer, field for field what query_metrics returns. */
export interface MetricHistory {
  namespace: string;
  query: string;
  kind: 'instant' | 'range';
  time?: string;
  window?: { start: string; end: string; step_seconds: number };
  result_type: QueryResult['type'];
  scalar?: number | string;
  series: MetricSeries[];
  series_total: number;
  omitted: number;
  warnings: string[];
  notes: string[];
}

export type MetricContext = Pick<ToolContext, 'kube' | 'now' | 'signal'>;

/** Runs `args` against the configured Prometheus in the caller's namespace; failures are ToolFailures. */
export async function queryMetricHistory(
  settings: PrometheusSettings,
  args: MetricQuery,
  context: MetricContext,
): Promise<MetricHistory> {
  const namespace = context.kube.namespace;
  const enforced = enforce(args.query, namespace);
  const notes: string[] = [];
  const end = Math.floor(context.now().getTime() / 1000) - args.ago_minutes * 60;
  const window = args.range_minutes === undefined ? undefined : rangeWindow(args, end, notes);
  const result = await ask(settings, enforced, end, window, context.signal);
  const base = {
    namespace,
    query: enforced.text,
    kind: window ? ('range' as const) : ('instant' as const),
    ...(window
      ? { window: { start: iso(window.start), end: iso(window.end), step_seconds: window.stepSeconds } }
      : { time: iso(end) }),
    result_type: result.type,
    warnings: [...result.warnings],
  };
  if (!('series' in result)) {
    const value = typeof result.value.v === 'number' ? round(result.value.v) : result.value.v;
    return { ...base, scalar: value, series: [], series_total: 0, omitted: 0, notes };
  }
  refuseForeign(result.series, namespace, enforced.text);
  const rows = result.series
    .map((series) => toRow(series, window !== undefined, window?.stepSeconds))
    .sort((a, b) => weight(b) - weight(a));
  const kept = keepWithinBudget(rows, args.max_series);
  notes.push(...answerNotes(rows.length, kept.length, args.max_series, namespace));
  if (enforced.lookbackSeconds > 0 && window && enforced.lookbackSeconds > window.stepSeconds * 4) {
    notes.push(`each point looks back ${Math.round(enforced.lookbackSeconds / 60)} min, so the curve is smoothed.`);
  }
  return { ...base, series: kept, series_total: rows.length, omitted: rows.length - kept.length, notes };
}

function enforce(query: string, namespace: string): EnforcedQuery {
  try {
    return enforceNamespace(query, namespace);
  } catch (error) {
    if (error instanceof QueryRefused) throw new ToolFailure(`query refused: ${error.message}.`, 'refused');
    throw error;
  }
}

/** The window ending at `end`, its step raised (with a note) where it would exceed MAX_POINTS. */
function rangeWindow(args: MetricQuery, end: number, notes: string[]): RangeWindow {
  const rangeSeconds = (args.range_minutes ?? 0) * 60;
  const floor = Math.max(MIN_STEP_SECONDS, Math.ceil(rangeSeconds / MAX_POINTS));
  const stepSeconds = Math.max(args.step_seconds ?? floor, floor);
  if (args.step_seconds !== undefined && stepSeconds > args.step_seconds) {
    notes.push(`step raised from ${args.step_seconds}s to ${stepSeconds}s: at most ${MAX_POINTS} points per series.`);
  }
  return { start: end - rangeSeconds, end, stepSeconds };
}

async function ask(
  settings: PrometheusSettings,
  enforced: EnforcedQuery,
  end: number,
  window: RangeWindow | undefined,
  signal: AbortSignal,
): Promise<QueryResult> {
  const client = createPrometheusClient(settings);
  try {
    return window ? await client.range(enforced, window, signal) : await client.instant(enforced, end, signal);
  } catch (error) {
    if (error instanceof PrometheusUnavailable) {
      throw new ToolFailure(
        `metric history unavailable: ${error.message}. The query was: ${enforced.text}`,
        error.kind === 'timeout' ? 'timeout' : error.kind === 'too-large' ? 'invalid' : 'unreachable',
      );
    }
    throw error;
  }
}

/** Enforcement makes this impossible; it is checked anyway, because a leak must never be silent. */
function refuseForeign(all: readonly Series[], namespace: string, query: string): void {
  const foreign = all.filter((series) => {
    const value = series.labels[NAMESPACE_LABEL];
    return value !== undefined && value !== namespace;
  });
  if (foreign.length > 0) {
    throw new ToolFailure(
      `Prometheus returned ${foreign.length} series of another namespace for ${query}; the answer is withheld.`,
      'refused',
    );
  }
}

function keepWithinBudget(rows: readonly MetricSeries[], maxSeries: number): MetricSeries[] {
  const kept: MetricSeries[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (kept.length >= maxSeries) break;
    const size = JSON.stringify(row).length;
    if (bytes + size > SERIES_MAX_BYTES) break;
    bytes += size;
    kept.push(row);
  }
  return kept;
}

function answerNotes(total: number, kept: number, maxSeries: number, namespace: string): string[] {
  const notes: string[] = [];
  const omitted = total - kept;
  if (omitted > 0) {
    notes.push(
      `${omitted} more series not shown (${kept >= maxSeries ? `max_series ${maxSeries}` : 'byte budget'}); aggregate (sum by, topk) or narrow the selectors.`,
    );
  }
  if (total === 0) {
    notes.push(
      `No series matched in namespace ${namespace}. Check the metric name, that Prometheus scrapes this namespace, and that its series carry a ${NAMESPACE_LABEL} label.`,
    );
  }
  return notes;
}

function toRow(series: Series, range: boolean, stepSeconds: number | undefined): MetricSeries {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(series.labels)) {
    if (name === NAMESPACE_LABEL) continue;
    const clear = redactShapes(value);
    labels[name] = clear.length > LABEL_VALUE_MAX ? `${clear.slice(0, LABEL_VALUE_MAX)}…` : clear;
  }
  if (!range) {
    const value = series.samples[0]?.v;
    return { labels, ...(value === undefined ? {} : { value: round(value) }) };
  }
  const summary = summariseSamples(series.samples, stepSeconds);
  return { labels, ...(summary ? { summary: { ...summary, change_points: [...summary.change_points] } } : {}) };
}

function weight(row: MetricSeries): number {
  const value = row.summary?.max ?? row.value ?? Number.NEGATIVE_INFINITY;
  return Number.isFinite(value) ? Math.abs(value) : Number.NEGATIVE_INFINITY;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
