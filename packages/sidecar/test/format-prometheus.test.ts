import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bucketQuantile,
  jsonValue,
  metricNameFilter,
  parsePrometheusText,
  parseSampleLine,
  summarizeExposition,
  summarizeFamily,
} from '../src/format/prometheus.ts';

const PAGE = `# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 1027
http_requests_total{method="POST",code="500"} 3
http_requests_total{method="GET",code="404"} 12
# HELP queue_depth Jobs waiting.
# TYPE queue_depth gauge
queue_depth 7
# HELP request_seconds Request latency.
# TYPE request_seconds histogram
request_seconds_bucket{le="0.1"} 50
request_seconds_bucket{le="0.5"} 90
request_seconds_bucket{le="1"} 99
request_seconds_bucket{le="+Inf"} 100
request_seconds_sum 23.5
request_seconds_count 100
# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.012
rpc_seconds{quantile="0.99"} 0.2
rpc_seconds_sum 4.2
rpc_seconds_count 300
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
untyped_thing 1
`;

describe('parsePrometheusText', () => {
  test('groups samples into families with their declared types and help', () => {
    const parsed = parsePrometheusText(PAGE);
    assert.equal(parsed.badLines, 0);
    assert.deepEqual(
      parsed.families.map((family) => [family.name, family.type, family.samples.length]),
      [
        ['http_requests_total', 'counter', 3],
        ['queue_depth', 'gauge', 1],
        ['request_seconds', 'histogram', 6],
        ['rpc_seconds', 'summary', 4],
        ['go_goroutines', 'gauge', 1],
        ['untyped_thing', 'untyped', 1],
      ],
    );
    assert.equal(parsed.families[0]?.help, 'Requests served.');
  });

  test('OpenMetrics: counter family without _total, _created ignored, exemplars and # EOF', () => {
    const parsed = parsePrometheusText(
      [
        '# TYPE jobs counter',
        '# UNIT jobs jobs',
        'jobs_total{kind="a"} 5 # {trace_id="abc"} 1.0 1700000000',
        'jobs_created{kind="a"} 1700000000',
        '# EOF',
      ].join('\n'),
    );
    assert.equal(parsed.families.length, 1);
    const summary = summarizeFamily(parsed.families[0] as never, 5);
    assert.deepEqual(summary.top, [{ labels: 'kind="a"', value: 5 }]);
  });

  test('label values keep escapes, special values parse, broken lines are counted not fatal', () => {
    assert.deepEqual(parseSampleLine('m{path="/a\\"b\\\\c",x="1\\n2"} +Inf 1700000000'), {
      name: 'm',
      labels: { path: '/a"b\\c', x: '1\n2' },
      value: Number.POSITIVE_INFINITY,
    });
    assert.ok(Number.isNaN(parseSampleLine('m NaN')?.value));
    assert.equal(parseSampleLine('m{a="b"} 1.5e3')?.value, 1500);
    assert.equal(parseSampleLine('m{a="b" 1'), undefined);
    assert.equal(parseSampleLine('m one'), undefined);
    const parsed = parsePrometheusText('good 1\n{bad} 2\nalso_bad\n<html>\n');
    assert.equal(parsed.families.length, 1);
    assert.equal(parsed.badLines, 3);
    assert.equal(parsed.firstBadLine, '{bad} 2');
  });
});

describe('bucketQuantile', () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 99 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  test('interpolates inside the bucket the rank falls in, like histogram_quantile', () => {
    assert.equal(bucketQuantile(0.5, buckets), 0.1);
    // Rank 99 of 100 is the top of the (0.5, 1] bucket.
    assert.equal(bucketQuantile(0.99, buckets), 1);
    // Rank 70: 20 of the 40 observations in (0.1, 0.5].
    assert.ok(Math.abs((bucketQuantile(0.7, buckets) ?? 0) - 0.3) < 1e-9);
  });
  test('a rank in the +Inf bucket answers the highest finite bound; no data answers nothing', () => {
    assert.equal(bucketQuantile(0.999, buckets), 1);
    assert.equal(bucketQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }]), undefined);
    assert.equal(bucketQuantile(0.5, [{ le: 1, count: 3 }]), undefined);
  });
});

