/**
 * Every call is answered within a deadline, with a timeout the agent can act on; the run sees the deadline in
 * its signal (started after any approval), so its waits and polls stop when the answer no longer matters.
 */
import { ToolFailure } from '../failure.ts';
import type { Step } from './call.ts';

/** A call that takes longer than this is answered with a timeout the agent can act on. */
export const CALL_DEADLINE_MS = 20_000;

export function deadline(deadlineMs: number): Step {
  return async (call, next) => {
    call.context = { ...call.context, signal: AbortSignal.any([call.signal, AbortSignal.timeout(deadlineMs)]) };
    await withDeadline(next(), call.signal, deadlineMs);
  };
}

/** Settles with `work`, or fails with a timeout after `deadlineMs`, or when `signal` aborts. */
export async function withDeadline<T>(work: Promise<T>, signal: AbortSignal, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ToolFailure(
            `No answer within ${deadlineMs / 1000} s (the API server or the app may be overloaded). Retry with a narrower request.`,
            'timeout',
          ),
        ),
      deadlineMs,
    );
    onAbort = () => reject(new ToolFailure('The request was cancelled.', 'refused'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, ended]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
