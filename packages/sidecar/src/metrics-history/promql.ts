/**
 * Namespace enforcement for PromQL (the approach of prom-label-proxy): the query is parsed with the Prometheus
 * project's own grammar into a small tree of the constructs this module understands, every vector and matrix
 * selector gets `namespace="<own namespace>"`, and the tree is written back out as canonical text. Only that
 * text is ever sent, so nothing the parser skipped (comments, odd quoting) reaches Prometheus. Whatever cannot
 * be enforced is refused: a namespace matcher other than exactly the own namespace, a function or aggregation
 * that writes the `namespace` label, experimental syntax, and anything that does not parse.
 */
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export const NAMESPACE_LABEL = 'namespace';
export const MAX_QUERY_LENGTH = 4000;
const MAX_DEPTH = 64;
const MAX_SELECTORS = 64;
/** A matrix selector or subquery may look back at most this far: a week of history at a time. */
export const MAX_WINDOW_SECONDS = 7 * 86_400;
/** Points one subquery may evaluate (Prometheus's own cap for a range query). */
const MAX_SUBQUERY_STEPS = 11_000;
const DEFAULT_SUBQUERY_STEP_SECONDS = 60;

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

interface TimeModifiers {
  offset?: string;
  at?: string;
}

export type Expr =
  | ({ kind: 'selector'; name?: string; matchers: Matcher[]; range?: string } & TimeModifiers)
  | ({ kind: 'subquery'; expr: Expr; range: string; step?: string } & TimeModifiers)
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'paren'; expr: Expr }
  | { kind: 'unary'; op: '-' | '+'; expr: Expr }
  | { kind: 'binary'; op: string; lhs: Expr; rhs: Expr; bool: boolean; matching?: Matching }
  | { kind: 'call'; fn: string; args: Expr[] }
  | { kind: 'aggregate'; op: string; args: Expr[]; grouping?: { by: boolean; labels: string[] } };

interface Matching {
  on: boolean;
  labels: string[];
  group?: { side: 'left' | 'right'; labels: string[] };
}

/** A query that cannot be enforced; the message says why, for the agent to rephrase. */
export class QueryRefused extends Error {
  override readonly name = 'QueryRefused';
}

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

// ---- from the grammar's tree to the expression tree -------------------------------------------------------

interface ConvertState {
  selectors: number;
  lookback: number;
}

