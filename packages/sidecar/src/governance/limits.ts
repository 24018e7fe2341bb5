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
  /** Marks an action on a target as running; false while another one is (parallel calls must not both act). */
  claimTarget(target: string): boolean;
  /** Ends what claimTarget started, once that action has settled. */
  releaseTarget(target: string): void;
}

const MAX_TRACKED_CALLERS = 10_000;

export function createLimits(
  options: { readonly perMinute: number; readonly cooldownSeconds: number; readonly maxCallers?: number },
  now: () => number = Date.now,
): Limits & { readonly trackedCallers: () => number } {
  const maxCallers = options.maxCallers ?? MAX_TRACKED_CALLERS;
  // Insertion order is recency order (a caller is moved to the end on each call), so the first is the idlest.
  const buckets = new Map<string, TokenBucket>();
  const cooldowns = new Map<string, number>();
  const running = new Set<string>();
  const perSecond = options.perMinute / 60;
  // A burst of a tenth of the minute's budget (at least 5) lets an agent fan out a few reads at once.
  const burst = Math.max(5, Math.ceil(options.perMinute / 10));

  const forget = () => {
    for (const [id, bucket] of buckets) if (bucket.isFull()) buckets.delete(id);
    const current = now();
    for (const [target, until] of cooldowns) if (until <= current) cooldowns.delete(target);
    // Still full of busy callers: drop the least recently seen, down to 90% so this does not run on every call.
    for (const id of buckets.keys()) {
      if (buckets.size <= Math.floor(maxCallers * 0.9)) break;
      buckets.delete(id);
    }
  };

  return {
    admitCall(callerId) {
      let bucket = buckets.get(callerId);
      if (bucket) {
        buckets.delete(callerId);
      } else {
        if (buckets.size >= maxCallers) forget();
        bucket = new TokenBucket(perSecond, burst, now);
      }
      buckets.set(callerId, bucket);
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
    claimTarget(target) {
      if (running.has(target)) return false;
      running.add(target);
      return true;
    },
    releaseTarget(target) {
      running.delete(target);
    },
    trackedCallers: () => buckets.size,
  };
}
