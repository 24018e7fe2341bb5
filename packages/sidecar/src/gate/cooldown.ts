/**
 * An action on a target that podmcp changed moments ago waits: an agent in a loop must not turn into a
 * restart storm. Checked before the approval, so nobody is asked about an action that would be refused.
 */
import { ToolFailure } from '../failure.ts';
import type { Limits } from '../governance/limits.ts';
import type { Step } from './call.ts';

export function cooldown(limits: Pick<Limits, 'checkCooldown'>, cooldownSeconds: number): Step {
  return async (call, next) => {
    const target = call.target;
    if (call.subject?.acts && target) {
      const verdict = limits.checkCooldown(target);
      if (!verdict.allowed) {
        throw new ToolFailure(
          `${target} was changed by podmcp less than ${cooldownSeconds} s ago (cooldown). Check whether the last action worked before acting again; retry after ${verdict.retryAfterSeconds} s.`,
          'rate-limited',
          verdict.retryAfterSeconds,
        );
      }
    }
    await next();
  };
}
