/** PromQL literals read from the grammar's tree: durations, numbers and Go-quoted strings. */
import type { parser } from '@prometheus-io/lezer-promql';
import { QueryRefused } from './promql-tree.ts';

export type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** A matrix selector or subquery may look back at most this far: a week of history at a time. */
export const MAX_WINDOW_SECONDS = 7 * 86_400;

/** A node's children without comments, which the grammar keeps in the tree wherever they occur. */
export function kids(node: SyntaxNode | null | undefined): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node?.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'LineComment') children.push(child);
  }
  return children;
}

const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
const PLAIN_SECONDS = /^\d+(?:\.\d+)?$/;

export function duration(node: SyntaxNode | null | undefined, source: string, what: string): string {
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

export function offsetDuration(node: SyntaxNode | null, source: string): string {
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

export function numberLiteral(node: SyntaxNode, source: string): string {
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