describe('summarizeExposition', () => {
  const parsed = parsePrometheusText(PAGE);
  test('counters: top series by value and a total; histograms: count, sum, p50, p99; summaries from quantiles', () => {
    const summary = summarizeExposition(parsed, { maxFamilies: 10, maxSeries: 2, maxBytes: 100_000 });
    const byName = new Map(summary.families.map((family) => [family.name, family]));
    assert.deepEqual(byName.get('http_requests_total'), {
      name: 'http_requests_total',
      type: 'counter',
      help: 'Requests served.',
      series: 3,
      top: [
        { labels: 'method="GET",code="200"', value: 1027 },
        { labels: 'method="GET",code="404"', value: 12 },
      ],
      total: 1042,
    });
    assert.deepEqual(byName.get('request_seconds')?.top, [{ labels: '', count: 100, sum: 23.5, p50: 0.1, p99: 1 }]);
    assert.deepEqual(byName.get('rpc_seconds')?.top, [{ labels: '', count: 300, sum: 4.2, p50: 0.012, p99: 0.2 }]);
    assert.equal(summary.seriesTotal, 8);
  });

  test("the app's own families come before runtime ones, and caps say how many were left out", () => {
    const summary = summarizeExposition(parsed, { maxFamilies: 10, maxSeries: 5, maxBytes: 100_000 });
    assert.equal(summary.families.at(-1)?.name, 'go_goroutines');
    const capped = summarizeExposition(parsed, { maxFamilies: 2, maxSeries: 5, maxBytes: 100_000 });
    assert.equal(capped.families.length, 2);
    assert.equal(capped.familiesOmitted, 4);
    const tiny = summarizeExposition(parsed, { maxFamilies: 10, maxSeries: 5, maxBytes: 10 });
    assert.equal(tiny.families.length, 1, 'at least one family is always shown');
  });

  test('a filter narrows the families', () => {
    const match = metricNameFilter('request');
    assert.ok(typeof match === 'function');
    const summary = summarizeExposition(parsed, { match, maxFamilies: 10, maxSeries: 5, maxBytes: 100_000 });
    assert.deepEqual(
      summary.families.map((family) => family.name),
      ['request_seconds'],
    );
    assert.equal(summary.familiesMatched, 1);
    assert.equal(summary.familiesTotal, 6);
  });
});

describe('metricNameFilter', () => {
  test('plain names are prefixes, anything else is an unanchored regular expression', () => {
    const prefix = metricNameFilter('http_');
    assert.ok(typeof prefix === 'function');
    assert.equal(prefix('http_requests_total'), true);
    assert.equal(prefix('grpc_http_x'), false);
    const expression = metricNameFilter('seconds|depth');
    assert.ok(typeof expression === 'function');
    assert.equal(expression('queue_depth'), true);
    assert.equal(expression('request_seconds'), true);
    assert.equal(expression('go_goroutines'), false);
  });
  test('a broken expression is an error to show, not a throw', () => {
    const result = metricNameFilter('(unclosed');
    assert.ok(typeof result === 'object' && /not a valid regular expression/.test(result.error));
  });
});

test('jsonValue: JSON-safe spellings for NaN and infinities, 6 significant digits', () => {
  assert.equal(jsonValue(Number.NaN), 'NaN');
  assert.equal(jsonValue(Number.POSITIVE_INFINITY), '+Inf');
  assert.equal(jsonValue(Number.NEGATIVE_INFINITY), '-Inf');
  assert.equal(jsonValue(0.1 + 0.2), 0.3);
  assert.equal(jsonValue(12345678), 12345678);
});