function convert(node: SyntaxNode, source: string, depth: number, state: ConvertState): Expr {
  if (depth > MAX_DEPTH) throw new QueryRefused(`the query nests deeper than ${MAX_DEPTH} levels`);
  const text = () => source.slice(node.from, node.to);
  const next = (child: SyntaxNode | null | undefined): Expr => {
    if (!child) throw new QueryRefused(`an incomplete expression: ${text()}`);
    return convert(child, source, depth + 1, state);
  };
  switch (node.name) {
    case 'VectorSelector':
      return convertSelector(node, source, state);
    // The grammar reads the postfix forms ([range], [range:step], offset, @) as binding loosest; PromQL's own
    // parser binds them to the nearest operand (`a - b offset 1d` offsets b only), and so does this rewrite.
    case 'MatrixSelector': {
      const range = duration(node.getChild('DurationExpr'), source, 'range');
      return postfix(next(kids(node)[0]), (inner) => {
        if (inner.kind !== 'selector' || inner.range || inner.offset || inner.at) {
          throw new QueryRefused(`a range [..] applies only to a plain selector: ${text()}`);
        }
        inner.range = range;
        state.lookback = Math.max(state.lookback, seconds(range));
        return inner;
      });
    }
    case 'SubqueryExpr': {
      const durations = node.getChildren('DurationExpr');
      const range = duration(durations[0], source, 'subquery range');
      const step = durations[1] ? duration(durations[1], source, 'subquery step') : undefined;
      const stepSeconds = step ? seconds(step) : DEFAULT_SUBQUERY_STEP_SECONDS;
      if (stepSeconds <= 0) throw new QueryRefused(`a subquery step must be positive: ${text()}`);
      if (seconds(range) / stepSeconds > MAX_SUBQUERY_STEPS) {
        throw new QueryRefused(`a subquery would evaluate more than ${MAX_SUBQUERY_STEPS} steps: ${text()}`);
      }
      state.lookback = Math.max(state.lookback, seconds(range));
      return postfix(next(kids(node)[0]), (inner) => ({
        kind: 'subquery',
        expr: inner,
        range,
        ...(step ? { step } : {}),
      }));
    }
    case 'OffsetExpr': {
      const offset = offsetDuration(node.getChild('OffsetDurationExpr'), source);
      return postfix(next(kids(node)[0]), (inner) => {
        const target = timeTarget(inner, 'offset', text());
        if (target.offset !== undefined) throw new QueryRefused(`offset is set twice: ${text()}`);
        target.offset = offset;
        return target;
      });
    }
    case 'StepInvariantExpr': {
      const literal = node.getChild('NumberDurationLiteral');
      const preprocessor = node.getChild('AtModifierPreprocessors');
      let at: string;
      if (literal) at = numberLiteral(literal, source);
      else if (preprocessor?.getChild('AtStart')) at = 'start()';
      else if (preprocessor?.getChild('AtEnd')) at = 'end()';
      else throw new QueryRefused(`an @ modifier needs a timestamp, start() or end(): ${text()}`);
      return postfix(next(kids(node)[0]), (inner) => {
        const target = timeTarget(inner, '@', text());
        if (target.at !== undefined) throw new QueryRefused(`@ is set twice: ${text()}`);
        target.at = at;
        return target;
      });
    }
    case 'NumberDurationLiteral':
      return { kind: 'number', text: numberLiteral(node, source) };
    case 'StringLiteral':
      return { kind: 'string', value: stringLiteral(node, source) };
    case 'ParenExpr':
      return { kind: 'paren', expr: next(kids(node)[0]) };
    case 'UnaryExpr': {
      const [opNode, operandNode] = kids(node);
      const op = source.slice(opNode?.from ?? 0, opNode?.to ?? 0);
      if (op !== '-' && op !== '+') throw new QueryRefused(`an unknown unary operator: ${text()}`);
      return { kind: 'unary', op, expr: next(operandNode) };
    }
    case 'BinaryExpr':
      return convertBinary(node, source, next);
    case 'FunctionCall': {
      const fn = source.slice(node.firstChild?.from ?? 0, node.firstChild?.to ?? 0);
      if (!FUNCTIONS.has(fn)) throw new QueryRefused(`the function ${fn}() is not supported here`);
      const args = callArgs(node.getChild('FunctionCallBody'), next);
      if ((fn === 'label_replace' || fn === 'label_join') && writesNamespace(args[1])) {
        throw new QueryRefused(
          `${fn} may not write the ${NAMESPACE_LABEL} label (its target must be a literal other label)`,
        );
      }
      return { kind: 'call', fn, args };
    }
    case 'AggregateExpr': {
      const op = source.slice(node.firstChild?.from ?? 0, node.firstChild?.to ?? 0);
      if (!AGGREGATIONS.has(op)) throw new QueryRefused(`the aggregation ${op} is not supported here`);
      const args = callArgs(node.getChild('FunctionCallBody'), next);
      if (op === 'count_values' && writesNamespace(args[0])) {
        throw new QueryRefused(`count_values may not write the ${NAMESPACE_LABEL} label`);
      }
      const modifier = node.getChild('AggregateModifier');
      const grouping = modifier
        ? { by: modifier.getChild('By') !== null, labels: groupingLabels(modifier.getChild('GroupingLabels'), source) }
        : undefined;
      return { kind: 'aggregate', op, args, ...(grouping ? { grouping } : {}) };
    }
    default:
      throw new QueryRefused(`${describeNode(node.name)} is not supported here: ${text()}`);
  }
}

function describeNode(name: string): string {
  if (name === 'AnchoredExpr' || name === 'SmoothedExpr') return 'experimental syntax';
  return `the construct ${name}`;
}

