/** The expression tree PromQL enforcement works on, and the refusal it throws. */

export const NAMESPACE_LABEL = 'namespace';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface TimeModifiers {
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

export interface Matching {
  on: boolean;
  labels: string[];
  group?: { side: 'left' | 'right'; labels: string[] };
}

/** A query that cannot be enforced; the message says why, for the agent to rephrase. */
export class QueryRefused extends Error {
  override readonly name = 'QueryRefused';
}
