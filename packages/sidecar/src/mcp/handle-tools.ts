/** tools/list and tools/call: the catalogue's tools, each call through the gate and back as a tool result. */
import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { clip } from '../gate/budget.ts';
import { type Ask, openCall } from '../gate/call.ts';
import { toolSubject } from '../gate/subjects.ts';
import { requestApproval } from './approval.ts';
import { logNote, logOutcome } from './call-log.ts';
import { listTools } from './listing.ts';
import { ECHOED_NAME_CHARS, type Registration } from './registration.ts';

export function registerTools(registration: Registration): void {
  const { server, catalogue, gate, context } = registration;
  const toolList = listTools(catalogue.tools);
  const listings = new Map(toolList.map((listing) => [listing.name as string, listing]));
  const toolsByName = new Map(catalogue.tools.map((tool) => [tool.name as string, tool]));
  server.setRequestHandler('tools/list', () => ({ tools: toolList }));
  server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = toolsByName.get(name);
    const call = openCall({
      kind: 'tool',
      name,
      subject: tool && toolSubject(tool),
      unknown: `Unknown tool ${clip(name, ECHOED_NAME_CHARS)}. Available: ${[...toolsByName.keys()].join(', ')}`,
      arguments: request.params.arguments ?? {},
      context: context(ctx),
      ask: askThrough(registration, ctx, name, request.params.arguments),
    });
    await gate(call);
    // An approval asked of a 2026-07-28 client: the gate stopped without running, and the question goes back.
    if (call.pending !== undefined) {
      logNote(ctx, 'notice', `tool ${name}: waiting for a human's approval.`);
      return call.pending as CallToolResult;
    }
    const failure = call.failure;
    if (!call.subject) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, failure?.message ?? call.unknown);
    }
    logOutcome(ctx, call, name);
    if (failure || !call.reply) return { content: [{ type: 'text', text: failure?.message ?? '' }], isError: true };
    const { text, structured, meta } = call.reply;
    const result: CallToolResult = {
      content: [{ type: 'text', text }],
      structuredContent: structured,
      ...(meta ? { _meta: meta } : {}),
    };
    return server.projectCallToolResult(result, listings.get(name)?.outputSchema);
  });
}

/** Approval through MCP elicitation, or the workload's unattended policy where the client cannot ask. */
function askThrough(
  { server, options, era }: Registration,
  ctx: ServerContext,
  name: string,
  args: Readonly<Record<string, unknown>> | undefined,
): Ask {
  return (question) =>
    requestApproval({
      server,
      ctx,
      era,
      name,
      arguments: args,
      toolTitle: question.what,
      target: question.target,
      reason: question.reason,
      unattendedAllowed: options.services.settings.unattendedActions,
      relatedRequestId: ctx.mcpReq.id,
      signal: ctx.mcpReq.signal,
      timeoutMs: options.approvalTimeoutMs,
      preview: question.preview,
    });
}
