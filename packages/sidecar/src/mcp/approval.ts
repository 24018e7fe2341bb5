/**
 * A human's yes before an action changes anything. Where the client can ask its user (MCP form elicitation),
 * the sidecar first runs the action as a server-side dry run, shows exactly what would change, and applies it
 * only on an explicit "yes"; a "no", a cancel, no answer in time or a broken answer change nothing. Where the
 * client cannot ask, the workload's policy decides (podmcp.dev/unattended-actions, off by default).
 *
 * How the question travels depends on the protocol era:
 * - 2025 (a session): the server sends the client an elicitation request and waits for its answer.
 * - 2026-07-28: no server-to-client requests. The call answers "input required" with the question and a sealed
 *   state (request-state.ts); the client asks its user and calls again with the answer and the state. The
 *   retry is only believed with a state this process sealed for this caller, tool and arguments; a decline or
 *   cancel changes nothing at once; a yes runs the dry run again on the first round's clock, and a preview
 *   that differs from the one shown is asked about again, so what is applied is what the human saw. An
 *   answer without a verified state is ignored (the question is asked), and a missing answer is asked again a
 *   bounded number of times. A final decision (yes, no, cancel, not answered) spends the approval: its states
 *   coming back again, while they would still verify, are refused (request-state.ts), so one yes applies once.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type ElicitRequestFormParams,
  inputRequired,
  inputResponse,
  PROTOCOL_VERSION_META_KEY,
  type RequestId,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ApprovalStatus, ApprovalVerdict, Preview } from '../gate/call.ts';
import { clientCapabilitiesOf } from './client-capabilities.ts';
import {
  APPROVAL_TIMEOUT_MS,
  type ApprovalState,
  approvalSpent,
  approvalStateOf,
  mintApprovalState,
  spendApproval,
  unspendApproval,
} from './request-state.ts';

export type { ApprovalVerdict } from '../gate/call.ts';
export { APPROVAL_TIMEOUT_MS } from './request-state.ts';

/** How many times a 2026-07-28 client is asked before a call that never brings an answer is refused. */
export const APPROVAL_MAX_ROUNDS = 3;

/** The key of the question in a 2026-07-28 "input required" answer, and of its answer in the retry. */
export const APPROVE_INPUT_KEY = 'approve';

export interface ApprovalRequest {
  readonly server: Server;
  /** The SDK's context of the tools/call being approved. */
  readonly ctx: ServerContext;
  /** The era the server answers; read from the request's envelope when absent. */
  readonly era?: 'legacy' | 'modern' | undefined;
  readonly toolTitle: string;
  readonly target: string | undefined;
  readonly reason: string | undefined;
  /** The tool's name and its arguments as sent: a 2026-07-28 answer must be for this very call. */
  readonly name?: string | undefined;
  readonly arguments?: Readonly<Record<string, unknown>> | undefined;
  /** The dry run's rendered answer: what would change (on the clock `at` when given). */
  readonly preview: (at?: number) => Promise<Preview>;
  readonly unattendedAllowed: boolean;
  readonly relatedRequestId: RequestId;
  readonly signal: AbortSignal;
  readonly timeoutMs?: number | undefined;
}

const CANNOT_ASK =
  'Nothing was changed. This MCP client cannot ask a human to approve actions (MCP elicitation), and this workload does not allow unattended actions (podmcp.dev/unattended-actions). Call again with dry_run: true to show the change, and ask a human to approve it in a client that supports elicitation.';

export const STATE_REFUSED = 'Nothing was changed: the approval expired or came from another server; call again.';
export const STATE_MISMATCH = 'Nothing was changed: the approval answered a different call; call again.';
export const STATE_REPLAYED = 'Nothing was changed: this approval was already used; call again.';
export const STATE_BUSY = 'Nothing was changed: too many approvals are waiting to expire; call again later.';

const APPROVE_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    approve: {
      type: 'boolean',
      title: 'Apply this change',
      description: 'Yes applies it; no changes nothing.',
    },
  },
  required: ['approve'],
};

export async function requestApproval(request: ApprovalRequest): Promise<ApprovalVerdict> {
  if (!clientCanElicit(request)) {
    if (request.unattendedAllowed) return { approved: true, by: 'policy' };
    return { approved: false, message: CANNOT_ASK };
  }
  return isModern(request) ? askAcrossRequests(request) : askOnSession(request);
}

function clientCanElicit(request: ApprovalRequest): boolean {
  const elicitation = clientCapabilitiesOf(request.ctx, request.server)?.elicitation as { form?: unknown } | undefined;
  // An empty object is how clients of the 2025-06-18 revision declared form elicitation.
  return (
    typeof elicitation === 'object' &&
    elicitation !== null &&
    (elicitation.form !== undefined || Object.keys(elicitation).length === 0)
  );
}

function isModern(request: ApprovalRequest): boolean {
  if (request.era !== undefined) return request.era === 'modern';
  const envelope = request.ctx.mcpReq.envelope as Readonly<Record<string, unknown>> | undefined;
  return typeof envelope?.[PROTOCOL_VERSION_META_KEY] === 'string';
}

function questionText(request: ApprovalRequest, preview: string): string {
  return [
    `podmcp asks to ${request.toolTitle.toLowerCase()}${request.target ? ` (${request.target})` : ''}.`,
    request.reason ? `Reason given: ${request.reason}` : undefined,
    '',
    'The server-side dry run says:',
    preview,
    '',
    'Apply this change?',
  ]
    .filter((line) => line !== undefined)
    .join('\n');
}

