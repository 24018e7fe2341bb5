/**
 * The one module that knows the MCP SDK: it serves the catalogue (tools, resources, prompts) over a
 * low-level SDK Server. Every call goes through the same gate — rate limit, cooldown for actions, deadline,
 * control-character stripping, redaction, byte budget, audit — so no definition can skip one.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
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
import { z } from 'zod';
import type { Caller } from '../caller.ts';
import { contextFor, type ServiceContext, type SidecarServices } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { busyMessage, type CallGate, createCallGate } from '../governance/concurrency.ts';
import type { ToolHints } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import { byteLength, RESULT_BUDGET_BYTES, truncateHead } from '../output/budget.ts';
import type { PromptDefinition } from '../prompts/definition.ts';
import { isTemplate, type ResourceDefinition } from '../resources/definition.ts';
import { stripControl, stripControlDeep } from '../safety/sanitize.ts';
import type { ToolDefinition } from '../tools/definition.ts';
import { requestApproval } from './approval.ts';

export interface Catalogue {
  readonly tools: readonly ToolDefinition[];
  readonly resources: readonly ResourceDefinition[];
  readonly prompts: readonly PromptDefinition[];
  readonly instructions: string;
}

/** A call that takes longer than this is answered with a timeout the agent can act on. */
export const CALL_DEADLINE_MS = 20_000;

export interface ServerOptions {
  readonly services: SidecarServices;
  readonly catalogue: Catalogue;
  /** Who is calling, from the transport (stdio, or what the HTTP edge authenticated). */
  readonly caller: (authInfo: unknown) => Caller;
  /** Overrides CALL_DEADLINE_MS (tests). */
  readonly deadlineMs?: number;
  /** Overrides APPROVAL_TIMEOUT_MS (tests). */
  readonly approvalTimeoutMs?: number | undefined;
}

/**
 * A tool's listing depends only on its definition, so it is built once per definition, not per request: a
 * stateless HTTP sidecar creates a server for every request, and converting twelve zod schemas each time cost
 * CPU and garbage under load.
 */
const listings = new WeakMap<ToolDefinition, ToolListing>();

type ToolListing = ReturnType<typeof listingOf>;

function listingOf(tool: ToolDefinition) {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, 'input'),
    outputSchema: jsonSchema(tool.output, 'output'),
    annotations: listedHints(tool.hints),
  };
}

/**
 * The hints a client needs, once: the title is the listing's own `title`, and the spec gives the destructive
 * and idempotent hints meaning only for a tool that is not read-only — every tools/list costs a model tokens.
 */
function listedHints(hints: ToolHints): Partial<ToolHints> {
  if (!hints.readOnlyHint) return hints;
  return { readOnlyHint: true, openWorldHint: hints.openWorldHint };
}

export function listTools(tools: readonly ToolDefinition[]): ToolListing[] {
  return tools.map((tool) => {
    let listing = listings.get(tool);
    if (!listing) {
      listing = listingOf(tool);
      listings.set(tool, listing);
    }
    return listing;
  });
}

/** Parsed URI templates, like tool listings, once per definition rather than once per server (per HTTP request). */
const uriTemplates = new WeakMap<ResourceDefinition, UriTemplate>();

function templateOf(resource: ResourceDefinition): UriTemplate {
  let template = uriTemplates.get(resource);
  if (!template) {
    template = new UriTemplate(resource.uri);
    uriTemplates.set(resource, template);
  }
  return template;
}

/** The process's bound when the services bring none (a stateless HTTP sidecar makes a server per request). */
let processCalls: CallGate | undefined;

/**
 * Runs `work` once the call gate admits it, holding the place until `work` has settled (not merely until its
 * deadline answered): memory follows the work that is really running.
 */
async function gated<T>(calls: CallGate, callerId: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const admission = await calls.enter(callerId, signal);
  if (!admission.admitted) throw new ToolFailure(busyMessage(admission), 'busy', admission.retryAfterSeconds);
  // Through a promise, so a `work` that throws before returning one still gives its place back.
  const running = Promise.resolve().then(work);
  void running.then(admission.release, admission.release);
  return running;
}

