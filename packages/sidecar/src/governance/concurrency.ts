/**
 * A bound on the work one sidecar process does at once, so memory is bounded by construction rather than by
 * how many agents arrive: at most `running` calls run, up to `waiting` more wait their turn in arrival order,
 * and no caller holds more than `perCaller` of those places — one looping agent cannot starve the others.
 * Whatever does not fit is answered at once with "busy, retry in N s", never queued without limit.
 */

/** Measured on the default 320Mi limit: 8 calls at once keep the sidecar well inside it (bench/README.md). */
export const MAX_RUNNING_CALLS = 8;
export const MAX_WAITING_CALLS = 64;
export const MAX_CALLS_PER_CALLER = 4;
/** A call that waited this long without a turn is answered busy instead of eating its caller's deadline. */
export const MAX_WAIT_MS = 10_000;
export const BUSY_RETRY_SECONDS = 2;

export type Admission =
  | { readonly admitted: true; readonly release: () => void }
  | {
      readonly admitted: false;
      readonly reason: 'caller' | 'sidecar';
      /** The bound that was hit: places per caller, or calls running at once. */
      readonly limit: number;
      readonly retryAfterSeconds: number;
    };

export interface CallGate {
  /** Waits for a place to run; resolves busy when there is none, or rejects when `signal` aborts meanwhile. */
  enter(callerId: string, signal?: AbortSignal): Promise<Admission>;
  readonly running: () => number;
  readonly waiting: () => number;
}

export interface CallGateOptions {
  readonly running?: number;
  readonly waiting?: number;
  readonly perCaller?: number;
  readonly maxWaitMs?: number;
}

interface Waiter {
  readonly callerId: string;
  readonly admit: () => void;
}

export function createCallGate(options: CallGateOptions = {}): CallGate {
  const maxRunning = options.running ?? MAX_RUNNING_CALLS;
  const maxWaiting = options.waiting ?? MAX_WAITING_CALLS;
  const perCaller = options.perCaller ?? MAX_CALLS_PER_CALLER;
  const maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  let running = 0;
  const queue: Waiter[] = [];
  const held = new Map<string, number>();

  const hold = (callerId: string, delta: number) => {
    const count = (held.get(callerId) ?? 0) + delta;
    if (count <= 0) held.delete(callerId);
    else held.set(callerId, count);
  };

  const busy = (reason: 'caller' | 'sidecar'): Admission => ({
    admitted: false,
    reason,
    limit: reason === 'caller' ? perCaller : maxRunning,
    retryAfterSeconds: BUSY_RETRY_SECONDS,
  });

  const admitted = (callerId: string): Admission => {
    let released = false;
    return {
      admitted: true,
      release() {
        if (released) return;
        released = true;
        running -= 1;
        hold(callerId, -1);
        const next = queue.shift();
        if (next) next.admit();
      },
    };
  };

  return {
    enter(callerId, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if ((held.get(callerId) ?? 0) >= perCaller) return Promise.resolve(busy('caller'));
      if (running < maxRunning && queue.length === 0) {
        running += 1;
        hold(callerId, 1);
        return Promise.resolve(admitted(callerId));
      }
      if (queue.length >= maxWaiting) return Promise.resolve(busy('sidecar'));
      hold(callerId, 1);
      return new Promise<Admission>((resolve, reject) => {
        const leave = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
        };
        const waiter: Waiter = {
          callerId,
          admit() {
            leave();
            running += 1;
            resolve(admitted(callerId));
          },
        };
        const onAbort = () => {
          leave();
          hold(callerId, -1);
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          leave();
          hold(callerId, -1);
          resolve(busy('sidecar'));
        }, maxWaitMs);
        timer.unref?.();
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
    running: () => running,
    waiting: () => queue.length,
  };
}

export function busyMessage(admission: Extract<Admission, { admitted: false }>): string {
  return admission.reason === 'caller'
    ? `Busy: this caller already has ${admission.limit} calls running or waiting on this sidecar. Wait for them, then retry in ${admission.retryAfterSeconds} s.`
    : `Busy: the sidecar is running all the calls it takes at once (${admission.limit}) and its queue is full. Retry in ${admission.retryAfterSeconds} s.`;
}