/**
 * What a no, a cancel or a yes that is not `approve: true` says, and how the audit names it. A 2026-07-28 answer
 * comes from the client: an action that is none of the three, should one get this far, reads as a cancel.
 */
function refusal(action: 'accept' | 'decline' | 'cancel'): { message: string; status: ApprovalStatus } {
  const [how, status]: [string, ApprovalStatus] =
    action === 'accept'
      ? ['did not approve', 'not-approved']
      : action === 'decline'
        ? ['declined', 'declined']
        : ['cancelled', 'cancelled'];
  return { message: `Nothing was changed: the user ${how} the action.`, status };
}

/** 2025: an elicitation request on the client's session, answered within the approval's time. */
async function askOnSession(request: ApprovalRequest): Promise<ApprovalVerdict> {
  const preview = await request.preview();
  try {
    const answer = await request.server.elicitInput(
      { mode: 'form', message: questionText(request, preview.text), requestedSchema: APPROVE_SCHEMA },
      {
        relatedRequestId: request.relatedRequestId,
        signal: request.signal,
        timeout: request.timeoutMs ?? APPROVAL_TIMEOUT_MS,
      },
    );
    if (answer.action === 'accept' && answer.content?.approve === true) {
      return { approved: true, by: 'human', status: 'approved' };
    }
    return { approved: false, ...refusal(answer.action) };
  } catch (error) {
    return {
      approved: false,
      message: `Nothing was changed: the approval was not answered (${error instanceof Error ? error.message : String(error)}).`,
      status: 'unanswered',
    };
  }
}

/** 2026-07-28: this request either asks (a pending verdict) or carries the answer to an earlier question. */
async function askAcrossRequests(request: ApprovalRequest): Promise<ApprovalVerdict> {
  const check = await approvalStateOf(request.ctx);
  // No state: a first request. Answers sent without one are not believed, whatever they say.
  if (check === undefined) return ask(request, randomUUID(), 1, 'asked');
  if (!check.valid) {
    // Expired is the human's pace; anything else is a state this process did not seal for this caller.
    return {
      approved: false,
      message: STATE_REFUSED,
      status: check.reason === 'expired' ? 'state-expired' : 'state-invalid',
    };
  }
  const state = check.state;
  const correlation = state.id;
  if (approvalSpent(correlation)) {
    return { approved: false, message: STATE_REPLAYED, correlation, status: 'state-replayed' };
  }
  if (state.tool !== toolOf(request) || state.args !== argumentsDigest(request)) {
    return { approved: false, message: STATE_MISMATCH, correlation, status: 'state-mismatch' };
  }
  const answer = inputResponse(request.ctx.mcpReq.inputResponses, APPROVE_INPUT_KEY);
  if (answer.kind !== 'elicit') return askAgain(request, state, 'asked-again');
  // Spent before anything is awaited, so of two retries with the same state only one gets past here.
  const spend = spendApproval(correlation, spentUntil(request));
  if (spend === 'spent') return { approved: false, message: STATE_REPLAYED, correlation, status: 'state-replayed' };
  if (!(answer.action === 'accept' && answer.content?.approve === true)) {
    // A refusal changes nothing either way: it is recorded as such even if no room was left to remember it.
    return { approved: false, correlation, ...refusal(answer.action) };
  }
  if (spend === 'full') return { approved: false, message: STATE_BUSY, correlation, status: 'state-busy' };
  // A yes: to what the human was shown, which must still be what would be applied.
  const now = await request.preview(state.at);
  if (now.digest !== state.preview) {
    // Not decided after all: the human is asked about the new change, under the same id.
    unspendApproval(correlation);
    return askAgain(request, state, 'preview-changed');
  }
  return { approved: true, by: 'human', correlation, status: 'approved' };
}

/**
 * Until when a spent id is remembered: every state carrying it was minted by now with this request's time to
 * answer (the server's, the same for all its rounds), so none verifies after now plus that time.
 */
function spentUntil(request: ApprovalRequest): number {
  return Date.now() + (request.timeoutMs ?? APPROVAL_TIMEOUT_MS);
}

async function askAgain(
  request: ApprovalRequest,
  state: ApprovalState,
  status: ApprovalStatus,
): Promise<ApprovalVerdict> {
  if (state.round >= APPROVAL_MAX_ROUNDS) {
    // Final: a later answer to this approval is not believed (whether or not there was room to remember it).
    spendApproval(state.id, spentUntil(request));
    return {
      approved: false,
      message: `Nothing was changed: the approval was not answered (asked ${state.round} times).`,
      correlation: state.id,
      status: 'unanswered',
    };
  }
  return ask(request, state.id, state.round + 1, status);
}

async function ask(
  request: ApprovalRequest,
  id: string,
  round: number,
  status: ApprovalStatus,
): Promise<ApprovalVerdict> {
  const preview = await request.preview();
  const requestState = await mintApprovalState(
    { tool: toolOf(request), args: argumentsDigest(request), preview: preview.digest, at: preview.at, id, round },
    request.ctx,
    request.timeoutMs ?? APPROVAL_TIMEOUT_MS,
  );
  const pending = inputRequired({
    inputRequests: {
      [APPROVE_INPUT_KEY]: inputRequired.elicit({
        mode: 'form',
        message: questionText(request, preview.text),
        requestedSchema: APPROVE_SCHEMA,
      }),
    },
    requestState,
  });
  return { approved: false, pending, correlation: id, status };
}

function toolOf(request: ApprovalRequest): string {
  return request.name ?? request.toolTitle;
}

/** The arguments with their keys in order, so a client that re-serialises them the same call matches. */
function argumentsDigest(request: ApprovalRequest): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(request.arguments ?? null)))
    .digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