function convertSelector(node: SyntaxNode, source: string, state: ConvertState): Expr {
  state.selectors += 1;
  if (state.selectors > MAX_SELECTORS) throw new QueryRefused(`the query has more than ${MAX_SELECTORS} selectors`);
  const identifier = node.getChild('Identifier');
  let name = identifier ? source.slice(identifier.from, identifier.to) : undefined;
  const matchers: Matcher[] = [];
  for (const child of kids(node.getChild('LabelMatchers'))) {
    if (child.name === 'QuotedLabelName') {
      // `{"metric.name"}`: a quoted metric name (UTF-8 names).
      if (name !== undefined)
        throw new QueryRefused(`a selector names its metric twice: ${source.slice(node.from, node.to)}`);
      name = stringLiteral(child.getChild('StringLiteral'), source);
    } else if (child.name === 'UnquotedLabelMatcher' || child.name === 'QuotedLabelMatcher') {
      matchers.push(convertMatcher(child, source));
    } else {
      throw new QueryRefused(`an unreadable selector: ${source.slice(node.from, node.to)}`);
    }
  }
  return { kind: 'selector', ...(name === undefined ? {} : { name }), matchers };
}

function convertMatcher(node: SyntaxNode, source: string): Matcher {
  const labelNode = node.getChild('LabelName') ?? node.getChild('QuotedLabelName')?.getChild('StringLiteral');
  if (!labelNode) throw new QueryRefused('a matcher without a label');
  const label =
    labelNode.name === 'LabelName' ? source.slice(labelNode.from, labelNode.to) : stringLiteral(labelNode, source);
  const opNode = node.getChild('MatchOp');
  const op = opNode ? source.slice(opNode.from, opNode.to) : '';
  if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~')
    throw new QueryRefused(`an unknown match operator ${op}`);
  const valueNode = node.getChildren('StringLiteral').at(-1);
  return { label, op, value: stringLiteral(valueNode, source) };
}

const BINARY_OPS: Readonly<Record<string, string>> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Unless: 'unless',
  Or: 'or',
};

function convertBinary(node: SyntaxNode, source: string, next: (child: SyntaxNode | null) => Expr): Expr {
  const [lhsNode, opNode, ...after] = kids(node);
  const op = opNode ? BINARY_OPS[opNode.name] : undefined;
  if (!lhsNode || !opNode || !op) {
    throw new QueryRefused(`an unsupported binary operator: ${source.slice(node.from, node.to)}`);
  }
  let bool = false;
  let matching: Matching | undefined;
  while (after.length > 1) {
    const modifier = after.shift() as SyntaxNode;
    if (modifier.name === 'BoolModifier') bool = true;
    else if (modifier.name === 'MatchingModifierClause') matching = convertMatching(modifier, source);
    else if (modifier.name === 'FillModifier')
      throw new QueryRefused('fill modifiers are experimental and not supported here');
    else throw new QueryRefused(`an unknown binary modifier: ${source.slice(modifier.from, modifier.to)}`);
  }
  const rhsNode = after[0];
  if (!rhsNode) throw new QueryRefused(`an incomplete binary expression: ${source.slice(node.from, node.to)}`);
  return { kind: 'binary', op, lhs: next(lhsNode), rhs: next(rhsNode), bool, ...(matching ? { matching } : {}) };
}

function convertMatching(node: SyntaxNode, source: string): Matching {
  const lists = node.getChildren('GroupingLabels');
  const side = node.getChild('GroupLeft') ? 'left' : node.getChild('GroupRight') ? 'right' : undefined;
  return {
    on: node.getChild('On') !== null,
    labels: groupingLabels(lists[0], source),
    ...(side ? { group: { side, labels: lists[1] ? groupingLabels(lists[1], source) : [] } } : {}),
  };
}

function groupingLabels(node: SyntaxNode | null | undefined, source: string): string[] {
  const labels: string[] = [];
  for (const child of kids(node)) {
    if (child.name === 'LabelName') labels.push(source.slice(child.from, child.to));
    else if (child.name === 'QuotedLabelName') labels.push(stringLiteral(child.getChild('StringLiteral'), source));
    else throw new QueryRefused(`an unreadable label list: ${source.slice(node?.from ?? 0, node?.to ?? 0)}`);
  }
  return labels;
}

function callArgs(body: SyntaxNode | null, next: (child: SyntaxNode | null) => Expr): Expr[] {
  const args: Expr[] = [];
  for (const child of kids(body)) args.push(next(child));
  return args;
}

/** Applies a postfix form to the rightmost operand of unparenthesised operators, as PromQL binds it. */
function postfix(expr: Expr, apply: (operand: Expr) => Expr): Expr {
  if (expr.kind === 'binary') return { ...expr, rhs: postfix(expr.rhs, apply) };
  if (expr.kind === 'unary') return { ...expr, expr: postfix(expr.expr, apply) };
  return apply(expr);
}

