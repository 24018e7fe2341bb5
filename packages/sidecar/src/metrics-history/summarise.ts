/**
 * A matrix is thousands of numbers a model reads badly; what it needs per series is the shape: where it
 * started and ended, its extremes, whether it trends, and when it changed level. Pure functions over samples.
 */
import type { Sample } from './client.ts';

export type Trend = 'rising' | 'falling' | 'flat' | 'single point';

export interface ChangePoint {
  /** ISO time of the first sample at the new level. */
  readonly at: string;
  readonly from: number;
  readonly to: number;
}

export interface SeriesSummary {
  readonly points: number;
  readonly first: number;
  readonly last: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly min_at: string;
  readonly max_at: string;
  readonly trend: Trend;
  /** Least-squares slope per minute, for growth such as memory before an OOM kill. */
  readonly slope_per_minute: number;
  readonly change_points: readonly ChangePoint[];
  /** Samples missing where the step says there should be one: the series was absent for a while. */
  readonly gaps: number;
}

const MAX_CHANGE_POINTS = 3;

export function summariseSamples(samples: readonly Sample[], stepSeconds?: number): SeriesSummary | undefined {
  const finite = samples.filter((sample) => Number.isFinite(sample.v));
  const first = finite[0];
  const last = finite.at(-1);
  if (!first || !last) return undefined;
  let min = first;
  let max = first;
  let sum = 0;
  for (const sample of finite) {
    if (sample.v < min.v) min = sample;
    if (sample.v > max.v) max = sample;
    sum += sample.v;
  }
  const mean = sum / finite.length;
  const slope = slopePerSecond(finite);
  const span = max.v - min.v;
  const duration = last.t - first.t;
  // The fitted change over the window, against the series' own spread and size, decides the trend.
  const fitted = slope * duration;
  const scale = Math.max(span, Math.abs(mean) * 0.01, Number.EPSILON);
  const trend: Trend =
    finite.length < 2 ? 'single point' : Math.abs(fitted) < 0.1 * scale ? 'flat' : fitted > 0 ? 'rising' : 'falling';
  return {
    points: finite.length,
    first: round(first.v),
    last: round(last.v),
    min: round(min.v),
    max: round(max.v),
    mean: round(mean),
    min_at: iso(min.t),
    max_at: iso(max.t),
    trend,
    slope_per_minute: round(slope * 60),
    change_points: changePoints(finite, span),
    gaps: stepSeconds ? countGaps(finite, stepSeconds) : 0,
  };
}

function slopePerSecond(samples: readonly Sample[]): number {
  if (samples.length < 2) return 0;
  const t0 = samples[0]?.t ?? 0;
  let st = 0;
  let sv = 0;
  for (const sample of samples) {
    st += sample.t - t0;
    sv += sample.v;
  }
  const meanT = st / samples.length;
  const meanV = sv / samples.length;
  let covariance = 0;
  let variance = 0;
  for (const sample of samples) {
    const dt = sample.t - t0 - meanT;
    covariance += dt * (sample.v - meanV);
    variance += dt * dt;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/**
 * Level shifts by binary segmentation: the split that most reduces the squared error, kept when the two sides'
 * means differ by at least a fifth of the series' range and two levels fit the segment far better than one
 * level or one line; then each side is searched again, up to a few change points.
 */
export function changePoints(samples: readonly Sample[], span: number): ChangePoint[] {
  if (span <= 0) return [];
  // A level needs a twentieth of the window (at least 3 points), so a ramp is one change, not several.
  const minSegment = Math.max(3, Math.floor(samples.length / 20));
  const found: Array<{ index: number; from: number; to: number }> = [];
  const search = (start: number, end: number) => {
    if (found.length >= MAX_CHANGE_POINTS || end - start < 2 * minSegment) return;
    const segment = samples.slice(start, end);
    // A split must explain the segment much better than one level and than one straight line: a steady
    // climb is a trend, not a series of level changes.
    const total = Math.min(squaredError(segment), linearError(segment));
    if (total === 0) return;
    let best: { index: number; error: number; left: number; right: number } | undefined;
    for (let split = minSegment; split <= segment.length - minSegment; split++) {
      const left = segment.slice(0, split);
      const right = segment.slice(split);
      const error = squaredError(left) + squaredError(right);
      if (!best || error < best.error) best = { index: split, error, left: average(left), right: average(right) };
    }
    if (!best || Math.abs(best.right - best.left) < span / 5 || best.error > total * 0.4) return;
    found.push({ index: start + best.index, from: best.left, to: best.right });
    search(start, start + best.index);
    search(start + best.index, end);
  };
  search(0, samples.length);
  return found
    .sort((a, b) => a.index - b.index)
    .map(({ index, from, to }) => ({ at: iso(samples[index]?.t ?? 0), from: round(from), to: round(to) }));
}

function average(samples: readonly Sample[]): number {
  return samples.reduce((total, sample) => total + sample.v, 0) / samples.length;
}

function squaredError(samples: readonly Sample[]): number {
  const mean = average(samples);
  return samples.reduce((total, sample) => total + (sample.v - mean) ** 2, 0);
}

function linearError(samples: readonly Sample[]): number {
  const slope = slopePerSecond(samples);
  const meanT = samples.reduce((total, sample) => total + sample.t, 0) / samples.length;
  const meanV = average(samples);
  return samples.reduce((total, sample) => total + (sample.v - (meanV + slope * (sample.t - meanT))) ** 2, 0);
}

function countGaps(samples: readonly Sample[], stepSeconds: number): number {
  let gaps = 0;
  for (let i = 1; i < samples.length; i++) {
    const previous = samples[i - 1];
    const current = samples[i];
    if (previous && current && current.t - previous.t > stepSeconds * 1.5) gaps += 1;
  }
  return gaps;
}

/** Four significant digits: enough to read a trend, short enough to scan. */
export function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(4));
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
