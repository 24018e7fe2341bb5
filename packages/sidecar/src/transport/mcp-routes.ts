/**
 * The MCP endpoint itself, once a request has passed the edge's checks. A 2026-07-28 request (its `_meta`
 * names a protocol version) goes to the SDK's modern entry: no session, whatever headers it carries. A 2025
 * one: POST within a session goes to that session's server and transport; an `initialize` without one starts a
 * session; anything else is served statelessly, by an MCP server and SDK transport that live exactly as long
 * as the request. GET opens the caller's own session's standalone SSE stream (one per session, the SDK refuses
 * a second with 409), where that session's change notifications travel. DELETE ends the caller's own session.
 * A session answers only the caller that created it, and each request runs as its own caller (the SDK hands it
 * to every handler as authInfo).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import {
  isInitialize,
  type LegacyHttpTransport,
  serveLegacy,
  sessionTransport,
  statelessTransport,
} from '../mcp/wire/http-legacy.ts';
import { isModernRequest, type ModernHttp } from '../mcp/wire/http-modern.ts';
import { refuse } from './refuse.ts';
import type { ServerSource } from './seams.ts';
import { ownerOf, type Session, shortId } from './session-store.ts';
import type { SessionTable } from './sessions.ts';
import type { SessionStreams } from './streams.ts';

export const MCP_PATH = '/mcp';
/** What the endpoint answers to: the `Allow` of its 405s. */
export const MCP_METHODS = 'GET, POST, DELETE';
export const GET_WITHOUT_SESSION =
  'Method not allowed: GET opens the stream of a session (send its Mcp-Session-Id); JSON-RPC is sent with POST.';

export interface McpRouteOptions {
  readonly sidecar: ServerSource;
  readonly sessions: SessionTable<Session>;
  readonly logger: Logger;
  /** Serves 2026-07-28 requests; absent while that era is off (everything is then served as 2025). */
  readonly modern?: ModernHttp | undefined;
  /** Where sessions' GET streams are kept while open (not in flight; closed first by a drain). */
  readonly streams?: SessionStreams | undefined;
  /** The body limit, which the era classification reads under too. */
  readonly maxBodyBytes: number;
  /** Called when a POST /mcp ends, with how long it took; for request logs and tests. */
  readonly onRequestDone?:
    | ((info: { status: number; caller: string | undefined; durationMs: number }) => void)
    | undefined;
}

/** POST /mcp: 2026-07-28; or 2025 within a session, to start one, or stateless. */
export function mcpPost(options: McpRouteOptions): RequestHandler {
  return async (request: Request, response: Response) => {
    const caller = response.locals.caller as Caller;
    const started = performance.now();
    response.once('close', () =>
      options.onRequestDone?.({
        status: response.statusCode,
        caller: caller.id,
        durationMs: performance.now() - started,
      }),
    );
    try {
      if (options.modern && (await isModernRequest(request, request.body, options.maxBodyBytes))) {
        return await serveModern(options, options.modern, caller, request, response);
      }
    } catch (error) {
      options.logger.error({ err: error, caller: caller.id }, 'MCP request failed');
      if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
      return;
    }
    const sessionId = sessionHeader(request);
    if (sessionId !== undefined) return serveInSession(options, sessionId, caller, request, response);
    try {
      if (isInitialize(request.body) && (await startSession(options, caller, request, response))) return;
    } catch (error) {
      options.logger.error({ err: error, caller: caller.id }, 'MCP session failed to start');
      if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
      return;
    }
    await serveStateless(options, caller, request, response);
  };
}

/**
 * GET /mcp with a session id (the edge answers 405 without one): the standalone SSE stream of the caller's own
 * session. The session is busy while its stream is open, so a client that only listens is neither expired as
 * idle nor evicted; the stream ends with the session.
 */
export function mcpGet(options: McpRouteOptions): RequestHandler {
  return async (request: Request, response: Response) => {
    const caller = response.locals.caller as Caller;
    const sessionId = sessionHeader(request);
    if (sessionId === undefined) return refuse(response, 405, GET_WITHOUT_SESSION, { Allow: MCP_METHODS });
    const session = ownSession(options, sessionId, caller, response, 'stream');
    if (session === undefined) return;
    options.streams?.opened(session.transport, response);
    await serve(options.logger, session.transport, caller, request, response);
  };
}

/** DELETE /mcp ends the caller's own session (the SDK answers it and calls onsessionclosed). */
export function mcpDelete(options: McpRouteOptions): RequestHandler {
  return async (request: Request, response: Response) => {
    const caller = response.locals.caller as Caller;
    const sessionId = sessionHeader(request);
    if (sessionId === undefined) return refuse(response, 400, 'Bad Request: Mcp-Session-Id header is required.');
    const session = sessionFor(options, sessionId, caller, response);
    if (session === undefined) return;
    await serve(options.logger, session.transport, caller, request, response);
  };
}

