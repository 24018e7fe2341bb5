/** From the grammar's tree to the expression tree, refusing whatever cannot be enforced. */
import {
  duration,
  kids,
  numberLiteral,
  offsetDuration,
  type SyntaxNode,
  seconds,
  stringLiteral,
} from './promql-literals.ts';
import { type Expr, type Matcher, type Matching, NAMESPACE_LABEL, QueryRefused } from './promql-tree.ts';
import { AGGREGATIONS, FUNCTIONS } from './promql-vocabulary.ts';

const MAX_DEPTH = 64;
const MAX_SELECTORS = 64;
/** Points one subquery may evaluate (Prometheus's own cap for a range query). */
const MAX_SUBQUERY_STEPS = 11_000;
const DEFAULT_SUBQUERY_STEP_SECONDS = 60;

export interface ConvertState {
  selectors: number;
  lookback: number;
}

/** One node being converted: its source text, and `next` to convert a child one level deeper. */
interface Step {
  readonly node: SyntaxNode;
  readonly source: string;
  readonly state: ConvertState;
  readonly text: () => string;
  readonly next: (child: SyntaxNode | null | undefined) => Expr;
}

export function convert(node: SyntaxNode, source: string, depth: number, state: ConvertState): Expr {
  if (depth > MAX_DEPTH) throw new QueryRefused(`the query nests deeper than ${MAX_DEPTH} levels`);
  const text = () => source.slice(node.from, node.to);
  const next = (child: SyntaxNode | null | undefined): Expr => {
    if (!child) throw new QueryRefused(`an incomplete expression: ${text()}`);
    return convert(child, source, depth + 1, state);
  };
  const converter = Object.hasOwn(CONVERTERS, node.name) ? CONVERTERS[node.name] : undefined;
  if (!converter) throw new QueryRefused(`${describeNode(node.name)} is not supported here: ${text()}`);
  return converter({ node, source, state, text, next });
}

// The grammar reads the postfix forms ([range], [range:step], offset, @) as binding loosest; PromQL's own
// parser binds them to the nearest operand (`a - b offset 1d` offsets b only), and so does this rewrite.
const CONVERTERS: Readonly<Record<string, (step: Step) => Expr>> = {
  VectorSelector: ({ node, source, state }) => convertSelector(node, source, state),
  MatrixSelector: convertMatrix,
  SubqueryExpr: convertSubquery,
  OffsetExpr: convertOffset,
  StepInvariantExpr: convertAt,
  NumberDurationLiteral: ({ node, source }) => ({ kind: 'number', text: numberLiteral(node, source) }),
  StringLiteral: ({ node, source }) => ({ kind: 'string', value: stringLiteral(node, source) }),
  ParenExpr: ({ node, next }) => ({ kind: 'paren', expr: next(kids(node)[0]) }),
  UnaryExpr: convertUnary,
  BinaryExpr: ({ node, source, next }) => convertBinary(node, source, next),
  FunctionCall: convertCall,
  AggregateExpr: convertAggregate,
};

function convertMatrix({ node, source, state, text, next }: Step): Expr {
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

function convertSubquery({ node, source, state, text, next }: Step): Expr {
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

function convertOffset({ node, source, text, next }: Step): Expr {
  const offset = offsetDuration(node.getChild('OffsetDurationExpr'), source);
  return postfix(next(kids(node)[0]), (inner) => {
    const target = timeTarget(inner, 'offset', text());
    if (target.offset !== undefined) throw new QueryRefused(`offset is set twice: ${text()}`);
    target.offset = offset;
    return target;
  });
}

function convertAt({ node, source, text, next }: Step): Expr {
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

function convertUnary({ node, source, text, next }: Step): Expr {
  const [opNode, operandNode] = kids(node);
  const op = source.slice(opNode?.from ?? 0, opNode?.to ?? 0);
  if (op !== '-' && op !== '+') throw new QueryRefused(`an unknown unary operator: ${text()}`);
  return { kind: 'unary', op, expr: next(operandNode) };
}

function convertCall({ node, source, next }: Step): Expr {
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

function convertAggregate({ node, source, next }: Step): Expr {
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

export function convertMatcher(node: SyntaxNode, source: string): Matcher {
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

function writesNamespace(arg: Expr | undefined): boolean {
  // Anything but a literal could name any label, so it counts as writing it.
  return arg?.kind !== 'string' || arg.value === NAMESPACE_LABEL;
}

function timeTarget(expr: Expr, modifier: string, text: string): Extract<Expr, { kind: 'selector' | 'subquery' }> {
  if (expr.kind === 'selector' || expr.kind === 'subquery') return expr;
  throw new QueryRefused(`${modifier} applies only to a selector or a subquery: ${text}`);
}
