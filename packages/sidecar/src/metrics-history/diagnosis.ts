/**
 * What diagnose adds from the cluster's Prometheus: the last hour of the subject's memory (a climb towards the
 * limit before OOM kills), restarts, and 5xx ratio (when it changed level), each through query_metrics's own
 * enforced, bounded path (query.ts). Without a configured Prometheus it says so in one line; a Prometheus that fails is one
 * line too, and the rest of the diagnosis is unaffected.
 */
import type { PrometheusSettings } from '@podmcp/core';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { queryMetricHistory } from './query.ts';

const WINDOW_MINUTES = 60;
const MIB = 1024 * 1024;

export interface MetricHistoryNote {
  readonly configured: boolean;
  readonly lines: string[];
}

/** `pods` is a regular expression for the subject's pod names. */
export async function metricHistoryNote(
  context: Pick<ToolContext, 'kube' | 'now' | 'signal' | 'settings'>,
  pods: string,
): Promise<MetricHistoryNote> {
  const settings = context.settings.prometheus;
  if (!settings) {
    return {
      configured: false,
      lines: ['Not configured (no Prometheus for this workload): only the present is known.'],
    };
  }
  const selector = `pod=~"${pods}"`;
  const results = await Promise.allSettled([
    memory(settings, context, selector),
    restarts(settings, context, selector),
    errorRatio(settings, context, selector),
  ]);
  const lines: string[] = [];
  let failure: string | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') lines.push(...result.value);
    else failure ??= result.reason instanceof ToolFailure ? result.reason.message : String(result.reason);
  }
  if (failure) lines.push(failure);
  if (lines.length === 0)
    lines.push(`Nothing notable in the last ${WINDOW_MINUTES} min of memory, restarts and 5xx ratio.`);
  return { configured: true, lines };
}

type Context = Parameters<typeof queryMetricHistory>[2];

async function memory(settings: PrometheusSettings, context: Context, selector: string): Promise<string[]> {
  const used = await queryMetricHistory(
    settings,
    {
      query: `max by (pod, container) (container_memory_working_set_bytes{${selector}, container!=""})`,
      range_minutes: WINDOW_MINUTES,
      ago_minutes: 0,
      max_series: 5,
    },
    context,
  );
  const limits = await queryMetricHistory(
    settings,
    {
      query: `max by (pod, container) (kube_pod_container_resource_limits{${selector}, resource="memory"})`,
      ago_minutes: 0,
      max_series: 50,
    },
    context,
  );
  const limitOf = new Map(
    limits.series.map((series) => [`${series.labels.pod}/${series.labels.container}`, series.value]),
  );
  const lines: string[] = [];
  for (const series of used.series) {
    const summary = series.summary;
    if (summary?.trend !== 'rising') continue;
    const name = `${series.labels.pod}/${series.labels.container}`;
    const limit = limitOf.get(name);
    const share = limit ? `, ${Math.round((summary.max / limit) * 100)}% of its ${mib(limit)} limit at most` : '';
    lines.push(
      `Memory of ${name} rose from ${mib(summary.first)} to ${mib(summary.last)} in the last ${WINDOW_MINUTES} min (${mib(summary.slope_per_minute)}/min${share}).`,
    );
  }
  return lines;
}

async function restarts(settings: PrometheusSettings, context: Context, selector: string): Promise<string[]> {
  const answer = await queryMetricHistory(
    settings,
    {
      query: `sum by (pod, container) (max_over_time(kube_pod_container_status_restarts_total{${selector}}[${WINDOW_MINUTES}m]) - min_over_time(kube_pod_container_status_restarts_total{${selector}}[${WINDOW_MINUTES}m]))`,
      ago_minutes: 0,
      max_series: 5,
    },
    context,
  );
  return answer.series
    .filter((series) => (series.value ?? 0) > 0)
    .map(
      (series) =>
        `${series.labels.pod}/${series.labels.container} restarted ${series.value} time(s) in the last ${WINDOW_MINUTES} min.`,
    );
}

async function errorRatio(settings: PrometheusSettings, context: Context, selector: string): Promise<string[]> {
  const answer = await queryMetricHistory(
    settings,
    {
      query: `sum(rate(http_requests_total{${selector}, code=~"5.."}[5m])) / sum(rate(http_requests_total{${selector}}[5m]))`,
      range_minutes: WINDOW_MINUTES,
      ago_minutes: 0,
      max_series: 1,
    },
    context,
  );
  const summary = answer.series[0]?.summary;
  if (!summary) return [];
  const biggest = [...summary.change_points].sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from))[0];
  if (biggest && biggest.to > biggest.from) {
    return [`The 5xx ratio rose from ${percent(biggest.from)} to ${percent(biggest.to)} at ${biggest.at}.`];
  }
  if (summary.last > 0.01)
    return [`The 5xx ratio is ${percent(summary.last)} (${summary.trend} over the last ${WINDOW_MINUTES} min).`];
  return [];
}

function mib(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

/** The section diagnose's text ends with. */
export function renderMetricHistoryNote(note: MetricHistoryNote | undefined): string {
  if (!note) return '';
  return `\nMetric history (last ${WINDOW_MINUTES} min):\n${note.lines.map((line) => `- ${line}`).join('\n')}`;
}

/** A regular expression for the pods of a workload (controllers name them after it) or for one pod. */
export function podPattern(subject: {
  readonly workloadName?: string | undefined;
  readonly pod?: string | undefined;
}): string {
  const literalDots = (name: string) => name.replaceAll('.', '\\\\.');
  if (subject.pod) return literalDots(subject.pod);
  return `${literalDots(subject.workloadName ?? '')}-.*`;
}
