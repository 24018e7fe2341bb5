/**
 * The one sequence every action follows, fixed here so that no action can skip or reorder a step:
 * resolve the target → read it → check the preconditions → send the change as a server-side dry run, then
 * (unless only a preview was asked for) for real → describe the change → write the Event → verify the outcome.
 *
 * An action supplies only what differs. What the sequence guarantees by construction: nothing is sent before
 * every precondition has passed; the real request is only ever sent after the same request passed as a dry
 * run; the Event and the verification exist only for a change that was applied, the Event written before the
 * wait so the audit trail never depends on how long the rollout takes. Approval happens before all of this,
 * in the gate (an approval preview is this same sequence with `dry_run: true`).
 */
import type { ToolContext } from '../context.ts';
import { type DryRun, dryRunThenApply, type TwoPhase } from './apply.ts';
import type { Change, EventRecord, Verification } from './contract.ts';
import { type ActionEvent, recordActionEvent } from './event.ts';
import { verifyOutcome } from './verify.ts';

/** The arguments every action takes (actionInputFields). */
export interface ActionArgs {
  readonly reason: string;
  readonly dry_run: boolean;
}

/** What the action acts on; the label is the answer's `target` (and the gate's cooldown key). */
export interface Labelled {
  readonly label: string;
}

/** The action's own output fields and its warnings, known before anything is sent. */
export interface ActionDetails<Fields> {
  readonly fields: Fields;
  readonly warnings: string[];
}

export interface ActionPreview<Fields> extends ActionDetails<Fields> {
  readonly changes: Change[];
  /** The sentence for a dry run ("… would be …") and the one for the applied change. */
  readonly summary: { readonly dryRun: string; readonly applied: string };
}

/** One reading after the change: the verdict, and fields the answer reports from the last reading. */
export interface ActionObservation<Seen> {
  readonly verification: Verification;
  readonly fields?: Seen;
}

/** What `check` returns when the object already is as asked: answered without sending anything. */
export class NothingToChange<Fields> {
  readonly summary: string;
  readonly details: ActionDetails<Fields>;
  constructor(summary: string, details: ActionDetails<Fields>) {
    this.summary = summary;
    this.details = details;
  }
}

export interface ActionSteps<Args extends ActionArgs, Target extends Labelled, Found, Plan, Sent, Fields, Seen> {
  /** Which object: refuses a reference (or an argument) this action never accepts. */
  readonly resolve: (args: Args, context: ToolContext) => Promise<Target> | Target;
  /** The object as it is now. */
  readonly read: (target: Target, args: Args, context: ToolContext) => Promise<Found>;
  /**
   * The preconditions: throws a ToolFailure to refuse, returns NothingToChange when there is nothing to do,
   * else the plan for the request (reading more when the plan needs it; never writing).
   */
  readonly check: (
    found: Found,
    args: Args,
    context: ToolContext,
  ) => Promise<Plan | NothingToChange<Fields>> | Plan | NothingToChange<Fields>;
  /** The one request that makes the change; sent with `dryRun: 'All'` first, then, if asked, for real. */
  readonly send: (plan: Plan, dryRun: DryRun, context: ToolContext) => Promise<Sent>;
  /** What to throw instead when the server refused the request (dry run or real); the error itself when absent. */
  readonly rejected?: (error: unknown, plan: Plan, context: ToolContext) => Promise<unknown>;
  /** The answer's description of the change, from the plan and the server's dry-run response. */
  readonly describe: (plan: Plan, preview: Sent, args: Args, context: ToolContext) => ActionPreview<Fields>;
  /** The Event written on the changed object once the change is applied. */
  readonly event: (plan: Plan, applied: Sent) => ActionEvent;
  /** One reading of the outcome; repeated within the bounded wait until it settles. */
  readonly observe: (plan: Plan, context: ToolContext) => Promise<ActionObservation<Seen>>;
}

/** The side effects after a change; real ones outside unit tests. */
export interface ActionEffects {
  readonly recordEvent: (context: ToolContext, event: ActionEvent, callerReason: string) => Promise<EventRecord>;
  readonly verify: (context: ToolContext, check: () => Promise<Verification>) => Promise<Verification>;
}

const REAL_EFFECTS: ActionEffects = {
  recordEvent: recordActionEvent,
  verify: (context, check) => verifyOutcome(context, check),
};

/** The answer every action gives (actionOutputFields) plus the action's own fields. */
export type ActionAnswer<Fields, Seen> = Fields & Partial<Seen> & AnswerCommon;

interface AnswerCommon {
  applied: boolean;
  dry_run: boolean;
  target: string;
  summary: string;
  changes: Change[];
  verification?: Verification;
  event?: EventRecord;
  warnings: string[];
}

/** The tool's run(): the fixed sequence over the action's steps. */
export function defineAction<Args extends ActionArgs, Target extends Labelled, Found, Plan, Sent, Fields, Seen>(
  steps: ActionSteps<Args, Target, Found, Plan, Sent, Fields, Seen>,
  effects: ActionEffects = REAL_EFFECTS,
): (args: Args, context: ToolContext) => Promise<ActionAnswer<Fields, Seen>> {
  return async (args, context) => {
    const target = await steps.resolve(args, context);
    const found = await steps.read(target, args, context);
    const plan = await steps.check(found, args, context);
    const common = { dry_run: args.dry_run, target: target.label };
    if (plan instanceof NothingToChange) {
      const { fields, warnings } = plan.details;
      return answer<Fields, Seen>({ ...common, warnings, changes: [], applied: false, summary: plan.summary }, fields);
    }
    const { preview, applied } = await sendTwice(steps, plan, args, context);
    const { fields, warnings, changes, summary } = steps.describe(plan, preview, args, context);
    const described = { ...common, warnings, changes };
    if (applied === undefined)
      return answer<Fields, Seen>({ ...described, applied: false, summary: summary.dryRun }, fields);
    const event = await effects.recordEvent(context, steps.event(plan, applied), args.reason);
    let seen: Partial<Seen> = {};
    const verification = await effects.verify(context, async () => {
      const observation = await steps.observe(plan, context);
      seen = observation.fields ?? {};
      return observation.verification;
    });
    return answer<Fields, Seen>(
      { ...described, applied: true, summary: summary.applied, verification, event },
      fields,
      seen,
    );
  };
}

/** Keys in the order every action's answer has them: what and where, the action's fields, then the outcome. */
function answer<Fields, Seen>(
  common: AnswerCommon,
  fields: Fields,
  seen: Partial<Seen> = {},
): ActionAnswer<Fields, Seen> {
  const { dry_run, target, ...outcome } = common;
  return { dry_run, target, ...fields, ...outcome, ...seen };
}

async function sendTwice<Args extends ActionArgs, Plan, Sent>(
  steps: Pick<ActionSteps<Args, Labelled, unknown, Plan, Sent, unknown, unknown>, 'send' | 'rejected'>,
  plan: Plan,
  args: Args,
  context: ToolContext,
): Promise<TwoPhase<Sent>> {
  try {
    return await dryRunThenApply((dryRun) => steps.send(plan, dryRun, context), args.dry_run);
  } catch (error) {
    throw steps.rejected ? await steps.rejected(error, plan, context) : error;
  }
}
