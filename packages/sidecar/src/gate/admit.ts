/**
 * The per-caller rate limit, the same for tools, resources and prompts: each call takes one token from its
 * caller's bucket, and an empty bucket is answered with the seconds to wait.
 *
 * An action approved across requests (MCP 2026-07-28: the first request asks, the client's retry brings the
 * answer) takes one token per request, so two for an action approved at the first asking. On purpose: every
 * round runs the server-side dry run again against the API server, and a retry's state is only known to be
 * genuine after this step, so a free retry would let forged ones through unmetered.
 */
import { ToolFailure } from '../failure.ts';
import type { Limits } from '../governance/limits.ts';
import type { Step } from './call.ts';

export function rateLimitMessage(perMinute: number, retryAfterSeconds: number): string {
  return `Rate limit reached (${perMinute} calls per minute per caller). Retry after ${retryAfterSeconds} s.`;
}

export function admit(limits: Pick<Limits, 'admitCall'>, perMinute: number): Step {
  return async (call, next) => {
    const admitted = limits.admitCall(call.context.caller.id);
    if (!admitted.allowed) {
      throw new ToolFailure(
        rateLimitMessage(perMinute, admitted.retryAfterSeconds),
        'rate-limited',
        admitted.retryAfterSeconds,
      );
    }
    await next();
  };
}
