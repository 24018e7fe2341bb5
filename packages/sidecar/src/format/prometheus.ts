/**
 * The Prometheus text exposition format (0.0.4, and the OpenMetrics lines apps commonly mix in), parsed and
 * summarised for an agent: one entry per metric family with its type, help, series count and the values that
 * matter — counters and gauges as values, histograms and summaries as count, sum and p50/p99. Pure; a
 * malformed line is skipped and counted, never fatal, because a half-broken /metrics page is still evidence.
 */

import { byteLength } from '../output/budget.ts';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  type: MetricType;
  help?: string;
  readonly samples: Sample[];
}

export interface ParsedExposition {
  readonly families: MetricFamily[];
  /** Lines that could not be parsed (skipped). */
  readonly badLines: number;
  readonly firstBadLine?: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

// The sample-name suffixes each type adds to its family name.
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [],
  untyped: [],
};

const TYPES = new Set<string>(Object.keys(SUFFIXES));

export function parsePrometheusText(text: string): ParsedExposition {
  const families = new Map<string, MetricFamily>();
  let badLines = 0;
  let firstBadLine: string | undefined;
  const bad = (line: string) => {
    badLines += 1;
    firstBadLine ??= line.slice(0, 200);
  };
  const family = (name: string): MetricFamily => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', samples: [] };
      families.set(name, found);
    }
    return found;
  };

  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const comment = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!comment) continue; // Plain comments, # UNIT, # EOF.
      const [, keyword, name = '', rest = ''] = comment;
      if (keyword === 'HELP') family(name).help = unescapeHelp(rest);
      else if (TYPES.has(rest.trim().toLowerCase())) family(name).type = rest.trim().toLowerCase() as MetricType;
      else if (rest.trim().toLowerCase() === 'unknown') family(name).type = 'untyped';
      else bad(line);
      continue;
    }
    const sample = parseSampleLine(line);
    if (!sample) {
      bad(line);
      continue;
    }
    family(familyOf(sample.name, families)).samples.push(sample);
  }
  // Families declared by HELP/TYPE without samples carry nothing worth showing.
  const list = [...families.values()].filter((item) => item.samples.length > 0);
  return firstBadLine === undefined ? { families: list, badLines } : { families: list, badLines, firstBadLine };
}

/** `http_requests_total` belongs to family `http_requests` when that is a declared counter, and so on. */
function familyOf(sampleName: string, families: ReadonlyMap<string, MetricFamily>): string {
  if (families.has(sampleName)) return sampleName;
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!sampleName.endsWith(suffix)) continue;
      const base = families.get(sampleName.slice(0, -suffix.length));
      if (base && base.type === type) return base.name;
    }
  }
  return sampleName;
}

export function parseSampleLine(line: string): Sample | undefined {
  const nameMatch = METRIC_NAME.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  let position = name.length;
  const labels: Record<string, string> = {};
  if (line[position] === '{') {
    const parsed = parseLabels(line, position + 1, labels);
    if (parsed === undefined) return undefined;
    position = parsed;
  }
  // value [timestamp] [# exemplar]
  const rest = line.slice(position).split('#')[0]?.trim() ?? '';
  const [valueText] = rest.split(/\s+/);
  if (!valueText) return undefined;
  const value = parseValue(valueText);
  if (value === undefined) return undefined;
  return { name, labels, value };
}

/** Parses `a="x",b="y"}` starting after the `{`; returns the index after the `}`. */
function parseLabels(line: string, start: number, into: Record<string, string>): number | undefined {
  let position = start;
  for (;;) {
    while (line[position] === ' ' || line[position] === ',') position += 1;
    if (line[position] === '}') return position + 1;
    const labelMatch = LABEL_NAME.exec(line.slice(position));
    if (!labelMatch) return undefined;
    position += labelMatch[0].length;
    while (line[position] === ' ') position += 1;
    if (line[position] !== '=') return undefined;
    position += 1;
    while (line[position] === ' ') position += 1;
    if (line[position] !== '"') return undefined;
    position += 1;
    let value = '';
    for (;;) {
      const character = line[position];
      if (character === undefined) return undefined;
      if (character === '"') break;
      if (character === '\\') {
        const escaped = line[position + 1];
        value += escaped === 'n' ? '\n' : (escaped ?? '');
        position += 2;
        continue;
      }
      value += character;
      position += 1;
    }
    into[labelMatch[0]] = value;
    position += 1;
  }
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(n|\\)/g, (_match, escaped: string) => (escaped === 'n' ? '\n' : '\\'));
}

