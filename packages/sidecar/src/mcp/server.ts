/**
 * The MCP protocol's server. mcp/ owns the protocol and transport/ the SDK's transports; nothing else in the
 * sidecar imports the SDK (test/packages holds it to that). This module registers the catalogue (tools,
 * resources, prompts) on a low-level SDK Server and hands every call to the gate (gate/pipeline.ts), the same
 * named steps for all three, so no definition can skip one. What is left here is protocol: listings, lookups, and turning a call's reply or
 * failure into an MCP result or error.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../caller.ts';
import { contextFor, type ServiceContext, type SidecarServices } from '../context.ts';
import { clip } from '../gate/budget.ts';
import type { Ask, Call, Subject } from '../gate/call.ts';
import { openCall } from '../gate/call.ts';
import type { NonceSource } from '../gate/frame.ts';
import { createPipeline } from '../gate/pipeline.ts';
import { cleanListing } from '../gate/redact.ts';
import { promptSubject, refusedSubject, resourceSubject, toolSubject } from '../gate/subjects.ts';
import type { PromptDefinition } from '../prompts/definition.ts';
import { isTemplate, type ResourceDefinition } from '../resources/definition.ts';
import type { ToolDefinition } from '../tools/definition.ts';
import { requestApproval } from './approval.ts';
import { type FoundResource, findResource, listedResource, listTools, type UnreadableUri } from './listing.ts';

export { CALL_DEADLINE_MS } from '../gate/deadline.ts';
export { listTools } from './listing.ts';

export interface Catalogue {
  readonly tools: readonly ToolDefinition[];
  readonly resources: readonly ResourceDefinition[];
  readonly prompts: readonly PromptDefinition[];
  readonly instructions: string;
}

export interface ServerOptions {
  readonly services: SidecarServices;
  readonly catalogue: Catalogue;
  /** Who is calling, from the transport (stdio, or what the HTTP edge authenticated). */
  readonly caller: (authInfo: unknown) => Caller;
  /** Overrides CALL_DEADLINE_MS (tests). */
  readonly deadlineMs?: number;
  /** Overrides APPROVAL_TIMEOUT_MS (tests). */
  readonly approvalTimeoutMs?: number | undefined;
  /** Overrides the random nonce of the answers' frames (tests). */
  readonly nonce?: NonceSource | undefined;
}

/** A name or URI the agent sent is echoed this far in a refusal: enough to see the typo. */
const ECHOED_NAME_CHARS = 128;

interface RequestExtra {
  readonly authInfo?: unknown;
  readonly signal: AbortSignal;
  readonly requestId: string | number;
}

/** What every registration needs: the server, the options, the gate, and a request's context. */
interface Registration {
  readonly server: Server;
  readonly options: ServerOptions;
  readonly catalogue: Catalogue;
  readonly gate: (call: Call) => Promise<void>;
  readonly context: (extra: RequestExtra) => ServiceContext;
}

export function createMcpServer(options: ServerOptions): Server {
  const { services, catalogue } = options;
  const server = new Server(
    { name: 'podmcp', title: 'podmcp sidecar', version: services.version },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: { listChanged: false },
        completions: {},
      },
      instructions: catalogue.instructions,
    },
  );
  const registration: Registration = {
    server,
    options,
    catalogue,
    gate: createPipeline(services, { deadlineMs: options.deadlineMs, nonce: options.nonce }),
    context: (extra) => contextFor(services, options.caller(extra.authInfo), extra.signal),
  };
  registerTools(registration);
  registerResources(registration);
  registerSubscriptions(registration);
  registerPrompts(registration);
  registerCompletion(registration);
  return server;
}

function registerTools({ server, options, catalogue, gate, context }: Registration): void {
  const toolList = listTools(catalogue.tools);
  const toolsByName = new Map(catalogue.tools.map((tool) => [tool.name as string, tool]));
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const tool = toolsByName.get(name);
    const call = openCall({
      kind: 'tool',
      name,
      subject: tool && toolSubject(tool),
      unknown: `Unknown tool ${clip(name, ECHOED_NAME_CHARS)}. Available: ${[...toolsByName.keys()].join(', ')}`,
      arguments: request.params.arguments ?? {},
      context: context(extra),
      ask: askThrough(server, options, extra),
    });
    await gate(call);
    const failure = call.failure;
    if (!call.subject) throw new McpError(ErrorCode.InvalidParams, failure?.message ?? call.unknown);
    if (failure || !call.reply) return { content: [{ type: 'text', text: failure?.message ?? '' }], isError: true };
    const { text, structured, meta } = call.reply;
    return { content: [{ type: 'text', text }], structuredContent: structured, ...(meta ? { _meta: meta } : {}) };
  });
}

/** Approval through MCP elicitation, or the workload's unattended policy where the client cannot ask. */
function askThrough(server: Server, options: ServerOptions, extra: RequestExtra): Ask {
  return (question) =>
    requestApproval({
      server,
      toolTitle: question.what,
      target: question.target,
      reason: question.reason,
      unattendedAllowed: options.services.settings.unattendedActions,
      relatedRequestId: extra.requestId,
      signal: extra.signal,
      timeoutMs: options.approvalTimeoutMs,
      preview: question.preview,
    });
}

