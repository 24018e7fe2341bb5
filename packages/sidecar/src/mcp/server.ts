/**
 * The MCP protocol's server. mcp/ owns the protocol and transport/ the SDK's transports; nothing else in the
 * sidecar imports the SDK (test/packages holds it to that). This module makes a low-level SDK Server for one
 * era and registers the catalogue (tools, resources, prompts) on it; each handler (handle-*.ts) hands its call
 * to the gate (gate/pipeline.ts), the same named steps for all three, so no definition can skip one. The SDK
 * serves both eras from the same handlers: what differs (per-request `_meta`, cache fields, result types, the
 * error codes) it applies on the way in and out.
 */
import { type CacheHint, Server } from '@modelcontextprotocol/server';
import { contextFor } from '../context.ts';
import { createPipeline } from '../gate/pipeline.ts';
import { registerCompletion, registerPrompts } from './handle-prompts.ts';
import { registerResources, registerSubscriptions } from './handle-resources.ts';
import { registerTools } from './handle-tools.ts';
import type { Registration, ServerOptions } from './registration.ts';
import { INPUT_REQUIRED_OPTIONS, requestStateOptions } from './request-state.ts';
import { createSubscriptions } from './subscriptions.ts';

export { CALL_DEADLINE_MS } from '../gate/deadline.ts';
export { clientCapabilitiesOf } from './client-capabilities.ts';
export { listTools } from './listing.ts';
export type { Catalogue, Era, ServerOptions } from './registration.ts';
export type { ListenGrant, Subscriptions } from './subscriptions.ts';
export { createSubscriptions } from './subscriptions.ts';

/** The server a transport connects (2025) or a serving entry dispatches to (2026-07-28). */
export type McpServer = Server;

const LISTING_TTL_MS = 5 * 60_000;

/**
 * How long a 2026-07-28 client may reuse a result. The catalogue is fixed for a process but narrowed per
 * caller, so its listings are private, never shared; what reads the cluster is live, so it is not reused.
 */
const CACHE_HINTS: Readonly<Record<string, CacheHint>> = {
  'tools/list': { ttlMs: LISTING_TTL_MS, cacheScope: 'private' },
  'prompts/list': { ttlMs: LISTING_TTL_MS, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: LISTING_TTL_MS, cacheScope: 'private' },
  'server/discover': { ttlMs: LISTING_TTL_MS, cacheScope: 'private' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
};

export function createMcpServer(options: ServerOptions): McpServer {
  const { services, catalogue } = options;
  const server = new Server(
    { name: 'podmcp', title: 'podmcp sidecar', version: services.version },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: { listChanged: false },
        completions: {},
        logging: {},
      },
      instructions: catalogue.instructions,
      cacheHints: CACHE_HINTS,
      // Approvals across requests (2026-07-28): the state podmcp seals, checked before a retry reaches a handler.
      requestState: requestStateOptions,
      inputRequired: INPUT_REQUIRED_OPTIONS,
    },
  );
  const registration: Registration = {
    server,
    options,
    catalogue,
    era: options.era ?? 'legacy',
    gate: createPipeline(services, { deadlineMs: options.deadlineMs, nonce: options.nonce }),
    context: (ctx) => contextFor(services, options.caller(ctx.http?.authInfo), ctx.mcpReq.signal),
  };
  registerTools(registration);
  registerResources(registration);
  registerSubscriptions(registration, options.subscriptions ?? createSubscriptions(services, catalogue.resources));
  registerPrompts(registration);
  registerCompletion(registration);
  return server;
}