/** A node's children without comments, which the grammar keeps in the tree wherever they occur. */
function kids(node: SyntaxNode | null | undefined): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node?.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'LineComment') children.push(child);
  }
  return children;
}

function writesNamespace(arg: Expr | undefined): boolean {
  // Anything but a literal could name any label, so it counts as writing it.
  return arg?.kind !== 'string' || arg.value === NAMESPACE_LABEL;
}

function timeTarget(expr: Expr, modifier: string, text: string): Extract<Expr, { kind: 'selector' | 'subquery' }> {
  if (expr.kind === 'selector' || expr.kind === 'subquery') return expr;
  throw new QueryRefused(`${modifier} applies only to a selector or a subquery: ${text}`);
}

const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
const PLAIN_SECONDS = /^\d+(?:\.\d+)?$/;

function duration(node: SyntaxNode | null | undefined, source: string, what: string): string {
  const [literal, ...rest] = kids(node);
  if (!node || !literal || rest.length > 0 || literal.name !== 'NumberDurationLiteralInDurationContext') {
    throw new QueryRefused(`a ${what} must be a plain duration such as 5m`);
  }
  const text = source.slice(literal.from, literal.to);
  if (!DURATION.test(text) && !PLAIN_SECONDS.test(text)) throw new QueryRefused(`${text} is not a duration`);
  const value = seconds(text);
  if (value > MAX_WINDOW_SECONDS) {
    throw new QueryRefused(`a ${what} of ${text} is longer than the ${MAX_WINDOW_SECONDS / 86_400}-day limit`);
  }
  return text;
}

function offsetDuration(node: SyntaxNode | null, source: string): string {
  if (!node) throw new QueryRefused('offset needs a duration');
  const sign = node.getChild('UnaryOp');
  if (sign) {
    const op = source.slice(sign.from, sign.to);
    const inner = node.getChild('OffsetDurationExpr');
    if (inner?.getChild('UnaryOp')) throw new QueryRefused('offset takes one sign at most');
    return `${op === '-' ? '-' : ''}${duration(inner, source, 'offset')}`;
  }
  return duration(node, source, 'offset');
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Seconds in a PromQL duration (`1h30m`, `90s`, or plain seconds). */
export function seconds(text: string): number {
  if (PLAIN_SECONDS.test(text)) return Number(text);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|[smhdwy])/g)) {
    total += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
  }
  return total;
}

const NUMBER =
  /^[+-]?(?:(?:\d(?:_?\d)*(?:\.\d(?:_?\d)*)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+|[iI][nN][fF]|[nN][aA][nN]|(?:\d+(?:ms|[smhdwy]))+)$/;

function numberLiteral(node: SyntaxNode, source: string): string {
  const text = source.slice(node.from, node.to).replace(/\s+/g, '');
  if (!NUMBER.test(text)) throw new QueryRefused(`${text} is not a number`);
  return text;
}

/** The value of a PromQL string literal (Go quoting rules); unterminated or unknown escapes are refused. */
export function stringLiteral(node: SyntaxNode | null | undefined, source: string): string {
  if (!node) throw new QueryRefused('a string is missing');
  const raw = source.slice(node.from, node.to);
  const quote = raw[0];
  if (raw.length < 2 || raw.at(-1) !== quote || (quote !== '"' && quote !== "'" && quote !== '`')) {
    throw new QueryRefused(`an unterminated string: ${raw}`);
  }
  const body = raw.slice(1, -1);
  if (quote === '`') return body;
  let value = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char === quote || char === '\n') throw new QueryRefused(`a malformed string: ${raw}`);
    if (char !== '\\') {
      value += char;
      continue;
    }
    const escaped = body[++i];
    const simple = escaped === undefined ? undefined : SIMPLE_ESCAPES[escaped];
    if (simple !== undefined) {
      if ((escaped === "'" && quote !== "'") || (escaped === '"' && quote !== '"')) {
        throw new QueryRefused(`an escape \\${escaped} that Go does not accept here: ${raw}`);
      }
      value += simple;
      continue;
    }
    const width = escaped === 'x' ? 2 : escaped === 'u' ? 4 : escaped === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = body.slice(i + 1, i + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) throw new QueryRefused(`a malformed escape in ${raw}`);
      value +=
        escaped === 'x'
          ? String.fromCharCode(Number.parseInt(hex, 16))
          : String.fromCodePoint(Number.parseInt(hex, 16));
      i += width;
      continue;
    }
    const octal = body.slice(i, i + 3);
    if (/^[0-3][0-7]{2}$/.test(octal)) {
      value += String.fromCharCode(Number.parseInt(octal, 8));
      i += 2;
      continue;
    }
    throw new QueryRefused(`an unknown escape \\${escaped ?? ''} in ${raw}`);
  }
  return value;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

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

