/**
 * The per-caller rate limit, the same for tools, resources and prompts: each call takes one token from its
 * caller's bucket, and an empty bucket is answered with the seconds to wait.
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
