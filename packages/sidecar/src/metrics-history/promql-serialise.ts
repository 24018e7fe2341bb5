/** The expression tree written back out as canonical PromQL: the only text that is ever sent. */
import type { Expr, TimeModifiers } from './promql-tree.ts';
import { KEYWORDS } from './promql-vocabulary.ts';

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
