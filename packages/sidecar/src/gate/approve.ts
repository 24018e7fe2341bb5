/**
 * A yes before an action changes anything (not for a dry run): the question carries the server-side dry run's
 * answer, cleaned and cut like any answer, and the reason the agent gave. Who asks, and how, is the
 * registration layer's business (`call.ask`); without a way to ask, nothing is changed.
 */
import { ToolFailure } from '../failure.ts';
import { truncateHead } from '../output/budget.ts';
import type { Redactor } from '../safety/redact.ts';
import type { ApprovalVerdict, Call, Step } from './call.ts';
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
        preview: () => preview(call, redactor, deadlineMs),
      };
      const verdict = call.ask ? await call.ask(question) : NO_ONE_TO_ASK;
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

async function preview(call: Call, redactor: Redactor, deadlineMs: number): Promise<string> {
  const subject = call.subject;
  if (subject === undefined) return '';
  const dryRun = (async () => subject.run({ ...(call.input as object), dry_run: true }, call.context))();
  const answer = subject.answer(await withDeadline(dryRun, call.signal, deadlineMs));
  const clean = frameAnswer(redactAnswer(sanitiseAnswer(answer), redactor), randomNonce());
  return truncateHead(clean.render(clean.structured), PREVIEW_BYTES).text;
}
