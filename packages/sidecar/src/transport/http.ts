/**
 * MCP over Streamable HTTP. This module starts the HTTP edge, which answers everything that is not a
 * well-formed MCP request itself, with the status the MCP specification asks for and a JSON-RPC error body
 * (in this order, see app.ts):
 *
 *   Host not one of ours        → 403  (DNS-rebinding protection; checked before anything else; hosts.ts)
 *   Origin present and foreign  → 403  (an absent Origin is a non-browser client and is fine)
 *   GET without a session id    → 405  with `Allow: GET, POST, DELETE` (only a session has a GET stream)
 *   PUT, PATCH, …               → 405  with the same `Allow`
 *   not application/json        → 415  (body.ts)
 *   authenticate() refuses      → its status (the seam for authenticating remote callers; identity.ts)
 *   body above the limit        → 413
 *   body not JSON               → 400  (-32700 parse error)
 *   authorize() refuses         → its status (what this caller may do with this JSON-RPC message)
 *   unknown or expired session  → 404  (-32001; the client initializes again; mcp-routes.ts; POST, GET, DELETE)
 *   a session's second GET      → 409  (the SDK keeps one standalone stream per session)
 *   a listen beyond its bounds  → 503 (sidecar full) / 429 (caller's share), Retry-After (mcp/wire/http-modern.ts)
 *
 * Eras: a request whose `_meta` names a protocol version is 2026-07-28 (the SDK's classification, after every
 * check above): it goes to the SDK's serving entry (mcp/wire/http-modern.ts), which checks the version and the
 * MCP headers against the body and keeps no session. Everything else is 2025, below.
 *
 * Sessions (session-store.ts, sessions.ts): an `initialize` POST starts one, so the server answering a later
 * tools/call is the one that saw the client's capabilities and can ask its user (elicitation travels on that
 * POST's SSE stream, and the user's answer comes back as a POST of the same session). Authentication,
 * Host/Origin, body limits and authorization stay per request; a session answers only the caller that created
 * it (another caller presenting its id gets 404), and each request runs as its own caller. DELETE ends a
 * session. A request without a session id that is not `initialize` is served statelessly: a fresh MCP server
 * and SDK transport that live exactly as long as that request, as for clients that never initialize.
 * GET with a session id opens that session's standalone SSE stream (streams.ts), where what its server sends
 * outside any request travels: notifications/resources/updated for its resources/subscribe. A session with an
 * open stream is busy, so it is not expired as idle; the stream ends with the session.
 *
 * With authentication on, GET /.well-known/oauth-protected-resource/mcp serves the RFC 9728 metadata that a
 * 401's `WWW-Authenticate: Bearer resource_metadata="…"` points at (protected-resource.ts).
 *
 * Closing drains: the listener stops accepting, open 2026-07-28 listens and sessions' GET streams end (neither
 * would finish by itself; a GET stream is not counted in flight), requests in flight finish (bounded), sessions
 * end, then sockets close.
 */
import { createServer, type IncomingMessage, type Server as NodeServer, type RequestListener } from 'node:http';
import { listen } from '@podmcp/core';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { MODERN_ERA_ENABLED } from '../mcp/wire/era.ts';
import { createModernHttp, type ModernHttp } from '../mcp/wire/http-modern.ts';
import { createEdgeApp } from './app.ts';
import { DEFAULT_MAX_BODY_BYTES } from './body.ts';
import { allowedHostNames, urlHost } from './hosts.ts';
import { createPeerAddressCaller } from './identity.ts';
import { createInFlight, type InFlight } from './in-flight.ts';
import { MCP_PATH } from './mcp-routes.ts';
import type { Authenticate, Authorize, ServerSource } from './seams.ts';
import { createSessionStore, type SessionStore } from './session-store.ts';
import { MAX_SESSIONS } from './sessions.ts';
import { createSessionStreams, type SessionStreams } from './streams.ts';

// The transport's public face (the package index takes these from here).
export { LOOPBACK_HOSTS } from './hosts.ts';
export { createPeerAddressCaller } from './identity.ts';
export { MCP_PATH } from './mcp-routes.ts';
export { type Authenticate, type Authorize, HttpRefusal, type ServerSource } from './seams.ts';

/** Long enough for a tool call to meet its own 20 s deadline and answer. */
export const DEFAULT_DRAIN_MS = 25_000;

export interface HttpTransportOptions {
  readonly sidecar: ServerSource;
  readonly host: string;
  /** 0 asks the system for a free port. */
  readonly port: number;
  /**
   * Host names (and IPs) accepted in the Host header and as the host of an Origin, besides the loopback
   * names; the bind address is added when it is a specific one. When exposed: the pod IP, a Service name.
   */
  readonly allowedHosts?: readonly string[];
  readonly authenticate?: Authenticate;
  readonly authorize?: Authorize;
  /** RFC 9728 protected-resource metadata, served at PROTECTED_RESOURCE_METADATA_PATHS when given. */
  readonly protectedResourceMetadata?: (request: IncomingMessage) => object;
  readonly maxBodyBytes?: number;
  /** Bounds of the session table; MAX_SESSIONS, SESSION_IDLE_MS and SESSION_EVICTABLE_MS unless given (tests). */
  readonly maxSessions?: number;
  readonly sessionIdleMs?: number;
  readonly sessionEvictableMs?: number;
  /** Open 2026-07-28 listens at most (a share of them per caller); as many as sessions, MAX_SESSIONS, unless given. */
  readonly maxListens?: number;
  readonly logger: Logger;
  /** Called when a POST /mcp ends, with how long it took; for request logs and tests. */
  readonly onRequestDone?: (info: { status: number; caller: string | undefined; durationMs: number }) => void;
  /** Serve 2026-07-28 requests too; MODERN_ERA_ENABLED unless given (tests). */
  readonly modernEra?: boolean;
}

