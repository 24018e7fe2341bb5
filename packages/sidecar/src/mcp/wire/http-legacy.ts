/**
 * The 2025-era Streamable HTTP wiring: a session's transport (made by an `initialize`, kept in the edge's
 * session table) or a transport for one request alone. Hand-connected servers speak only the 2025 versions,
 * which is what keeps sessions, and with them elicitation, for 2025 clients.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { type AuthInfo, isInitializeRequest } from '@modelcontextprotocol/server';

export type LegacyHttpTransport = NodeStreamableHTTPServerTransport;

/** The transport of session `id`; `onDeleted` runs when the client ends it with DELETE. */
export function sessionTransport(id: string, onDeleted: (id: string) => void): LegacyHttpTransport {
  return new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: () => id,
    onsessionclosed: (closed) => void onDeleted(closed),
  });
}

/** A transport that answers one request with one JSON body and keeps nothing. */
export function statelessTransport(): LegacyHttpTransport {
  return new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
}

export function isInitialize(body: unknown): boolean {
  return isInitializeRequest(body);
}

/**
 * Serves one HTTP request on `transport`. `caller` reaches every handler as the request's authInfo, so each
 * request runs as its own caller even within a session.
 */
export async function serveLegacy(
  transport: LegacyHttpTransport,
  caller: unknown,
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
): Promise<void> {
  const withCaller = Object.assign(request, { auth: caller as AuthInfo });
  await transport.handleRequest(withCaller, response, body);
}
