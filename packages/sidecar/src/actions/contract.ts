/**
 * What every action tool shares: the fields an agent must give (a reason, optionally a dry run), the hints,
 * and the parts of the answer that read the same across actions (what changed, how the outcome was verified,
 * which Event was written). One shape, so an agent learns it once.
 */
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolHints } from '../hints.ts';

export const actionInputFields = {
  reason: z.string().trim().min(10).max(500).describe('Why, in a sentence; recorded in the audit log and the Event.'),
  dry_run: z.boolean().default(false).describe('Only report what would change.'),
};

/** The workload argument of the workload actions; `kinds` names what the tool accepts. */
export function workloadField(kinds: string) {
  return boundedText(260).optional().describe(`The ${kinds}: "self" (default), "KIND/NAME" or a Deployment name.`);
}

/**
 * Every action may disrupt running pods (restart and rollback replace them, delete removes one, scale can
 * remove many), so all are destructive in the MCP sense; only scaling to a fixed count is idempotent.
 */
export function actionHints(options: { readonly idempotent: boolean }): ToolHints {
  return { readOnlyHint: false, destructiveHint: true, idempotentHint: options.idempotent, openWorldHint: false };
}

export const VERIFICATION_STATES = ['complete', 'in-progress', 'not-observed', 'failed'] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

export interface Verification {
  readonly state: VerificationState;
  readonly detail: string;
}

export interface EventRecord {
  readonly recorded: boolean;
  readonly reason: string;
  readonly name?: string | undefined;
  readonly error?: string | undefined;
}

export interface Change {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

export const actionOutputFields = {
  applied: z.boolean().describe('true when the change was made; false for a dry run or when nothing needed changing.'),
  dry_run: z.boolean(),
  target: z.string().describe('What the action acts on, e.g. "Deployment/web"; the cooldown is per target.'),
  summary: z.string(),
  changes: z
    .array(z.object({ field: z.string(), before: z.string(), after: z.string() }))
    .describe('What the server-side dry run showed would change (and, when applied, what changed).'),
  verification: z
    .object({
      state: z
        .enum(VERIFICATION_STATES)
        .describe(
          'complete: the outcome was observed in full; in-progress: the change took effect and the rollout was still going when the bounded wait ended; not-observed: the controller had not acted yet; failed: the outcome contradicts the change.',
        ),
      detail: z.string(),
    })
    .optional()
    .describe('Only for an applied action: what was observed after it, within a bounded wait.'),
  event: z
    .object({
      recorded: z.boolean(),
      reason: z.string(),
      name: z.string().optional(),
      error: z.string().optional(),
    })
    .optional()
    .describe('Only for an applied action: the Kubernetes Event written on the changed object.'),
  warnings: z.array(z.string()),
};

export interface ActionResult {
  readonly applied: boolean;
  readonly dry_run: boolean;
  readonly target: string;
  readonly summary: string;
  readonly changes: readonly Change[];
  readonly verification?: Verification | undefined;
  readonly event?: EventRecord | undefined;
  readonly warnings: readonly string[];
}

const STATE_TEXT: Readonly<Record<VerificationState, string>> = {
  complete: 'Verified',
  'in-progress': 'In progress',
  'not-observed': 'Not yet observed',
  failed: 'Verification failed',
};

/** The compact text every action answers with; `details` are tool-specific lines after the changes. */
export function renderAction(result: ActionResult, details: readonly string[] = []): string {
  const lines: string[] = [];
  if (result.applied) lines.push(`Done: ${result.summary}`);
  else if (result.dry_run) lines.push(`Dry run, nothing changed: ${result.summary}`);
  else lines.push(`Nothing changed: ${result.summary}`);
  for (const change of result.changes) lines.push(`  ${change.field}: ${change.before} → ${change.after}`);
  lines.push(...details);
  if (result.verification) {
    lines.push(`${STATE_TEXT[result.verification.state]}: ${result.verification.detail}`);
  }
  if (result.event) {
    lines.push(
      result.event.recorded
        ? `Event ${result.event.reason} recorded on ${result.target}.`
        : `The action was applied, but Event ${result.event.reason} could not be written: ${result.event.error ?? 'unknown error'}`,
    );
  }
  for (const warning of result.warnings) lines.push(`Warning: ${warning}`);
  if (result.dry_run && result.changes.length > 0) lines.push('Call again with dry_run: false to apply.');
  return lines.join('\n');
}