/**
 * Histogram quantile from cumulative buckets, interpolated linearly inside the bucket the rank falls in, the
 * way PromQL's histogram_quantile does; a rank in the +Inf bucket answers the highest finite bound.
 */
export function bucketQuantile(
  quantile: number,
  buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>,
): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count;
  if (total === undefined || total <= 0 || sorted.at(-1)?.le !== Number.POSITIVE_INFINITY) return undefined;
  const rank = quantile * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [index, bucket] of sorted.entries()) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return sorted[index - 1]?.le ?? undefined;
      // The first bucket starts at 0 unless its bound is negative.
      const lower = index === 0 && bucket.le <= 0 ? bucket.le : previousBound;
      const inBucket = bucket.count - previousCount;
      if (inBucket <= 0) return bucket.le;
      return lower + (bucket.le - lower) * ((rank - previousCount) / inBucket);
    }
    previousBound = bucket.le;
    previousCount = bucket.count;
  }
  return undefined;
}

/** JSON has no NaN or infinities; they travel as the exposition's own spellings. */
export type MetricValue = number | 'NaN' | '+Inf' | '-Inf';

export interface SeriesSummary {
  /** `method="GET",code="200"`; empty for a series without labels. */
  readonly labels: string;
  readonly value?: MetricValue;
  readonly count?: MetricValue;
  readonly sum?: MetricValue;
  readonly p50?: MetricValue;
  readonly p99?: MetricValue;
}

export interface FamilySummary {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly series: number;
  /** Counters: the sum over every series (e.g. all requests, whatever their labels). */
  readonly total?: MetricValue;
  /** The series with the largest values (counts for histograms and summaries), at most maxSeries. */
  readonly top: SeriesSummary[];
}

export interface SummaryOptions {
  readonly match?: (name: string) => boolean;
  readonly maxFamilies: number;
  readonly maxSeries: number;
  /** Stop adding families once the JSON of those kept reaches this size. */
  readonly maxBytes: number;
}

export interface ExpositionSummary {
  readonly families: FamilySummary[];
  readonly familiesTotal: number;
  readonly familiesMatched: number;
  readonly seriesTotal: number;
  /** Families that matched but were left out by maxFamilies or maxBytes. */
  readonly familiesOmitted: number;
}

// Process and runtime families every client library exports; the app's own come first in an overview.
const RUNTIME_PREFIXES = [
  'go_',
  'process_',
  'promhttp_',
  'nodejs_',
  'jvm_',
  'python_',
  'dotnet_',
  'ruby_',
  'erlang_',
  'beam_',
];

