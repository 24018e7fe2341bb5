import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { enforceNamespace, QueryRefused, selectorProblems } from '../src/metrics-history/promql.ts';
import { promqlArbitrary } from './promql-arbitrary.ts';

const OWN = 'shop';
const enforced = (query: string) => enforceNamespace(query, OWN).text;
const refused = (query: string, pattern: RegExp) =>
  assert.throws(
    () => enforceNamespace(query, OWN),
    (error: unknown) => {
      assert.ok(error instanceof QueryRefused, `not refused: ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    },
  );

describe('enforceNamespace: every selector gets the own namespace', () => {
  test('a bare metric, a label set, and a name matcher', () => {
    assert.equal(enforced('up'), 'up{namespace="shop"}');
    assert.equal(enforced('up{job="web"}'), 'up{job="web", namespace="shop"}');
    assert.equal(enforced('{__name__=~".+"}'), '{__name__=~".+", namespace="shop"}');
    assert.equal(enforced('{"http.requests"}'), '{__name__="http.requests", namespace="shop"}');
  });

  test('inside functions, aggregations, binary operations, subqueries and time modifiers', () => {
    assert.equal(
      enforced(
        'sum by (pod) (rate(http_requests_total{code=~"5.."}[5m])) / on(pod) group_left sum by (pod) (rate(http_requests_total[5m]))',
      ),
      'sum by (pod) (rate(http_requests_total{code=~"5..", namespace="shop"}[5m])) / on(pod) group_left() sum by (pod) (rate(http_requests_total{namespace="shop"}[5m]))',
    );
    assert.equal(
      enforced('max_over_time(rate(x[5m])[1h:1m] offset 1h)'),
      'max_over_time((rate(x{namespace="shop"}[5m]))[1h:1m] offset 1h)',
    );
    assert.equal(enforced('x @ start() offset -5m'), 'x{namespace="shop"} @ start() offset -5m');
    assert.equal(enforced('x offset 5m @ 1700000000'), 'x{namespace="shop"} @ 1700000000 offset 5m');
    assert.equal(enforced('up or vector(1)'), 'up{namespace="shop"} or vector(1)');
    assert.equal(enforced('-x ^ 2'), '-(x{namespace="shop"} ^ 2)');
    assert.equal(enforced('---2'), '-(-(-2))');
    assert.equal(enforced('x - -2'), 'x{namespace="shop"} - (-2)');
    assert.equal(
      enforced('histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))'),
      'histogram_quantile(0.99, sum by (le) (rate(h_bucket{namespace="shop"}[5m])))',
    );
  });

  test("postfix forms bind to the nearest operand, as PromQL's own parser binds them", () => {
    assert.equal(enforced('a - a offset 1d'), 'a{namespace="shop"} - a{namespace="shop"} offset 1d');
    assert.equal(enforced('a or b @ end()'), 'a{namespace="shop"} or b{namespace="shop"} @ end()');
    assert.equal(enforced('a * b[5m:] offset 1m'), 'a{namespace="shop"} * (b{namespace="shop"})[5m:] offset 1m');
    assert.equal(enforced('-b offset 1d'), '-b{namespace="shop"} offset 1d');
    refused('(a - b) offset 1d', /applies only to a selector or a subquery/);
  });

  test('an existing matcher of exactly the own namespace is kept once', () => {
    assert.equal(enforced('up{namespace="shop"}'), 'up{namespace="shop"}');
    assert.equal(enforced('up{"namespace"="shop", namespace="shop"}'), 'up{namespace="shop"}');
  });

  test('comments and odd quoting do not reach Prometheus: the text is rebuilt', () => {
    assert.equal(enforced('sum(x) # up{namespace="other"}\n + 1'), 'sum(x{namespace="shop"}) + 1');
    assert.equal(enforced("x{a='b\\'c', d=`e\\f`}"), 'x{a="b\'c", d="e\\\\f", namespace="shop"}');
  });

  test('a metric named like a keyword is written as a name matcher', () => {
    assert.equal(enforced('{__name__="sum"}'), '{__name__="sum", namespace="shop"}');
  });

  test('the longest look-back is reported (windows and offsets)', () => {
    assert.equal(enforceNamespace('rate(x[5m] offset 1h)', OWN).lookbackSeconds, 3900);
    assert.equal(enforceNamespace('max_over_time(x[2d:5m])', OWN).lookbackSeconds, 172_800);
  });
});

describe('enforceNamespace: what cannot be enforced is refused', () => {
  test('namespace matchers other than exactly the own namespace', () => {
    refused('up{namespace="other"}', /namespace="other"/);
    refused('up{namespace=~"shop|other"}', /namespace=~/);
    refused('up{namespace=~"shop"}', /namespace=~/);
    refused('up{namespace!="shop"}', /namespace!=/);
    refused('up{namespace!~"x"}', /namespace!~/);
    refused('up{"namespace"="other"}', /namespace="other"/);
    refused('sum(rate(x[5m])) + on() up{namespace="other"}', /namespace="other"/);
  });

  test('writing the namespace label', () => {
    refused('label_replace(up, "namespace", "other", "", "")', /label_replace may not write/);
    refused("label_replace(up, 'namespace', 'x', 'job', '(.*)')", /label_replace may not write/);
    refused('label_join(up, "namespace", ",", "job")', /label_join may not write/);
    refused('count_values("namespace", up)', /count_values may not write/);
  });

  test('experimental or unknown constructs, and unparseable text', () => {
    refused('info(up)', /info\(\) is not supported/);
    refused('sum(', /does not parse/);
    refused('"abc', /unterminated|does not parse/);
    refused('up{a="b"', /does not parse/);
    refused('', /empty/);
    refused('x offset 5m offset 1m', /offset is set twice/);
    refused('rate(x)[5m]', /plain selector/);
    refused('(x) offset 5m', /applies only to a selector or a subquery/);
  });

  test('bounds: windows, subquery steps, length', () => {
    refused('rate(x[30d])', /longer than the 7-day limit/);
    refused('max_over_time(x[7d:1s])', /more than 11000 steps/);
    refused(`${'('.repeat(70)}x${')'.repeat(70)}`, /nests deeper/);
    refused('x + '.repeat(1200), /longer than 4000/);
  });
});

describe('selectorProblems', () => {
  test('names every selector without exactly the own namespace', () => {
    assert.deepEqual(selectorProblems('up{namespace="shop"} + x{namespace="shop"}', OWN), []);
    assert.equal(selectorProblems('up{namespace="shop"} + x', OWN).length, 1);
    assert.equal(selectorProblems('up{namespace="shop", namespace="other"}', OWN).length, 1);
    assert.equal(selectorProblems('up{namespace=~"shop"}', OWN).length, 1);
  });
});

const expr = promqlArbitrary(OWN, 'other');

describe('property: generated PromQL', () => {
  test('refused, or every selector of the rewritten query carries exactly namespace="<own>"', () => {
    let accepted = 0;
    fc.assert(
      fc.property(expr, (query) => {
        let text: string;
        try {
          text = enforceNamespace(query, OWN).text;
        } catch (error) {
          assert.ok(error instanceof QueryRefused, `${query}: ${String(error)}`);
          return;
        }
        accepted += 1;
        assert.deepEqual(selectorProblems(text, OWN), [], `${query}\n=> ${text}`);
        // Rewriting is stable: the rewritten query rewrites to itself.
        assert.equal(enforceNamespace(text, OWN).text, text);
        // No selector is lost: the rewritten query has as many as the input.
        assert.equal(countSelectors(text), countSelectors(query), `${query}\n=> ${text}`);
      }),
      { numRuns: 1500 },
    );
    // The generator must exercise the rewriting, not only refusals.
    assert.ok(accepted > 300, `only ${accepted} generated queries were accepted`);
  });

  test('a query with any namespace matcher other than the own one is always refused', () => {
    fc.assert(
      fc.property(
        expr,
        fc.constantFrom('=~', '!=', '!~', '='),
        fc.constantFrom('other', 'shop|other', '.*', 'shop'),
        (inner, matchOp, v) => {
          fc.pre(!(matchOp === '=' && v === OWN));
          const query = `(${inner}) + on() up{namespace${matchOp}"${v}"}`;
          assert.throws(() => enforceNamespace(query, OWN), QueryRefused);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function countSelectors(query: string): number {
  // Counting through the same rewriting check: each selector without the matcher is one problem.
  return selectorProblems(query, '\u0000never').length;
}
