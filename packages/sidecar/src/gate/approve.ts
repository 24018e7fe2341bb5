/**
 * A yes before an action changes anything (not for a dry run): the question carries the server-side dry run's
 * answer, cleaned and cut like any answer, and the reason the agent gave. Who asks, and how, is the
 * registration layer's business (`call.ask`); without a way to ask, nothing is changed. Where the answer comes
 * with a later request (MCP 2026-07-28), the verdict is pending: the call ends here, neither run nor failed,
 * and its audit record says the approval was requested.
 */
import { createHash } from 'node:crypto';
import { ToolFailure } from '../failure.ts';
import { truncateHead } from '../output/budget.ts';
import type { Redactor } from '../safety/redact.ts';
import type { ApprovalVerdict, Call, Preview, Step } from './call.ts';
import { withDeadline } from './deadline.ts';
import { frameAnswer, randomNonce } from './frame.ts';
import { redactAnswer } from './redact.ts';
import { sanitiseAnswer } from './sanitise.ts';

/** The dry run shown in an approval question: enough to see the change, small enough to read. */
export const PREVIEW_BYTES = 8 * 1024;

const NO_ONE_TO_ASK: ApprovalVerdict = {
  approved: false,
  message: 'Nothing was changed: there is no one to approve this action.',
};

export function approve(redactor: Redactor, deadlineMs: number): Step {
  return async (call, next) => {
    const { subject, target } = call;
    if (subject?.acts && target && !isDryRun(call.input)) {
      const question = {
        what: subject.what,
        target,
        reason: reasonOf(call.arguments, redactor),
        name: call.name,
        arguments: call.arguments,
        preview: (at?: number) => preview(call, redactor, deadlineMs, at),
      };
      const verdict = call.ask ? await call.ask(question) : NO_ONE_TO_ASK;
      call.approvalId = verdict.correlation;
      call.approvalStatus = verdict.status;
      if ('pending' in verdict) {
        call.pending = verdict.pending;
        return;
      }
      if (!verdict.approved) throw new ToolFailure(verdict.message, 'refused');
      call.approval = verdict.by;
    }
    await next();
  };
}

export function isDryRun(input: unknown): boolean {
  return (input as { dry_run?: unknown } | undefined)?.dry_run === true;
}

/** The reason an agent gave for an action, redacted: it is shown to a human and written to the audit. */
export function reasonOf(args: Readonly<Record<string, unknown>> | undefined, redactor: Redactor): string | undefined {
  return typeof args?.reason === 'string' ? redactor.text(args.reason) : undefined;
}

/**
 * The dry run on the clock `at` (now by default): what an action shows depends on the time (a restart's
 * timestamp, a pod's age), so a later round that runs it again on the first round's clock gets the same
 * preview unless the change itself differs. The digest is taken before the answer's frames get their random
 * nonce, for the same reason.
 */
async function preview(call: Call, redactor: Redactor, deadlineMs: number, at?: number): Promise<Preview> {
  const clock = at ?? call.context.now().getTime();
  const subject = call.subject;
  if (subject === undefined) return { text: '', digest: digestOf(''), at: clock };
  const context = { ...call.context, now: () => new Date(clock) };
  const dryRun = (async () => subject.run({ ...(call.input as object), dry_run: true }, context))();
  const answer = redactAnswer(
    sanitiseAnswer(subject.answer(await withDeadline(dryRun, call.signal, deadlineMs))),
    redactor,
  );
  const digest = digestOf(answer.render(answer.structured));
  const framed = frameAnswer(answer, randomNonce());
  return { text: truncateHead(framed.render(framed.structured), PREVIEW_BYTES).text, digest, at: clock };
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
