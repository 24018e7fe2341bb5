/**
 * The outermost step: every call leaves one audit record, whatever became of it — with what was asked, by
 * whom, the outcome, the time and the bytes sent. Arguments and reasons are redacted like answers are.
 */
import type { AuditLog, AuditRecord } from '../governance/audit.ts';
import type { Redactor } from '../safety/redact.ts';
import { reasonOf } from './approve.ts';
import type { Call, Step } from './call.ts';

/** An unknown name is recorded this far: enough to see what was tried. */
const UNKNOWN_NAME_CHARS = 128;

export function auditRecord(call: Call, redactor: Redactor, durationMs: number): AuditRecord {
  const { caller } = call.context;
  const failure = call.failure;
  return {
    kind: call.kind,
    name: call.subject ? call.name : call.name.slice(0, UNKNOWN_NAME_CHARS),
    caller: caller.id,
    transport: caller.transport,
    claimed: caller.claimed,
    arguments: call.arguments === undefined ? undefined : redactor.value(call.arguments),
    reason: reasonOf(call.arguments, redactor),
    target: call.target,
    approval: call.approval,
    outcome: outcomeOf(call),
    error: failure === undefined ? undefined : call.subject ? failure.kind : `unknown-${call.kind}`,
    durationMs: Math.round(durationMs),
    bytes: failure ? Buffer.byteLength(failure.message) : (call.reply?.bytes ?? 0),
  };
}

export function outcomeOf(call: Call): AuditRecord['outcome'] {
  const failure = call.failure;
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
