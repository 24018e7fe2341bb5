/**
 * Short notes to the client's log (MCP logging) at the points a human watching the agent wants to see: a call
 * refused, rate-limited, out of time, failed, or waiting for approval. They name the call and what happened,
 * never its arguments or answer: those may carry cluster data the log is not the place for. The SDK decides
 * whether a note goes out at all (a 2025 session's logging/setLevel, a 2026-07-28 request's own log level).
 */
import type { LoggingLevel, ServerContext } from '@modelcontextprotocol/server';
import type { Call } from '../gate/call.ts';

/** The logger name the notes carry. */
const LOGGER = 'podmcp';

export function logNote(ctx: ServerContext, level: LoggingLevel, text: string): void {
  // A note the client cannot take (gone, or a transport that refuses it) must never fail the call.
  try {
    void ctx.mcpReq.log(level, text, LOGGER).catch(() => undefined);
  } catch {
    // As above.
  }
}

/** One note for a call that did not end well; nothing for one that did. `label` names it (never a raw URI). */
export function logOutcome(ctx: ServerContext, call: Call, label: string): void {
  const note = noteFor(call);
  if (note) logNote(ctx, note.level, `${call.kind} ${label}: ${note.text}.`);
}

function noteFor(call: Call): { level: LoggingLevel; text: string } | undefined {
  const failure = call.failure;
  if (!failure) return undefined;
  switch (failure.kind) {
    case 'rate-limited':
      return { level: 'warning', text: `rate limited${retry(failure.retryAfterSeconds)}` };
    case 'busy':
      return { level: 'warning', text: `the sidecar is busy${retry(failure.retryAfterSeconds)}` };
    case 'timeout':
      return { level: 'warning', text: 'no answer before the deadline' };
    case 'refused':
      return { level: 'notice', text: 'refused' };
    default:
      return { level: call.unexpected ? 'error' : 'info', text: `failed (${failure.kind})` };
  }
}

function retry(seconds: number | undefined): string {
  return seconds === undefined ? '' : `, retry after ${seconds} s`;
}
