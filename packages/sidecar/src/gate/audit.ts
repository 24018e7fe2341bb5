/**
 * The outermost step: every call leaves one audit record, whatever became of it — with what was asked, by
 * whom, the outcome, the time and the bytes sent. Arguments and reasons are redacted like answers are. An
 * approval asked across requests (MCP 2026-07-28) leaves one record per round, linked by its approval id.
 */
import type { AuditLog, AuditRecord } from '../governance/audit.ts';
import { byteLength, RESULT_BUDGET_BYTES } from '../output/budget.ts';
import type { Redactor } from '../safety/redact.ts';
import { reasonOf } from './approve.ts';
import { boundMessage, clip } from './budget.ts';
import type { Call, Step } from './call.ts';

/** An unknown name, or an argument's name, is recorded this far: enough to see what was tried. */
const UNKNOWN_NAME_CHARS = 128;
/** A known name: a tool or prompt name, or a resource URI naming an object (Kubernetes names reach 253). */
const NAME_CHARS = 512;

export function auditRecord(call: Call, redactor: Redactor, durationMs: number): AuditRecord {
  const { caller } = call.context;
  const failure = call.failure;
  return {
    kind: call.kind,
    name: clip(redactor.text(call.name), call.subject ? NAME_CHARS : UNKNOWN_NAME_CHARS),
    caller: caller.id,
    transport: caller.transport,
    claimed: caller.claimed,
    arguments: call.arguments === undefined ? undefined : auditArguments(call.arguments, redactor),
    reason: clipReason(reasonOf(call.arguments, redactor)),
    target: call.target === undefined ? undefined : clip(redactor.text(call.target), NAME_CHARS),
    approval: call.approval,
    ...(call.approvalId === undefined ? {} : { approvalId: call.approvalId }),
    ...(call.approvalStatus === undefined ? {} : { approvalStatus: call.approvalStatus }),
    outcome: outcomeOf(call),
    error: failure === undefined ? undefined : call.subject ? failure.kind : `unknown-${call.kind}`,
    durationMs: Math.round(durationMs),
    bytes: failure ? Buffer.byteLength(failure.message) : (call.reply?.bytes ?? 0),
  };
}

/**
 * Arguments as the agent sent them, redacted like an answer — their names too, which an agent may fill with
 * anything — and within the answer budget (beyond it, the start of their JSON).
 */
export function auditArguments(args: Readonly<Record<string, unknown>>, redactor: Redactor): unknown {
  const redacted = redactNames(redactor.value(args), redactor);
  return byteLength(redacted) <= RESULT_BUDGET_BYTES ? redacted : boundMessage(JSON.stringify(redacted));
}

function redactNames(value: unknown, redactor: Redactor): unknown {
  if (Array.isArray(value)) return value.map((item) => redactNames(item, redactor));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [
      clip(redactor.text(name), UNKNOWN_NAME_CHARS),
      redactNames(item, redactor),
    ]),
  );
}

function clipReason(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : boundMessage(reason);
}

export function outcomeOf(call: Call): AuditRecord['outcome'] {
  const failure = call.failure;
  // Neither done nor failed: the approval question went out and the answer comes with a later request.
  if (failure === undefined && call.pending !== undefined) return 'approval-requested';
  if (failure === undefined) return 'ok';
  if (call.subject === undefined) return 'refused';
  if (failure.kind === 'rate-limited' || failure.kind === 'busy') return 'rate-limited';
  return failure.kind === 'refused' ? 'refused' : 'error';
}

export function audit(log: AuditLog, redactor: Redactor, now: () => number = () => performance.now()): Step {
  return async (call, next) => {
    try {
      await next();
    } finally {
      log.record(auditRecord(call, redactor, now() - call.started));
    }
  };
}
