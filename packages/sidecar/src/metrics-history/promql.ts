/**
 * Namespace enforcement for PromQL (the approach of prom-label-proxy): the query is parsed with the Prometheus
 * project's own grammar into a small tree of the constructs this module understands, every vector and matrix
 * selector gets `namespace="<own namespace>"`, and the tree is written back out as canonical text. Only that
 * text is ever sent, so nothing the parser skipped (comments, odd quoting) reaches Prometheus. Whatever cannot
 * be enforced is refused: a namespace matcher other than exactly the own namespace, a function or aggregation
 * that writes the `namespace` label, experimental syntax, and anything that does not parse.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { type ConvertState, convert, convertMatcher } from './promql-convert.ts';
import { kids, seconds } from './promql-literals.ts';
import { serialise } from './promql-serialise.ts';
import { type Expr, type Matcher, NAMESPACE_LABEL, QueryRefused } from './promql-tree.ts';

export { NAMESPACE_LABEL, QueryRefused } from './promql-tree.ts';

export const MAX_QUERY_LENGTH = 4000;

export interface EnforcedQuery {
  /** The canonical text sent to Prometheus: every selector carries the namespace matcher. */
  readonly text: string;
  readonly selectors: number;
  /** The longest look-back of any selector or subquery, in seconds (windows plus offsets). */
  readonly lookbackSeconds: number;
}

/** Parses `query`, adds the namespace matcher to every selector and returns the rewritten text, or throws QueryRefused. */
export function enforceNamespace(query: string, namespace: string): EnforcedQuery {
  if (query.length > MAX_QUERY_LENGTH)
    throw new QueryRefused(`the query is longer than ${MAX_QUERY_LENGTH} characters`);
  if (query.trim() === '') throw new QueryRefused('the query is empty');
  const tree = parser.parse(query);
  let broken: { from: number } | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && !broken) broken = { from: node.from };
      return !broken;
    },
  });
  if (broken) throw new QueryRefused(`the query does not parse as PromQL (near character ${broken.from + 1})`);
  const [top, ...rest] = kids(tree.topNode);
  if (!top || rest.length > 0) throw new QueryRefused('the query does not parse as one PromQL expression');
  const state = { selectors: 0, lookback: 0 };
  const expr = convert(top, query, 0, state);
  enforce(expr, namespace, state);
  const text = serialise(expr);
  // Defence in depth: the text that leaves is parsed again and every selector in it checked.
  const problems = selectorProblems(text, namespace);
  if (problems.length > 0) throw new QueryRefused(`the rewritten query failed its own check: ${problems[0]}`);
  return { text, selectors: state.selectors, lookbackSeconds: state.lookback };
}

/**
 * Every selector of `query` that does not carry exactly one matcher `namespace="<namespace>"`, described; empty
 * when all do. Used on the rewritten text before it is sent, and by tests.
 */
export function selectorProblems(query: string, namespace: string): string[] {
  const tree = parser.parse(query);
  const problems: string[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) problems.push(`a syntax error at ${ref.from}`);
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const matchers = node.getChild('LabelMatchers');
      const own: Matcher[] = [];
      for (let child = matchers?.firstChild; child; child = child.nextSibling) {
        if (child.name !== 'UnquotedLabelMatcher' && child.name !== 'QuotedLabelMatcher') continue;
        try {
          const matcher = convertMatcher(child, query);
          if (matcher.label === NAMESPACE_LABEL) own.push(matcher);
        } catch {
          problems.push(`an unreadable matcher in ${query.slice(node.from, node.to)}`);
        }
      }
      const [only] = own;
      if (own.length !== 1 || !only || only.op !== '=' || only.value !== namespace) {
        problems.push(`${query.slice(node.from, node.to)} does not select exactly namespace="${namespace}"`);
      }
    },
  });
  return problems;
}

// ---- enforcement ------------------------------------------------------------------------------------------

function enforce(expr: Expr, namespace: string, state: ConvertState): void {
  switch (expr.kind) {
    case 'selector': {
      const kept: Matcher[] = [];
      for (const matcher of expr.matchers) {
        if (matcher.label !== NAMESPACE_LABEL) {
          kept.push(matcher);
          continue;
        }
        if (matcher.op !== '=' || matcher.value !== namespace) {
          throw new QueryRefused(
            `a ${NAMESPACE_LABEL} matcher other than ${NAMESPACE_LABEL}="${namespace}" (${NAMESPACE_LABEL}${matcher.op}${JSON.stringify(matcher.value)}): this sidecar reads namespace ${namespace} only, and adds that matcher itself`,
          );
        }
      }
      expr.matchers = [...kept, { label: NAMESPACE_LABEL, op: '=', value: namespace }];
      state.lookback = Math.max(state.lookback, seconds(expr.range ?? '0') + offsetSeconds(expr.offset));
      return;
    }
    case 'subquery':
      enforce(expr.expr, namespace, state);
      state.lookback = Math.max(state.lookback, seconds(expr.range) + offsetSeconds(expr.offset));
      return;
    case 'paren':
    case 'unary':
      enforce(expr.expr, namespace, state);
      return;
    case 'binary':
      enforce(expr.lhs, namespace, state);
      enforce(expr.rhs, namespace, state);
      return;
    case 'call':
    case 'aggregate':
      for (const arg of expr.args) enforce(arg, namespace, state);
      return;
    default:
      return;
  }
}

function offsetSeconds(offset: string | undefined): number {
  if (offset === undefined) return 0;
  return offset.startsWith('-') ? 0 : seconds(offset);
}
