/**
 * Independent reads gathered at once, each under a deadline of its own: one part that hangs or fails (a
 * node's kubelet, a slow API server, a silent app) becomes that part's outcome instead of holding up or
 * sinking the whole answer. Works on plain promises, so it is tested without a cluster.
 */

/**
 * A container log tail: a kubelet that is up streams a few kilobytes in well under a second; one that is down
 * or hanging would otherwise keep the answer waiting for the API server's own dial and TLS timeouts (10 s and
 * more), which is longer than an agent should wait for one missing log.
 */
export const LOG_PART_MS = 3_000;

/** An API server read beside others (warning events, a ConfigMap): well inside the call's own deadline. */
export const API_PART_MS = 8_000;

/** A whole tool answer a prompt gathers: below the call's deadline, so the prompt still answers with the rest. */
export const TOOL_PART_MS = 15_000;

export type PartOutcome<T> =
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'timed-out'; readonly afterMs: number };

/** A part is started with a signal that aborts when its deadline passes (or the caller's signal aborts). */
export type Part<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Runs `part` and settles with its value, its failure, or `timed-out` once `deadlineMs` has passed —
 * whichever comes first. Never rejects. The part's signal is aborted at the deadline so reads that honour it
 * stop; whatever it does afterwards is ignored.
 */
export function withinDeadline<T>(part: Part<T>, deadlineMs: number, parent?: AbortSignal): Promise<PartOutcome<T>> {
  const controller = new AbortController();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve({ status: 'timed-out', afterMs: deadlineMs });
      controller.abort(new Error(`no answer within ${deadlineMs} ms`));
    }, deadlineMs);
    const settle = (outcome: PartOutcome<T>) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    started(part, signal).then(
      (value) => settle({ status: 'fulfilled', value }),
      (reason: unknown) => settle({ status: 'rejected', reason }),
    );
  });
}

/** Every part started at once, each with the same deadline; outcomes in the parts' order. */
export function allWithin<T>(
  parts: readonly Part<T>[],
  deadlineMs: number,
  parent?: AbortSignal,
): Promise<PartOutcome<T>[]> {
  return Promise.all(parts.map((part) => withinDeadline(part, deadlineMs, parent)));
}

/** A part that throws before returning its promise fails like one whose promise rejects. */
function started<T>(part: Part<T>, signal: AbortSignal): Promise<T> {
  try {
    return part(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Seconds for a message, as people write them: 3 s, 0.5 s. */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
