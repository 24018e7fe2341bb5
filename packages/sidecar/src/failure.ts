/**
 * An expected failure that the agent can act on: not found, forbidden, out of range, unreachable. Its message
 * says what happened and what to do next; it becomes an `isError` result, never a protocol error.
 */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
  readonly kind: FailureKind;
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, kind: FailureKind = 'invalid', retryAfterSeconds?: number) {
    super(message);
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type FailureKind =
  | 'invalid'
  | 'not-found'
  | 'forbidden'
  | 'unreachable'
  | 'timeout'
  | 'conflict'
  | 'rate-limited'
  /** The sidecar's bound on calls at once is reached; retry shortly. */
  | 'busy'
  | 'refused';