// ---- canonical text ---------------------------------------------------------------------------------------

/** Stable aggregation operators (limitk and limit_ratio are experimental: keywords, but refused). */
const AGGREGATIONS = new Set([
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'count_values',
  'quantile',
]);

/** Words the PromQL lexer reads as keywords; a metric or label with such a name is written in quoted form. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'atan2',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'start',
  'end',
  'step',
  'range',
  'inf',
  'nan',
  'smoothed',
  'anchored',
  'fill',
  'fill_left',
  'fill_right',
  'limitk',
  'limit_ratio',
  ...AGGREGATIONS,
]);

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function serialise(expr: Expr): string {
  switch (expr.kind) {
    case 'selector': {
      const plainName =
        expr.name !== undefined && METRIC_NAME.test(expr.name) && !KEYWORDS.has(expr.name.toLowerCase());
      const matchers = [
        ...(expr.name !== undefined && !plainName ? [{ label: '__name__', op: '=', value: expr.name }] : []),
        ...expr.matchers,
      ].map((matcher) => `${label(matcher.label)}${matcher.op}${quote(matcher.value)}`);
      return `${plainName ? expr.name : ''}{${matchers.join(', ')}}${expr.range ? `[${expr.range}]` : ''}${modifiers(expr)}`;
    }
    case 'subquery':
      return `${expr.expr.kind === 'paren' ? serialise(expr.expr) : `(${serialise(expr.expr)})`}[${expr.range}:${expr.step ?? ''}]${modifiers(expr)}`;
    case 'number':
      return expr.text;
    case 'string':
      return quote(expr.value);
    case 'paren':
      return `(${serialise(expr.expr)})`;
    case 'unary':
      return `${expr.op}${operand(expr.expr)}`;
    case 'binary': {
      const matching = expr.matching
        ? ` ${expr.matching.on ? 'on' : 'ignoring'}(${expr.matching.labels.map(label).join(', ')})${
            expr.matching.group
              ? ` group_${expr.matching.group.side}(${expr.matching.group.labels.map(label).join(', ')})`
              : ''
          }`
        : '';
      return `${operand(expr.lhs)} ${expr.op}${expr.bool ? ' bool' : ''}${matching} ${operand(expr.rhs)}`;
    }
    case 'call':
      return `${expr.fn}(${expr.args.map(serialise).join(', ')})`;
    case 'aggregate': {
      const grouping = expr.grouping
        ? ` ${expr.grouping.by ? 'by' : 'without'} (${expr.grouping.labels.map(label).join(', ')})`
        : '';
      return `${expr.op}${grouping}${grouping ? ' ' : ''}(${expr.args.map(serialise).join(', ')})`;
    }
  }
}

/** Operands of operators are parenthesised unless atomic (a signed number is not), so precedence can never be read differently. */
function operand(expr: Expr): string {
  const text = serialise(expr);
  const signed = expr.kind === 'number' && /^[+-]/.test(expr.text);
  return expr.kind === 'binary' || expr.kind === 'unary' || signed ? `(${text})` : text;
}

function modifiers(expr: TimeModifiers): string {
  return `${expr.at !== undefined ? ` @ ${expr.at}` : ''}${expr.offset !== undefined ? ` offset ${expr.offset}` : ''}`;
}

function label(name: string): string {
  return LABEL_NAME.test(name) && !KEYWORDS.has(name.toLowerCase()) ? name : quote(name);
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** Stable PromQL functions; experimental ones (info, sort_by_label, …) are refused. */
const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'deg',
  'delta',
  'deriv',
  'exp',
  'floor',
  'histogram_avg',
  'histogram_count',
  'histogram_fraction',
  'histogram_quantile',
  'histogram_stddev',
  'histogram_stdvar',
  'histogram_sum',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'pi',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'time',
  'timestamp',
  'vector',
  'year',
]);