export function createMcpServer(options: ServerOptions): Server {
  const { services, catalogue } = options;
  processCalls ??= createCallGate();
  const calls = services.calls ?? processCalls;
  const deadlineMs = options.deadlineMs ?? CALL_DEADLINE_MS;
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
  const toolList = listTools(catalogue.tools);
  const toolsByName = new Map(catalogue.tools.map((tool) => [tool.name as string, tool]));
  const subscriptions = new Map<string, () => void>();

  const context = (extra: { authInfo?: unknown; signal: AbortSignal }): ServiceContext =>
    contextFor(services, options.caller(extra.authInfo), extra.signal);

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const started = performance.now();
    const ctx = context(extra);
    const tool = toolsByName.get(request.params.name);
    if (!tool) {
      services.audit.record({
        kind: 'tool',
        name: String(request.params.name).slice(0, 128),
        caller: ctx.caller.id,
        transport: ctx.caller.transport,
        claimed: ctx.caller.claimed,
        outcome: 'refused',
        error: 'unknown-tool',
        durationMs: Math.round(performance.now() - started),
        bytes: 0,
      });
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool ${request.params.name}. Available: ${[...toolsByName.keys()].join(', ')}`,
      );
    }
    const rawArguments = request.params.arguments ?? {};
    const audit = (outcome: 'ok' | 'error' | 'refused' | 'rate-limited', bytes: number, extraFields = {}) =>
      services.audit.record({
        kind: 'tool',
        name: tool.name,
        caller: ctx.caller.id,
        transport: ctx.caller.transport,
        claimed: ctx.caller.claimed,
        arguments: services.redactor.value(rawArguments),
        reason: typeof rawArguments.reason === 'string' ? services.redactor.text(rawArguments.reason) : undefined,
        outcome,
        durationMs: Math.round(performance.now() - started),
        bytes,
        ...extraFields,
      });
    const fail = (failure: ToolFailure, target?: string): CallToolResult => {
      const text = services.redactor.text(failure.message);
      const outcome =
        failure.kind === 'rate-limited' || failure.kind === 'busy'
          ? 'rate-limited'
          : failure.kind === 'refused'
            ? 'refused'
            : 'error';
      audit(outcome, Buffer.byteLength(text), { error: failure.kind, target });
      return { content: [{ type: 'text', text }], isError: true };
    };

    const admitted = services.limits.admitCall(ctx.caller.id);
    if (!admitted.allowed) {
      return fail(
        new ToolFailure(
          `Rate limit reached (${services.settings.rateLimitPerMinute} calls per minute per caller). Retry after ${admitted.retryAfterSeconds} s.`,
          'rate-limited',
          admitted.retryAfterSeconds,
        ),
      );
    }
    const parsed = tool.input.safeParse(rawArguments);
    if (!parsed.success) return fail(new ToolFailure(describeInvalidArguments(tool.name, parsed.error), 'invalid'));

    let target: string | undefined;
    let approval: 'human' | 'policy' | undefined;
    try {
      target = tool.target ? await tool.target(parsed.data, ctx) : undefined;
      const isAction = !tool.hints.readOnlyHint;
      if (isAction && target) {
        const cooldown = services.limits.checkCooldown(target);
        if (!cooldown.allowed) {
          throw new ToolFailure(
            `${target} was changed by podmcp less than ${services.settings.actionCooldownSeconds} s ago (cooldown). Check whether the last action worked before acting again; retry after ${cooldown.retryAfterSeconds} s.`,
            'rate-limited',
            cooldown.retryAfterSeconds,
          );
        }
        if ((parsed.data as { dry_run?: unknown }).dry_run !== true) {
          const verdict = await requestApproval({
            server,
            toolTitle: tool.title,
            target,
            reason: typeof rawArguments.reason === 'string' ? services.redactor.text(rawArguments.reason) : undefined,
            unattendedAllowed: services.settings.unattendedActions,
            relatedRequestId: extra.requestId,
            signal: extra.signal,
            timeoutMs: options.approvalTimeoutMs,
            preview: async () => {
              const dryRun = (async () => tool.run({ ...parsed.data, dry_run: true }, ctx))();
              const previewed = services.redactor.value(
                stripControlDeep(await withDeadline(dryRun, extra.signal, deadlineMs)),
              );
              return truncateHead(services.redactor.text(stripControl(tool.render(previewed))), 8 * 1024).text;
            },
          });
          if (!verdict.approved) throw new ToolFailure(verdict.message, 'refused');
          approval = verdict.by;
        }
        if (!services.limits.claimTarget(target)) {
          throw new ToolFailure(
            `${target} is being acted on by another call right now. Wait for that call, check what it did, then decide whether to act again.`,
            'rate-limited',
            1,
          );
        }
      }
      // (An async wrapper, so a handler that throws before returning its promise cannot leave the target held.)
      // The run sees the deadline in its signal (started now, after any approval), so its waits and polls stop
      // when the answer no longer matters.
      const runContext = { ...ctx, signal: AbortSignal.any([extra.signal, AbortSignal.timeout(deadlineMs)]) };
      const running = gated(calls, ctx.caller.id, extra.signal, async () => tool.run(parsed.data, runContext));
      if (isAction && target) {
        // Settled by the action itself, not by the deadline: one that outlives it still holds the target, and
        // still starts the cooldown if it applies.
        const acted = target;
        void running.then(
          (result) => {
            if ((result as { applied?: unknown } | undefined)?.applied === true) services.limits.startCooldown(acted);
            services.limits.releaseTarget(acted);
          },
          () => services.limits.releaseTarget(acted),
        );
      }
      const result = await withDeadline(running, extra.signal, deadlineMs);
      const structured = services.redactor.value(stripControlDeep(result)) as Record<string, unknown>;
      const structuredBytes = byteLength(structured);
      if (structuredBytes > RESULT_BUDGET_BYTES) {
        throw new ToolFailure(
          `The answer would be ${structuredBytes} bytes, above the ${RESULT_BUDGET_BYTES}-byte budget. Narrow the request (a smaller limit, a filter, or a single name).`,
          'invalid',
        );
      }
      const rendered = truncateHead(services.redactor.text(stripControl(tool.render(structured))), RESULT_BUDGET_BYTES);
      const text = rendered.truncated
        ? `${rendered.text}\n[truncated: ${rendered.omittedBytes} more bytes; the structured result is complete]`
        : rendered.text;
      audit('ok', Buffer.byteLength(text) + structuredBytes, { target, approval });
      return { content: [{ type: 'text', text }], structuredContent: structured };
    } catch (error) {
      return fail(describeKubeError(error, tool.title), target);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    const ctx = context(extra);
    const fixed = catalogue.resources.filter((resource) => !isTemplate(resource));
    const listed = await Promise.all(
      catalogue.resources
        .filter((resource) => isTemplate(resource) && resource.list)
        .map(async (resource) => {
          try {
            const items = (await resource.list?.(ctx)) ?? [];
            return items.map((item) => ({ ...item, mimeType: resource.mimeType, description: resource.title }));
          } catch {
            // Listing is a convenience; templates still work when the API server is away.
            return [];
          }
        }),
    );
    return {
      resources: [
        ...fixed.map((resource) => ({
          uri: resource.uri,
          name: resource.name,
          title: resource.title,
          description: resource.description,
          mimeType: resource.mimeType,
        })),
        ...listed.flat(),
      ],
    };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: catalogue.resources.filter(isTemplate).map((resource) => ({
      uriTemplate: resource.uri,
      name: resource.name,
      title: resource.title,
      description: resource.description,
      mimeType: resource.mimeType,
    })),
  }));

  const findResource = (uri: string) => {
    for (const resource of catalogue.resources) {
      if (!isTemplate(resource)) {
        if (resource.uri === uri) return { resource, variables: {} };
        continue;
      }
      const match = templateOf(resource).match(uri);
      if (match) {
        const variables = Object.fromEntries(
          Object.entries(match).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]),
        );
        return { resource, variables };
      }
    }
    return undefined;
  };

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const started = performance.now();
    const ctx = context(extra);
    const { uri } = request.params;
    const found = findResource(uri);
    const audit = (outcome: 'ok' | 'error' | 'rate-limited', bytes: number, error?: string) =>
      services.audit.record({
        kind: 'resource',
        name: uri,
        caller: ctx.caller.id,
        transport: ctx.caller.transport,
        claimed: ctx.caller.claimed,
        outcome,
        error,
        durationMs: Math.round(performance.now() - started),
        bytes,
      });
    if (!found) {
      audit('error', 0, 'not-found');
      throw new McpError(-32002, `Unknown resource ${uri}. List resources and templates to see what exists.`);
    }
    const admitted = services.limits.admitCall(ctx.caller.id);
    if (!admitted.allowed) {
      audit('rate-limited', 0);
      throw new McpError(ErrorCode.InvalidRequest, `Rate limit reached. Retry after ${admitted.retryAfterSeconds} s.`);
    }
    try {
      const reading = gated(calls, ctx.caller.id, extra.signal, () => found.resource.read(found.variables, ctx));
      const raw = await withDeadline(reading, extra.signal, deadlineMs);
      const text = truncateHead(services.redactor.text(stripControlDeep(raw)), RESULT_BUDGET_BYTES);
      const body = text.truncated ? `${text.text}\n[truncated: ${text.omittedBytes} more bytes]` : text.text;
      audit('ok', Buffer.byteLength(body));
      return { contents: [{ uri, mimeType: found.resource.mimeType, text: body }] };
    } catch (error) {
      const failure = describeKubeError(error, uri);
      audit(failure.kind === 'busy' ? 'rate-limited' : 'error', 0, failure.kind);
      throw new McpError(
        failure.kind === 'not-found' ? -32002 : ErrorCode.InternalError,
        services.redactor.text(failure.message),
      );
    }
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const { uri } = request.params;
    const found = findResource(uri);
    if (!found?.resource.watch) {
      throw new McpError(ErrorCode.InvalidParams, `${uri} does not support subscriptions.`);
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
    const started = performance.now();
    const ctx = context(extra);
    const prompt = promptsByName.get(request.params.name);
    if (!prompt) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown prompt ${request.params.name}. Available: ${[...promptsByName.keys()].join(', ')}`,
      );
    }
    const args = request.params.arguments ?? {};
    const missing = prompt.arguments.filter((argument) => argument.required && !args[argument.name]);
    if (missing.length > 0) {
      throw new McpError(ErrorCode.InvalidParams, `Missing argument: ${missing.map((a) => a.name).join(', ')}`);
    }
    const admitted = services.limits.admitCall(ctx.caller.id);
    if (!admitted.allowed) {
      throw new McpError(ErrorCode.InvalidRequest, `Rate limit reached. Retry after ${admitted.retryAfterSeconds} s.`);
    }
    let outcome: 'ok' | 'error' = 'ok';
    let text: string;
    try {
      const building = gated(calls, ctx.caller.id, extra.signal, () => prompt.build(args, ctx));
      const built = await withDeadline(building, extra.signal, deadlineMs);
      text = truncateHead(services.redactor.text(stripControlDeep(built)), RESULT_BUDGET_BYTES).text;
    } catch (error) {
      outcome = 'error';
      const failure = describeKubeError(error, prompt.title);
      throw new McpError(ErrorCode.InternalError, services.redactor.text(failure.message));
    } finally {
      services.audit.record({
        kind: 'prompt',
        name: prompt.name,
        caller: ctx.caller.id,
        transport: ctx.caller.transport,
        claimed: ctx.caller.claimed,
        arguments: services.redactor.value(args),
        outcome,
        durationMs: Math.round(performance.now() - started),
        bytes: 0,
      });
    }
    return {
      description: prompt.description,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }],
    };
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const ctx = context(extra);
    const { ref, argument } = request.params;
    let completer: ((prefix: string, context: ServiceContext) => Promise<string[]>) | undefined;
    if (ref.type === 'ref/prompt') completer = promptsByName.get(ref.name)?.complete?.[argument.name];
    else completer = catalogue.resources.find((resource) => resource.uri === ref.uri)?.complete?.[argument.name];
    let values: string[] = [];
    if (completer) {
      try {
        values = await completer(argument.value, ctx);
      } catch {
        values = [];
      }
    }
    const matching = values.filter((value) => value.startsWith(argument.value));
    return { completion: { values: matching.slice(0, 100), total: matching.length, hasMore: matching.length > 100 } };
  });

  server.onclose = () => {
    for (const stop of subscriptions.values()) stop();
    subscriptions.clear();
  };
  return server;
}

function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): { type: 'object'; [key: string]: unknown } {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { ...rest, type: 'object' };
}

function describeInvalidArguments(tool: string, error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'arguments';
    return `${path}: ${issue.message}`;
  });
  return `Invalid arguments for ${tool}: ${problems.join('; ')}. Fix them and call again.`;
}

async function withDeadline<T>(work: Promise<T>, signal: AbortSignal, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ToolFailure(
            `No answer within ${deadlineMs / 1000} s (the API server or the app may be overloaded). Retry with a narrower request.`,
            'timeout',
          ),
        ),
      deadlineMs,
    );
    signal.addEventListener('abort', () => reject(new ToolFailure('The request was cancelled.', 'refused')), {
      once: true,
    });
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
