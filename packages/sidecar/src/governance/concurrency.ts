/**
 * A bound on the work one sidecar process does at once, so memory is bounded by construction rather than by
 * how many agents arrive: at most `running` calls run, up to `waiting` more wait their turn in arrival order,
 * and no caller holds more than `perCaller` of those places — one looping agent cannot starve the others.
 * Whatever does not fit is answered at once with "busy, retry in N s", never queued without limit.
 */

/** Measured on a real node with the default 160Mi limit: 8 calls at once peak below 96 MiB (bench/README.md). */
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

/** The gate's bookkeeping: calls running, callers' places (running or waiting), and the queue in order. */
interface GateState {
  readonly maxRunning: number;
  readonly maxWaiting: number;
  readonly perCaller: number;
  readonly maxWaitMs: number;
  running: number;
  readonly queue: Waiter[];
  readonly held: Map<string, number>;
}

export function createCallGate(options: CallGateOptions = {}): CallGate {
  const state: GateState = {
    maxRunning: options.running ?? MAX_RUNNING_CALLS,
    maxWaiting: options.waiting ?? MAX_WAITING_CALLS,
    perCaller: options.perCaller ?? MAX_CALLS_PER_CALLER,
    maxWaitMs: options.maxWaitMs ?? MAX_WAIT_MS,
    running: 0,
    queue: [],
    held: new Map(),
  };
  return {
    enter(callerId, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if ((state.held.get(callerId) ?? 0) >= state.perCaller) return Promise.resolve(busy(state, 'caller'));
      if (state.running < state.maxRunning && state.queue.length === 0) {
        state.running += 1;
        hold(state, callerId, 1);
        return Promise.resolve(admitted(state, callerId));
      }
      if (state.queue.length >= state.maxWaiting) return Promise.resolve(busy(state, 'sidecar'));
      hold(state, callerId, 1);
      return waitForPlace(state, callerId, signal);
    },
    running: () => state.running,
    waiting: () => state.queue.length,
  };
}

function hold(state: GateState, callerId: string, delta: number): void {
  const count = (state.held.get(callerId) ?? 0) + delta;
  if (count <= 0) state.held.delete(callerId);
  else state.held.set(callerId, count);
}

function busy(state: GateState, reason: 'caller' | 'sidecar'): Admission {
  return {
    admitted: false,
    reason,
    limit: reason === 'caller' ? state.perCaller : state.maxRunning,
    retryAfterSeconds: BUSY_RETRY_SECONDS,
  };
}

/** A place to run; releasing it (once) hands the place to the first waiter. */
function admitted(state: GateState, callerId: string): Admission {
  let released = false;
  return {
    admitted: true,
    release() {
      if (released) return;
      released = true;
      state.running -= 1;
      hold(state, callerId, -1);
      state.queue.shift()?.admit();
    },
  };
}

/** Waits in the queue (the caller's place already held) until admitted, `maxWaitMs` passed, or `signal` aborts. */
function waitForPlace(state: GateState, callerId: string, signal: AbortSignal | undefined): Promise<Admission> {
  return new Promise<Admission>((resolve, reject) => {
    const leave = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const index = state.queue.indexOf(waiter);
      if (index >= 0) state.queue.splice(index, 1);
    };
    const waiter: Waiter = {
      callerId,
      admit() {
        leave();
        state.running += 1;
        resolve(admitted(state, callerId));
      },
    };
    const onAbort = () => {
      leave();
      hold(state, callerId, -1);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      leave();
      hold(state, callerId, -1);
      resolve(busy(state, 'sidecar'));
    }, state.maxWaitMs);
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    state.queue.push(waiter);
  });
}

export function busyMessage(admission: Extract<Admission, { admitted: false }>): string {
  return admission.reason === 'caller'
    ? `Busy: this caller already has ${admission.limit} calls running or waiting on this sidecar. Wait for them, then retry in ${admission.retryAfterSeconds} s.`
    : `Busy: the sidecar is running all the calls it takes at once (${admission.limit}) and its queue is full. Retry in ${admission.retryAfterSeconds} s.`;
}
