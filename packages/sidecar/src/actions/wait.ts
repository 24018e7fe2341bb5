/**
 * The bounded wait after an applied action: poll what the API server shows until the outcome settles, the
 * budget ends, or the caller goes away. It never throws, because by then the change is made and the answer
 * must say so; a probe that keeps failing is reported as the last error.
 */
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Below the gate's 20 s call deadline with room for the dry run, the change and the Event, so an applied
 * action is always answered as applied rather than as a timeout.
 */
export const VERIFY_BUDGET_MS = 12_000;

export interface WaitOptions {
  readonly signal: AbortSignal;
  readonly budgetMs?: number;
  /** Injected by unit tests; defaults to real time. */
  readonly clock?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Observation<T> {
  /** The last value the probe returned, if any. */
  readonly value: T | undefined;
  readonly settled: boolean;
  /** The last probe error, when the last probe failed. */
  readonly error: unknown;
  readonly polls: number;
  readonly cancelled: boolean;
}

/** Quick first looks (controllers react in well under a second), then at most one read a second. */
export function pollInterval(attempt: number): number {
  return Math.min(1_000, 250 * 2 ** attempt);
}

export async function observe<T>(
  probe: () => Promise<T>,
  settled: (value: T) => boolean,
  options: WaitOptions,
): Promise<Observation<T>> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const deadline = clock() + (options.budgetMs ?? VERIFY_BUDGET_MS);
  let value: T | undefined;
  let error: unknown;
  let polls = 0;
  for (let attempt = 0; ; attempt += 1) {
    if (options.signal.aborted) return { value, settled: false, error, polls, cancelled: true };
    try {
      polls += 1;
      value = await probe();
      error = undefined;
      if (settled(value)) return { value, settled: true, error, polls, cancelled: false };
    } catch (failure) {
      error = failure;
    }
    const wait = Math.min(pollInterval(attempt), deadline - clock());
    if (wait <= 0) return { value, settled: false, error, polls, cancelled: false };
    try {
      await sleep(wait, options.signal);
    } catch {
      return { value, settled: false, error, polls, cancelled: true };
    }
  }
}
