/**
 * The innermost step: a place in the call gate (the bound on work running at once), then the subject's run.
 * The place is held until the run has settled, not merely until its deadline answered: memory follows the
 * work that is really running.
 */
import { ToolFailure } from '../failure.ts';
import { busyMessage, type CallGate } from '../governance/concurrency.ts';
import type { Step } from './call.ts';

export function run(calls: CallGate): Step {
  return async (call, next) => {
    const subject = call.subject;
    if (subject === undefined) throw new ToolFailure(call.unknown, 'not-found');
    const { input, context } = call;
    call.work = gated(calls, context.caller.id, call.signal, () => subject.run(input, context));
    call.answer = subject.answer(await call.work);
    await next();
  };
}

/** Runs `work` once the call gate admits it, and gives the place back when `work` settles. */
export async function gated<T>(
  calls: CallGate,
  callerId: string,
  signal: AbortSignal,
  work: () => Promise<T>,
): Promise<T> {
  const admission = await calls.enter(callerId, signal);
  if (!admission.admitted) throw new ToolFailure(busyMessage(admission), 'busy', admission.retryAfterSeconds);
  // Through a promise, so a `work` that throws before returning one still gives its place back.
  const running = Promise.resolve().then(work);
  void running.then(admission.release, admission.release);
  return running;
}
