/**
 * The audit trail: one JSON line per tool call and resource read, on its own logger so it can be routed
 * apart from diagnostics. Arguments are redacted like answers are.
 */
import type { Logger } from 'pino';

export interface AuditRecord {
  readonly kind: 'tool' | 'resource' | 'prompt';
  readonly name: string;
  readonly caller: string;
  readonly transport: string;
  /** The identity the client claimed (unverified), when it sent one; with token auth `caller` is the verified one. */
  readonly claimed?: string | undefined;
  readonly arguments?: unknown;
  readonly reason?: string | undefined;
  readonly target?: string | undefined;
  /** For actions: who approved it — a human through elicitation, or the workload's unattended policy. */
  readonly approval?: 'human' | 'policy' | undefined;
  /**
   * Links the records of one approval asked across requests (MCP 2026-07-28): the round that asked
   * (`approval-requested`) and the one that brought the answer carry the same id.
   */
  readonly approvalId?: string | undefined;
  /** What happened at the approval in this request: asked, approved, declined, an invalid state… */
  readonly approvalStatus?: string | undefined;
  readonly outcome: 'ok' | 'error' | 'refused' | 'rate-limited' | 'approval-requested';
  readonly error?: string | undefined;
  readonly durationMs: number;
  readonly bytes: number;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
}

export function createAuditLog(logger: Logger): AuditLog {
  const audit = logger.child({ audit: true });
  return {
    record(entry) {
      audit.info(entry, `${entry.kind} ${entry.name} ${entry.outcome}`);
    },
  };
}
