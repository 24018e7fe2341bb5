import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { changePoints, round, summariseSamples } from '../src/metrics-history/summarise.ts';

const T0 = 1_800_000_000;
const series = (values: number[], step = 60) => values.map((v, i) => ({ t: T0 + i * step, v }));

describe('summariseSamples', () => {
  test('a steady climb: rising, its slope per minute, no level change', () => {
    const summary = summariseSamples(series(Array.from({ length: 60 }, (_, i) => 100 + 2 * i)), 60);
    assert.ok(summary);
    assert.equal(summary.trend, 'rising');
    assert.equal(summary.slope_per_minute, 2);
    assert.deepEqual([summary.first, summary.last, summary.min, summary.max], [100, 218, 100, 218]);
    assert.equal(summary.max_at, new Date((T0 + 59 * 60) * 1000).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(summary.change_points, []);
  });

  test('a step: flat before and after, one change point where the level moves', () => {
    const values = [...Array.from({ length: 30 }, () => 1), ...Array.from({ length: 30 }, () => 9)];
    const summary = summariseSamples(series(values));
    assert.ok(summary);
    assert.equal(summary.trend, 'rising');
    assert.deepEqual(summary.change_points, [
      { at: new Date((T0 + 30 * 60) * 1000).toISOString().replace('.000Z', 'Z'), from: 1, to: 9 },
    ]);
  });

  test('noise around a level is flat, with no change points', () => {
    const values = Array.from({ length: 50 }, (_, i) => 10 + (i % 2 === 0 ? 0.1 : -0.1));
    const summary = summariseSamples(series(values));
    assert.equal(summary?.trend, 'flat');
    assert.deepEqual(summary?.change_points, []);
  });

  test('gaps, non-finite samples, a single point, no points', () => {
    const gappy = [...series([1, 1, 1]), ...series([1, 1], 60).map((s) => ({ ...s, t: s.t + 600 }))];
    assert.equal(summariseSamples(gappy, 60)?.gaps, 1);
    assert.equal(
      summariseSamples([
        { t: T0, v: Number.NaN },
        { t: T0 + 60, v: 5 },
      ])?.points,
      1,
    );
    assert.equal(summariseSamples(series([5]))?.trend, 'single point');
    assert.equal(summariseSamples([]), undefined);
  });

  test('a constant series has no change points; rounding keeps four significant digits', () => {
    assert.deepEqual(changePoints(series([3, 3, 3, 3, 3, 3, 3]), 0), []);
    assert.equal(round(123456.789), 123500);
    assert.equal(round(0.000123456), 0.0001235);
  });
});