export interface RunningHttpTransport {
  readonly host: string;
  readonly port: number;
  /** The MCP endpoint, with a loopback address when bound to every interface. */
  readonly url: string;
  /** HTTP requests being answered right now. */
  inFlight(): number;
  /** MCP sessions open right now. */
  sessions(): number;
  /** Sessions' GET streams open right now (not counted in inFlight). */
  streams(): number;
  /**
   * Stops accepting connections, waits up to `drainMs` for requests in flight to finish, then closes every
   * socket. Resolves when the listener is closed; calling it again returns the same promise.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

export async function startHttpTransport(options: HttpTransportOptions): Promise<RunningHttpTransport> {
  const { logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const inFlight = createInFlight();
  const streams = createSessionStreams(inFlight);
  const sessions = createSessionStore({
    maxSessions: options.maxSessions,
    sessionIdleMs: options.sessionIdleMs,
    sessionEvictableMs: options.sessionEvictableMs,
    logger,
  });
  const modern =
    (options.modernEra ?? MODERN_ERA_ENABLED)
      ? modernFor(options.sidecar, maxBodyBytes, options.maxListens ?? MAX_SESSIONS, logger)
      : undefined;
  const app = createEdgeApp({
    allowedHosts: allowedHostNames(options.allowedHosts ?? [], options.host),
    inFlight,
    authenticate: options.authenticate ?? createPeerAddressCaller(),
    authorize: options.authorize,
    protectedResourceMetadata: options.protectedResourceMetadata,
    maxBodyBytes,
    routes: {
      sidecar: options.sidecar,
      sessions: sessions.table,
      streams,
      logger,
      modern,
      maxBodyBytes,
      onRequestDone: options.onRequestDone,
    },
  });
  const http = createListener(app);
  const port = await listen(http, options.port, options.host);

  let closed: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url: `http://${urlHost(options.host)}:${port}${MCP_PATH}`,
    inFlight: () => inFlight.count(),
    sessions: () => sessions.table.size,
    streams: () => streams.count(),
    close(closeOptions = {}) {
      closed ??= drainAndClose(
        http,
        { inFlight, sessions, streams, modern },
        logger,
        closeOptions.drainMs ?? DEFAULT_DRAIN_MS,
      );
      return closed;
    },
  };
}

/**
 * The 2026-07-28 entry: one server per request, made for the caller the edge authenticated (the request's
 * authInfo), from the same source as the 2025 servers.
 */
function modernFor(sidecar: ServerSource, maxBodyBytes: number, maxListens: number, logger: Logger): ModernHttp {
  return createModernHttp({
    factory: (era, authInfo) => sidecar.server((info) => (info as Caller | undefined) ?? (authInfo as Caller), era),
    maxBodyBytes,
    // A listen costs what a session does (a server, a stream, watches): the same bound; shares by caller id.
    listens: { max: maxListens },
    ownerOf: (caller) => (caller as Caller).id,
    onerror: (error) => logger.debug({ err: error.message }, 'MCP request refused or failed'),
  });
}

/** An HTTP server for `app` whose slow or idle clients cannot hold a socket forever. */
function createListener(app: RequestListener): NodeServer {
  const http = createServer(app);
  // A request itself is bounded by the tool deadline.
  http.headersTimeout = 10_000;
  http.requestTimeout = 60_000;
  http.keepAliveTimeout = 5_000;
  return http;
}

interface Served {
  readonly inFlight: InFlight;
  readonly sessions: SessionStore;
  readonly streams: SessionStreams;
  readonly modern: ModernHttp | undefined;
}

/**
 * Stops accepting, ends open listens and GET streams (they would never finish by themselves), lets requests in
 * flight finish (up to `drainMs`), ends the sessions, then closes sockets.
 */
async function drainAndClose(
  http: NodeServer,
  { inFlight, sessions, streams, modern }: Served,
  logger: Logger,
  drainMs: number,
): Promise<void> {
  inFlight.closing();
  const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  streams.closeAll();
  await modern?.closeListens();
  if (inFlight.count() > 0) {
    logger.info({ inFlight: inFlight.count() }, 'draining MCP requests in flight');
    await inFlight.idle(drainMs);
    if (inFlight.count() > 0) {
      logger.warn({ inFlight: inFlight.count() }, 'drain time is up; closing requests still in flight');
    }
  }
  await modern?.close();
  sessions.close();
  http.closeAllConnections();
  await stopped;
}