function registerResources({ server, options, catalogue, gate, context }: Registration): void {
  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    const ctx = context(extra);
    const listed = await Promise.all(
      catalogue.resources
        .filter((resource) => isTemplate(resource) && resource.list)
        .map(async (resource) => {
          try {
            const items = cleanListing((await resource.list?.(ctx)) ?? [], options.services.redactor);
            return items.map((item) => ({ ...item, mimeType: resource.mimeType, description: resource.title }));
          } catch {
            // Listing is a convenience; templates still work when the API server is away.
            return [];
          }
        }),
    );
    const fixed = catalogue.resources.filter((resource) => !isTemplate(resource)).map(listedResource);
    return { resources: [...fixed, ...listed.flat()] };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: catalogue.resources.filter(isTemplate).map((resource) => {
      const { uri, ...listed } = listedResource(resource);
      return { uriTemplate: uri, ...listed };
    }),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    const found = findResource(catalogue.resources, uri);
    const call = openCall({
      kind: 'resource',
      name: uri,
      subject: found && resourceSubjectOf(found, uri),
      unknown: `Unknown resource ${clip(uri, ECHOED_NAME_CHARS)}. List resources and templates to see what exists.`,
      arguments: undefined,
      context: context(extra),
    });
    await gate(call);
    if (!found) throw new McpError(RESOURCE_NOT_FOUND, call.failure?.message ?? call.unknown);
    if (call.failure || !call.reply || 'unreadable' in found) throw protocolError('resource', call);
    return { contents: [{ uri, mimeType: found.resource.mimeType, text: call.reply.text }] };
  });
}

function resourceSubjectOf(found: FoundResource | UnreadableUri, uri: string): Subject {
  if ('unreadable' in found) {
    return refusedSubject(clip(uri, ECHOED_NAME_CHARS), `This URI cannot be read: ${found.unreadable}.`);
  }
  return resourceSubject(found.resource, uri, found.variables);
}

/** The MCP code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

/**
 * A failed resource read or prompt is a JSON-RPC error (they have no isError result, unlike tools): bad input
 * (a URI's variables, a prompt's arguments) is invalid params, as the MCP spec asks; a bug is internal.
 */
function protocolError(kind: 'resource' | 'prompt', call: Call): McpError {
  const failure = call.failure;
  const message = failure?.message ?? 'No answer.';
  if (failure?.kind === 'rate-limited') return new McpError(ErrorCode.InvalidRequest, message);
  if (failure?.kind === 'not-found' && kind === 'resource') return new McpError(RESOURCE_NOT_FOUND, message);
  if (failure?.kind === 'invalid' && !call.unexpected) return new McpError(ErrorCode.InvalidParams, message);
  return new McpError(ErrorCode.InternalError, message);
}

function registerSubscriptions({ server, options, catalogue, context }: Registration): void {
  const subscriptions = new Map<string, () => void>();
  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    const found = findResource(catalogue.resources, uri);
    if (!found || 'unreadable' in found || !found.resource.watch) {
      const named = options.services.redactor.text(clip(uri, ECHOED_NAME_CHARS));
      throw new McpError(ErrorCode.InvalidParams, `${named} does not support subscriptions.`);
    }
    if (!subscriptions.has(uri)) {
      const stop = await found.resource.watch(found.variables, context(extra), () => {
        void server.sendResourceUpdated({ uri }).catch(() => undefined);
      });
      subscriptions.set(uri, stop);
    }
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.get(request.params.uri)?.();
    subscriptions.delete(request.params.uri);
    return {};
  });
  server.onclose = () => {
    for (const stop of subscriptions.values()) stop();
    subscriptions.clear();
  };
}

function registerPrompts({ server, catalogue, gate, context }: Registration): void {
  const promptsByName = new Map(catalogue.prompts.map((prompt) => [prompt.name, prompt]));
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: catalogue.prompts.map((prompt) => ({
      name: prompt.name,
      title: prompt.title,
      description: prompt.description,
      arguments: prompt.arguments.map((argument) => ({ ...argument })),
    })),
  }));
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const prompt = promptsByName.get(name);
    const call = openCall({
      kind: 'prompt',
      name,
      subject: prompt && promptSubject(prompt),
      unknown: `Unknown prompt ${clip(name, ECHOED_NAME_CHARS)}. Available: ${[...promptsByName.keys()].join(', ')}`,
      arguments: request.params.arguments ?? {},
      context: context(extra),
    });
    await gate(call);
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, call.failure?.message ?? call.unknown);
    if (call.failure || !call.reply) throw protocolError('prompt', call);
    return {
      description: prompt.description,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: call.reply.text } }],
    };
  });
}

function registerCompletion({ server, options, catalogue, context }: Registration): void {
  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const { ref, argument } = request.params;
    const completer =
      ref.type === 'ref/prompt'
        ? catalogue.prompts.find((prompt) => prompt.name === ref.name)?.complete?.[argument.name]
        : catalogue.resources.find((resource) => resource.uri === ref.uri)?.complete?.[argument.name];
    let values: string[] = [];
    if (completer) {
      try {
        values = cleanListing(await completer(argument.value, context(extra)), options.services.redactor);
      } catch {
        values = [];
      }
    }
    const matching = values.filter((value) => value.startsWith(argument.value));
    return { completion: { values: matching.slice(0, 100), total: matching.length, hasMore: matching.length > 100 } };
  });
}
