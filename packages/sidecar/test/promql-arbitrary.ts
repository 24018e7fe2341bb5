/**
 * Generated PromQL for property tests of the namespace enforcement: selectors with and without names, matchers
 * (namespace ones included, in every quoting), functions, aggregations, binary operations with matching,
 * subqueries, offset/@ modifiers, comments, and label_replace/label_join/count_values writing labels.
 */
import fc from 'fast-check';

export function promqlArbitrary(own: string, other: string): fc.Arbitrary<string> {
  const labelName = fc.constantFrom('job', 'pod', 'le', 'code', 'namespace', 'container', '__name__', 'on', 'by');
  const metric = fc.constantFrom('up', 'http_requests_total', 'kube_pod_info', 'node:cpu:rate5m', 'sum', 'offset');
  const value = fc.constantFrom(own, other, '', '.+', 'shop|other', 'a"b', "it's", '5..', '\\d');
  const op = fc.constantFrom('=', '!=', '=~', '!~');
  const space = fc.constantFrom('', ' ', '\n', ` # comment {namespace="${other}"}\n`);
  const quoteString = (text: string, style: number) =>
    style === 0
      ? JSON.stringify(text)
      : style === 1
        ? `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
        : text.includes('`')
          ? JSON.stringify(text)
          : `\`${text}\``;
  const str = (text: string) => fc.integer({ min: 0, max: 2 }).map((style) => quoteString(text, style));
  const matcher = fc
    .tuple(labelName, fc.boolean(), op, value, fc.integer({ min: 0, max: 2 }))
    .map(
      ([label, quoted, matchOp, v, style]) =>
        `${quoted ? JSON.stringify(label) : label}${matchOp}${quoteString(v, style)}`,
    );
  const selector = fc
    .tuple(fc.option(metric, { nil: undefined }), fc.array(matcher, { maxLength: 3 }), space)
    .map(([name, matchers, ws]) =>
      name === undefined && matchers.length === 0
        ? 'up'
        : `${name ?? ''}${matchers.length > 0 || !name ? `{${ws}${matchers.join(`,${ws}`)}}` : ''}`,
    );
  const duration = fc.constantFrom('5m', '1h', '30s', '1h30m', '2d', '90');

  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      selector,
      fc.constantFrom('1', '0.5', '-2', 'inf', '0x1f', '1e3'),
      fc
        .tuple(fc.constantFrom('rate', 'increase', 'max_over_time', 'deriv', 'absent_over_time'), selector, duration)
        .map(([fn, sel, d]) => `${fn}(${sel}[${d}])`),
      fc
        .tuple(fc.constantFrom('abs', 'sort', 'absent', 'scalar', 'timestamp'), tie('expr'))
        .map(([fn, e]) => `${fn}(${e})`),
      fc
        .tuple(
          fc.constantFrom('sum', 'avg', 'max', 'count', 'group'),
          fc.constantFrom('', ' by (pod)', ' without (le)'),
          tie('expr'),
        )
        .map(([agg, by, e]) => `${agg}${by}(${e})`),
      fc.tuple(fc.constantFrom('topk', 'quantile'), tie('expr')).map(([agg, e]) => `${agg}(0.5, ${e})`),
      fc
        .tuple(
          fc.constantFrom('+', '-', '*', '/', '^', '>', '== bool', 'and', 'or', 'unless'),
          fc.constantFrom('', ' on(pod)', ' ignoring(job) group_left(namespace)'),
          tie('expr'),
          tie('expr'),
          space,
        )
        .map(
          ([binop, matching, l, r, ws]) =>
            `${l}${ws}${binop}${binop === 'and' || binop === 'or' || binop === 'unless' ? '' : matching} ${r}`,
        ),
      tie('expr').map((e) => `(${e})`),
      tie('expr').map((e) => `-${e}`),
      fc.tuple(tie('expr'), duration, fc.constantFrom('', '1m', '30s')).map(([e, d, step]) => `(${e})[${d}:${step}]`),
      fc
        .tuple(selector, fc.constantFrom(' offset 5m', ' offset -1h', ' @ start()', ' @ 1700000000 offset 1m'))
        .map(([s, m]) => `${s}${m}`),
      fc
        .tuple(fc.constantFrom('label_replace', 'label_join'), tie('expr'), fc.constantFrom('namespace', 'pod', 'dst'))
        .chain(([fn, e, dst]) =>
          str(dst).map((d) =>
            fn === 'label_replace'
              ? `label_replace(${e}, ${d}, "$1", "namespace", "(.*)")`
              : `label_join(${e}, ${d}, ",", "pod", "namespace")`,
          ),
        ),
      fc
        .tuple(fc.constantFrom('count_values'), fc.constantFrom('"namespace"', '"v"'), tie('expr'))
        .map(([, l, e]) => `count_values(${l}, ${e})`),
    ),
  }));
  return expr;
}
