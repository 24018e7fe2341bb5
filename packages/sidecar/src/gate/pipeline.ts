/**
 * The gate, composed in one place and shared by tools, resources and prompts. Read top to bottom: the audit
 * wraps everything; the exit steps (budget, frame, redact, sanitise) act on the way out, in reverse, on the answer or
 * the failure; the entry steps run in order down to the run itself.
 */
import type { SidecarServices } from '../context.ts';
import { type CallGate, createCallGate } from '../governance/concurrency.ts';
import { RESULT_BUDGET_BYTES } from '../output/budget.ts';
import { admit } from './admit.ts';
import { approve } from './approve.ts';
import { audit } from './audit.ts';
import { budget } from './budget.ts';
import type { Call } from './call.ts';
import { claim } from './claim.ts';
import { compose } from './compose.ts';
import { cooldown } from './cooldown.ts';
import { CALL_DEADLINE_MS, deadline } from './deadline.ts';
import { frame, type NonceSource } from './frame.ts';
import { recover } from './recover.ts';
import { redact } from './redact.ts';
import { run } from './run.ts';
import { sanitise } from './sanitise.ts';
import { known, validate } from './validate.ts';

export interface PipelineOptions {
  /** Overrides CALL_DEADLINE_MS (tests). */
  readonly deadlineMs?: number | undefined;
  /** Overrides the random nonce of the answers' frames (tests). */
  readonly nonce?: NonceSource | undefined;
}

/** The process's bound when the services bring none (a stateless HTTP sidecar makes a server per request). */
let processCalls: CallGate | undefined;

export function createPipeline(
  services: SidecarServices,
  options: PipelineOptions = {},
): (call: Call) => Promise<void> {
  processCalls ??= createCallGate();
  const { limits, redactor, settings } = services;
  const deadlineMs = options.deadlineMs ?? CALL_DEADLINE_MS;
  return compose([
    audit(services.audit, redactor),
    budget(RESULT_BUDGET_BYTES),
    frame(options.nonce),
    redact(redactor),
    sanitise,
    recover,
    known,
    admit(limits, settings.rateLimitPerMinute),
    validate,
    cooldown(limits, settings.actionCooldownSeconds),
    approve(redactor, deadlineMs),
    claim(limits),
    deadline(deadlineMs),
    run(services.calls ?? processCalls),
  ]);
}
