/**
 * A human's yes before an action changes anything. Where the client can ask its user (MCP elicitation), the
 * sidecar first runs the action as a server-side dry run, shows exactly what would change, and applies it only
 * on an explicit "yes"; a "no", a cancel, no answer in time or a broken answer change nothing. Where the client
 * cannot ask, the workload's policy decides (podmcp.dev/unattended-actions, off by default).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ApprovalVerdict } from '../gate/call.ts';

export type { ApprovalVerdict } from '../gate/call.ts';

/** How long a human has to answer before the action is dropped. */
export const APPROVAL_TIMEOUT_MS = 5 * 60_000;

export interface ApprovalRequest {
  readonly server: Server;
  readonly toolTitle: string;
  readonly target: string | undefined;
  readonly reason: string | undefined;
  /** The dry run's rendered answer: what would change. */
  readonly preview: () => Promise<string>;
  readonly unattendedAllowed: boolean;
  readonly relatedRequestId: string | number;
  readonly signal: AbortSignal;
  readonly timeoutMs?: number | undefined;
}

function clientCanElicit(server: Server): boolean {
  const elicitation = server.getClientCapabilities()?.elicitation as { form?: unknown } | undefined;
  // An empty object is how clients of the 2025-06-18 revision declared form elicitation.
  return elicitation !== undefined && (elicitation.form !== undefined || Object.keys(elicitation).length === 0);
}

export async function requestApproval(request: ApprovalRequest): Promise<ApprovalVerdict> {
  if (!clientCanElicit(request.server)) {
    if (request.unattendedAllowed) return { approved: true, by: 'policy' };
    return {
      approved: false,
      message:
        'Nothing was changed. This MCP client cannot ask a human to approve actions (MCP elicitation), and this workload does not allow unattended actions (podmcp.dev/unattended-actions). Call again with dry_run: true to show the change, and ask a human to approve it in a client that supports elicitation.',
    };
  }
  const preview = await request.preview();
  const message = [
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
  try {
    const answer = await request.server.elicitInput(
      {
        mode: 'form',
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            approve: {
              type: 'boolean',
              title: 'Apply this change',
              description: 'Yes applies it; no changes nothing.',
            },
          },
          required: ['approve'],
        },
      },
      {
        relatedRequestId: request.relatedRequestId,
        signal: request.signal,
        timeout: request.timeoutMs ?? APPROVAL_TIMEOUT_MS,
      },
    );
    if (answer.action === 'accept' && answer.content?.approve === true) return { approved: true, by: 'human' };
    const how = answer.action === 'accept' ? 'did not approve' : answer.action === 'decline' ? 'declined' : 'cancelled';
    return { approved: false, message: `Nothing was changed: the user ${how} the action.` };
  } catch (error) {
    return {
      approved: false,
      message: `Nothing was changed: the approval was not answered (${error instanceof Error ? error.message : String(error)}).`,
    };
  }
}