export function isRuntimeFamily(name: string): boolean {
  return RUNTIME_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export function summarizeExposition(parsed: ParsedExposition, options: SummaryOptions): ExpositionSummary {
  const matched = parsed.families.filter((family) => options.match?.(family.name) ?? true);
  const ordered = [
    ...matched.filter((family) => !isRuntimeFamily(family.name)),
    ...matched.filter((family) => isRuntimeFamily(family.name)),
  ];
  const families: FamilySummary[] = [];
  let bytes = 0;
  let seriesTotal = 0;
  for (const family of parsed.families) seriesTotal += seriesOf(family).length;
  for (const family of ordered) {
    if (families.length >= options.maxFamilies) break;
    const summary = summarizeFamily(family, options.maxSeries);
    const size = byteLength(summary);
    if (bytes + size > options.maxBytes && families.length > 0) break;
    bytes += size;
    families.push(summary);
  }
  return {
    families,
    familiesTotal: parsed.families.length,
    familiesMatched: matched.length,
    seriesTotal,
    familiesOmitted: matched.length - families.length,
  };
}

const HELP_MAX = 160;
const LABELS_MAX = 240;

export function summarizeFamily(family: MetricFamily, maxSeries: number): FamilySummary {
  const series = seriesOf(family);
  const ranked = [...series].sort((a, b) => rankOf(b) - rankOf(a));
  const top = ranked.slice(0, maxSeries).map(toSummary);
  const help = family.help ? clip(family.help, HELP_MAX) : undefined;
  const summary: FamilySummary = {
    name: family.name,
    type: family.type,
    ...(help ? { help } : {}),
    series: series.length,
    top,
  };
  if (family.type === 'counter' && series.length > 1) {
    return { ...summary, total: jsonValue(series.reduce((sum, item) => sum + (item.value ?? 0), 0)) };
  }
  return summary;
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  value?: number;
  count?: number;
  sum?: number;
  buckets?: Array<{ le: number; count: number }>;
  quantiles?: Map<string, number>;
}

/** Groups a family's samples into series: one per label set, without `le` and `quantile`. */
function seriesOf(family: MetricFamily): Series[] {
  const byKey = new Map<string, Series>();
  const distributed = family.type === 'histogram' || family.type === 'gaugehistogram' || family.type === 'summary';
  for (const sample of family.samples) {
    const { le, quantile, ...rest } = sample.labels;
    const labels = distributed ? rest : sample.labels;
    const key = labelText(labels);
    let series = byKey.get(key);
    if (!series) {
      series = { labels };
      byKey.set(key, series);
    }
    const suffix = sample.name.slice(family.name.length);
    if (!distributed) {
      if (suffix === '_created') continue;
      series.value = sample.value;
      continue;
    }
    if (suffix === '_count' || suffix === '_gcount') series.count = sample.value;
    else if (suffix === '_sum' || suffix === '_gsum') series.sum = sample.value;
    else if (suffix === '_bucket' && le !== undefined) {
      const bound = parseValue(le);
      if (bound === undefined) continue;
      series.buckets = series.buckets ?? [];
      series.buckets.push({ le: bound, count: sample.value });
    } else if (suffix === '' && quantile !== undefined) {
      series.quantiles = series.quantiles ?? new Map();
      series.quantiles.set(quantile, sample.value);
    }
  }
  return [...byKey.values()];
}

function rankOf(series: Series): number {
  const value = series.count ?? series.value ?? 0;
  return Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
}

function toSummary(series: Series): SeriesSummary {
  const labels = clip(labelText(series.labels), LABELS_MAX);
  if (series.buckets || series.quantiles || series.count !== undefined || series.sum !== undefined) {
    const p50 = series.buckets ? bucketQuantile(0.5, series.buckets) : quantileOf(series.quantiles, 0.5);
    const p99 = series.buckets ? bucketQuantile(0.99, series.buckets) : quantileOf(series.quantiles, 0.99);
    const count = series.count ?? series.buckets?.find((bucket) => bucket.le === Number.POSITIVE_INFINITY)?.count;
    return {
      labels,
      ...(count !== undefined ? { count: jsonValue(count) } : {}),
      ...(series.sum !== undefined ? { sum: jsonValue(series.sum) } : {}),
      ...(p50 !== undefined ? { p50: approximate(p50) } : {}),
      ...(p99 !== undefined ? { p99: approximate(p99) } : {}),
    };
  }
  return { labels, value: jsonValue(series.value ?? Number.NaN) };
}

function quantileOf(quantiles: ReadonlyMap<string, number> | undefined, wanted: number): number | undefined {
  if (!quantiles) return undefined;
  for (const [text, value] of quantiles) if (Number(text) === wanted) return value;
  return undefined;
}

export function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',');
}

/** Finite numbers rounded to 6 significant digits (bucket interpolation invents the rest anyway). */
export function jsonValue(value: number): MetricValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return Number.isInteger(value) ? value : Number(value.toPrecision(6));
}

/** Quantiles from buckets are estimates; four significant digits do not pretend otherwise. */
function approximate(value: number): MetricValue {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : jsonValue(value);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A name filter as an agent writes it: plain metric-name characters are a prefix (`http_`), anything else is
 * an unanchored regular expression (`duration|latency`). Returns an error text for a broken expression.
 */
export function metricNameFilter(filter: string): ((name: string) => boolean) | { readonly error: string } {
  if (/^[a-zA-Z0-9_:]*$/.test(filter)) return (name) => name.startsWith(filter);
  try {
    const expression = new RegExp(filter);
    return (name) => expression.test(name);
  } catch (error) {
    return { error: `"${filter}" is not a valid regular expression (${(error as Error).message})` };
  }
}
