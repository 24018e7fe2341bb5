/**
 * Rate limits per caller for every call, and a cooldown per action target: an agent in a loop must not turn
 * into a restart storm. Answers are "retry after N seconds", which the wiring turns into an isError result.
 */
import { TokenBucket } from '@podmcp/core';

export type LimitVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface Limits {
  /** Takes one call from the caller's budget. */
  admitCall(callerId: string): LimitVerdict;
  /** Checks the cooldown of an action on a target without starting it. */
  checkCooldown(target: string): LimitVerdict;
  /** Starts the cooldown after an action changed something. */
  startCooldown(target: string): void;
}

const MAX_TRACKED_CALLERS = 10_000;

export function createLimits(
  options: { readonly perMinute: number; readonly cooldownSeconds: number },
  now: () => number = Date.now,
): Limits {
  const buckets = new Map<string, TokenBucket>();
  const cooldowns = new Map<string, number>();
  const perSecond = options.perMinute / 60;
  // A burst of a tenth of the minute's budget (at least 5) lets an agent fan out a few reads at once.
  const burst = Math.max(5, Math.ceil(options.perMinute / 10));

  const forget = () => {
    for (const [id, bucket] of buckets) if (bucket.isFull()) buckets.delete(id);
    const current = now();
    for (const [target, until] of cooldowns) if (until <= current) cooldowns.delete(target);
  };

  return {
    admitCall(callerId) {
      if (buckets.size >= MAX_TRACKED_CALLERS) forget();
      let bucket = buckets.get(callerId);
      if (!bucket) {
        bucket = new TokenBucket(perSecond, burst, now);
        buckets.set(callerId, bucket);
      }
      if (bucket.take()) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(bucket.retryAfterMs() / 1000)) };
    },
    checkCooldown(target) {
      const until = cooldowns.get(target);
      const current = now();
      if (until === undefined || until <= current) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.ceil((until - current) / 1000) };
    },
    startCooldown(target) {
      if (options.cooldownSeconds > 0) cooldowns.set(target, now() + options.cooldownSeconds * 1000);
    },
  };
}
