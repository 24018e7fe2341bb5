/**
 * What the client of one request can do. A 2026-07-28 request carries its capabilities in its own `_meta`
 * envelope; a 2025 connection declared them once at initialize. The envelope comes first because a modern stdio
 * connection never fills the server's copy, and the SDK types the envelope as an empty object (a gap in its
 * declarations), so the one cast lives here.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';

export function clientCapabilitiesOf(ctx: ServerContext, server: Server): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Readonly<Record<string, unknown>> | undefined;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  if (isObject(declared)) return declared as ClientCapabilities;
  return server.getClientCapabilities();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
