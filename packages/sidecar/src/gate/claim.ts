/**
 * One action per target at a time: parallel calls must not both act. The claim is held until the action
 * itself settles, not until its deadline answered, and an action that applied starts the target's cooldown
 * even when it outlived its deadline.
 */
import { ToolFailure } from '../failure.ts';
import type { Limits } from '../governance/limits.ts';
import type { Step } from './call.ts';

export function claim(limits: Pick<Limits, 'claimTarget' | 'releaseTarget' | 'startCooldown'>): Step {
  return async (call, next) => {
    const target = call.target;
    if (!call.subject?.acts || !target) return next();
    if (!limits.claimTarget(target)) {
      throw new ToolFailure(
        `${target} is being acted on by another call right now. Wait for that call, check what it did, then decide whether to act again.`,
        'rate-limited',
        1,
      );
    }
    try {
      await next();
    } finally {
      const release = () => limits.releaseTarget(target);
      if (call.work === undefined) release();
      else {
        void call.work.then((result) => {
          if (applied(result)) limits.startCooldown(target);
          release();
        }, release);
      }
    }
  };
}

function applied(result: unknown): boolean {
  return (result as { applied?: unknown } | undefined)?.applied === true;
}