/** A 2026-07-28 request: a listen is granted only the URIs this caller may watch, before it is acknowledged. */
async function serveModern(
  options: McpRouteOptions,
  modern: ModernHttp,
  caller: Caller,
  request: Request,
  response: Response,
): Promise<void> {
  const { sidecar } = options;
  const listen = sidecar.listen?.bind(sidecar);
  await modern.serve(
    request,
    response,
    request.body,
    caller,
    listen ? (uris, updated) => listen(caller, uris, updated) : undefined,
  );
}

async function serveInSession(
  options: McpRouteOptions,
  sessionId: string,
  caller: Caller,
  request: Request,
  response: Response,
): Promise<void> {
  const session = ownSession(options, sessionId, caller, response);
  if (session === undefined) return;
  return serve(options.logger, session.transport, caller, request, response, request.body);
}

/**
 * The session `id` if `caller` owns it and it still serves what the caller may use; else answered 404 here (a
 * session whose caller's permissions changed ends, and the client initializes again).
 */
function ownSession(
  options: McpRouteOptions,
  id: string,
  caller: Caller,
  response: Response,
  how: 'request' | 'stream' = 'request',
): Session | undefined {
  const session = sessionFor(options, id, caller, response, how);
  if (session === undefined) return undefined;
  if (options.sidecar.stillServes && !options.sidecar.stillServes(session.creator, caller)) {
    options.logger.info(
      { session: shortId(id), caller: caller.id },
      'what the caller may use changed; ending its session',
    );
    options.sessions.remove(id, 'closed');
    refuse(response, 404, 'Session not found: what you may use changed; initialize again.', {}, -32001);
    return undefined;
  }
  return session;
}

/** A new session for an `initialize`; false (serve it statelessly) when the table has no room. */
async function startSession(
  options: McpRouteOptions,
  caller: Caller,
  request: Request,
  response: Response,
): Promise<boolean> {
  const { sessions, logger } = options;
  const id = randomUUID();
  const transport = sessionTransport(id, (closed) => void sessions.remove(closed, 'deleted'));
  const server = options.sidecar.server((authInfo) => (authInfo as Caller | undefined) ?? caller, 'legacy');
  const slot = sessions.add(id, ownerOf(caller), { server, transport, creator: caller });
  if (slot === undefined) {
    logger.warn({ caller: caller.id }, 'every MCP session is in use; this client is served without a session');
    void server.close().catch(() => undefined);
    return false;
  }
  transport.onclose = () => void sessions.remove(id, 'closed');
  response.once('close', () => {
    slot.release();
    // An initialize the SDK refused leaves no session behind.
    if (transport.sessionId !== id) sessions.remove(id, 'closed');
  });
  logger.info({ session: shortId(id), caller: caller.id }, 'MCP session started');
  await server.connect(transport);
  await serve(logger, transport, caller, request, response, request.body);
  return true;
}

/** One MCP server and transport for this request alone, both closed when the response closes. */
async function serveStateless(
  options: McpRouteOptions,
  caller: Caller,
  request: Request,
  response: Response,
): Promise<void> {
  const server = options.sidecar.server(() => caller, 'legacy');
  const transport = statelessTransport();
  response.once('close', () => {
    void transport.close().catch(() => undefined);
    void server.close().catch(() => undefined);
  });
  try {
    await server.connect(transport);
  } catch (error) {
    options.logger.error({ err: error, caller: caller.id }, 'MCP request failed');
    if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
    return;
  }
  await serve(options.logger, transport, caller, request, response, request.body);
}

/** The session `id` if `caller` owns it, busy until the response closes; else answered 404 here. */
function sessionFor(
  options: McpRouteOptions,
  id: string,
  caller: Caller,
  response: Response,
  how: 'request' | 'stream' = 'request',
): Session | undefined {
  const lookup = options.sessions.use(id, ownerOf(caller), how);
  if (!lookup.found) {
    if (lookup.reason === 'foreign') {
      options.logger.warn({ caller: caller.id }, 'refused a session id presented by a caller that does not own it');
    }
    refuse(response, 404, 'Session not found: initialize again.', {}, -32001);
    return undefined;
  }
  response.once('close', lookup.release);
  return lookup.value;
}

async function serve(
  logger: Logger,
  transport: LegacyHttpTransport,
  caller: Caller,
  request: Request,
  response: Response,
  body?: unknown,
): Promise<void> {
  try {
    await serveLegacy(transport, caller, request, response, body);
  } catch (error) {
    logger.error({ err: error, caller: caller.id }, 'MCP request failed');
    if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
  }
}

export function sessionHeader(request: IncomingMessage): string | undefined {
  const value = request.headers['mcp-session-id'];
  const id = Array.isArray(value) ? value[0] : value;
  return id === undefined || id === '' ? undefined : id;
}
