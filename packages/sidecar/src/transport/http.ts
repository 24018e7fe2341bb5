/**
 * MCP over Streamable HTTP. This module is the HTTP edge: it answers everything that is not a well-formed MCP
 * request itself, with the status the MCP specification asks for and a JSON-RPC error body:
 *
 *   Host not one of ours        → 403  (DNS-rebinding protection; checked before anything else)
 *   Origin present and foreign  → 403  (an absent Origin is a non-browser client and is fine)
 *   GET, PUT, …                 → 405  with `Allow: POST, DELETE` (no standalone SSE stream is offered)
 *   not application/json        → 415
 *   authenticate() refuses      → its status (the seam for authenticating remote callers)
 *   body above the limit        → 413
 *   body not JSON               → 400  (-32700 parse error)
 *   authorize() refuses         → its status (what this caller may do with this JSON-RPC message)
 *   unknown or expired session  → 404  (-32001; the client initializes again)
 *
 * Sessions (sessions.ts): an `initialize` POST starts one, so the server answering a later tools/call is the
 * one that saw the client's capabilities and can ask its user (elicitation travels on that POST's SSE stream,
 * and the user's answer comes back as a POST of the same session). Authentication, Host/Origin, body limits and
 * authorization stay per request; a session answers only the caller that created it (another caller presenting
 * its id gets 404), and each request runs as its own caller. DELETE ends a session. A request without a session
 * id that is not `initialize` is served statelessly: a fresh MCP server and SDK transport that live exactly as
 * long as that request, as for clients that never initialize.
 *
 * With authentication on, GET /.well-known/oauth-protected-resource/mcp serves the RFC 9728 metadata that a
 * 401's `WWW-Authenticate: Bearer resource_metadata="…"` points at.
 *
 * Closing drains: the listener stops accepting, requests in flight finish (bounded), sessions end, then
 * sockets close.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as NodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { CLAIMED_IDENTITY_HEADER, cleanClaimedIdentity } from '@podmcp/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { type ClaimBook, createClaimBook } from '../governance/claims.ts';
import { createRedactor } from '../safety/redact.ts';
import { createIdleWaiters } from './drain.ts';
import { MAX_SESSIONS, SESSION_EVICTABLE_MS, SESSION_IDLE_MS, SessionTable } from './sessions.ts';

/** What a transport needs from a sidecar: a new MCP server for one caller. `Sidecar` satisfies it. */
export interface ServerSource {
  /**
   * A new MCP server. `caller` is asked with each request's authInfo (the edge passes the request's own
   * caller there) and with undefined for the caller that created the server.
   */
  server(caller: (authInfo: unknown) => Caller): McpServer;
  /**
   * Whether a session's server, made for `creator`, still serves what `current` (the same identity, now) may
   * see; when not, the session ends and the client initializes again. Absent: always.
   */
  stillServes?(creator: Caller, current: Caller): boolean;
}

/**
 * Decides who is calling, before the body is read. Return the caller, or throw an HttpRefusal (401 with a
 * `WWW-Authenticate` header, 403, …) to answer the request without reaching MCP. The caller id keys the
 * per-caller rate limit and is written to every audit line.
 */
export type Authenticate = (request: IncomingMessage) => Caller | Promise<Caller>;

/**
 * Decides what an authenticated caller may do with the parsed JSON-RPC body (a message or a batch). Return the
 * caller (possibly with more it learned, which the ServerSource receives), or throw an HttpRefusal.
 */
export type Authorize = (caller: Caller, body: unknown, request: IncomingMessage) => Caller | Promise<Caller>;

/** An HTTP answer an authenticate() hook (or the edge itself) gives instead of serving the request. */
export class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

// A claim shaped like a credential (a token pasted as a user name) is shown as [REDACTED], never kept.
const claimRedactor = createRedactor();

/**
 * The identity a client claims for itself, unverified, reduced to a safe printable form; undefined when absent
 * or empty. Everything that arrives through a port-forward comes from the same loopback address, so without it
 * twenty agents would be one caller: one rate-limit bucket, one share of the call gate, one name in the audit.
 */
export function claimedIdentity(request: IncomingMessage): string | undefined {
  const raw = request.headers[CLAIMED_IDENTITY_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const cleaned = value === undefined ? undefined : cleanClaimedIdentity(value);
  return cleaned === undefined ? undefined : claimRedactor.text(cleaned);
}

/**
 * Today's default: no authentication. The caller is the identity the client claims, labelled as claimed
 * (`claimed:alice/3f9a…`, a few per peer address: see governance/claims.ts), else the peer address
 * (`http:127.0.0.1` for an agent arriving through `kubectl port-forward`, or the app in the same pod).
 * Authenticating remote callers belongs here.
 */
export function createPeerAddressCaller(claims: ClaimBook = createClaimBook()): Authenticate {
  return (request) => {
    const peer = request.socket.remoteAddress ?? 'unknown';
    const claimed = claimedIdentity(request);
    if (claimed !== undefined) return { id: claims.callerId(peer, claimed), transport: 'http', claimed };
    return { id: `http:${peer}`, transport: 'http' };
  };
}

export const MCP_PATH = '/mcp';
/** RFC 9728 section 3.1: the well-known prefix before the resource's path; the bare prefix for clients that try it. */
export const PROTECTED_RESOURCE_METADATA_PATHS = [
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-protected-resource',
] as const;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Long enough for a tool call to meet its own 20 s deadline and answer. */
export const DEFAULT_DRAIN_MS = 25_000;

/** Host names every listener accepts: the loopback names an agent uses through a port-forward. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

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
  readonly logger: Logger;
  /** Called when a POST /mcp ends, with how long it took; for request logs and tests. */
  readonly onRequestDone?: (info: { status: number; caller: string | undefined; durationMs: number }) => void;
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
  /**
   * Stops accepting connections, waits up to `drainMs` for requests in flight to finish, then closes every
   * socket. Resolves when the listener is closed; calling it again returns the same promise.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

export async function startHttpTransport(options: HttpTransportOptions): Promise<RunningHttpTransport> {
  const { logger } = options;
  const authenticate = options.authenticate ?? createPeerAddressCaller();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const allowedHosts = new Set<string>(LOOPBACK_HOSTS);
  for (const host of [...(options.allowedHosts ?? []), options.host]) {
    const name = normalizeHostName(host);
    if (name && !isWildcard(name)) allowedHosts.add(name);
  }

  let closing = false;
  let inFlight = 0;
  const idle = createIdleWaiters();
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) idle.wake();
  };

  const sessions = new SessionTable<Session>({
    max: options.maxSessions ?? MAX_SESSIONS,
    idleMs: options.sessionIdleMs ?? SESSION_IDLE_MS,
    evictAfterMs: options.sessionEvictableMs ?? SESSION_EVICTABLE_MS,
    onEnd: (id, session, reason) => {
      logger.info({ session: shortId(id), caller: session.creator.id, reason }, 'MCP session ended');
      void session.transport.close().catch(() => undefined);
      void session.server.close().catch(() => undefined);
    },
  });
  // Expired sessions end even when no request comes to notice them.
  const sweeper = setInterval(() => sessions.sweep(), Math.min(60_000, options.sessionIdleMs ?? SESSION_IDLE_MS));
  sweeper.unref();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  // Every request counts as in flight until its response closes, so close() can drain them.
  app.use((_request: Request, response: Response, next: NextFunction) => {
    inFlight += 1;
    response.once('close', settle);
    next();
  });

  // 1. Host, then Origin: the DNS-rebinding defences, before routing and before any body is read.
  app.use((request: Request, response: Response, next: NextFunction) => {
    const hostHeader = request.headers.host;
    const hostName = hostHeader === undefined ? undefined : normalizeHostName(hostHeader);
    if (!hostName || !allowedHosts.has(hostName)) {
      logger.warn({ host: hostHeader, peer: request.socket.remoteAddress }, 'refused a request for a foreign Host');
      return refuse(response, 403, `Invalid Host header: ${JSON.stringify(hostHeader ?? '')}`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, allowedHosts)) {
      logger.warn({ origin, peer: request.socket.remoteAddress }, 'refused a request from a foreign Origin');
      return refuse(response, 403, `Invalid Origin header: ${JSON.stringify(origin)}`);
    }
    if (closing) {
      // A keep-alive connection may still carry a request after close() began; send it elsewhere.
      response.setHeader('Connection', 'close');
      return refuse(response, 503, 'The sidecar is shutting down; retry.', { 'Retry-After': '1' });
    }
    next();
  });

  if (options.protectedResourceMetadata) {
    const metadata = options.protectedResourceMetadata;
    app.get([...PROTECTED_RESOURCE_METADATA_PATHS], (request: Request, response: Response) => {
      response.set('Cache-Control', 'max-age=300').json(metadata(request));
    });
  }

  // 2. POST carries JSON-RPC, DELETE ends a session. No standalone SSE stream (GET): every message the server
  // sends is related to a request and travels on that request's own response.
  app.all(MCP_PATH, (request: Request, response: Response, next: NextFunction) => {
    if (request.method === 'POST' || request.method === 'DELETE') return next();
    return refuse(response, 405, 'Method not allowed: send JSON-RPC with POST (DELETE ends a session).', {
      Allow: 'POST, DELETE',
    });
  });

  // 3. Content type, then who is calling; only then is the body read.
  const identify = async (request: Request, response: Response, next: NextFunction) => {
    try {
      const caller = await authenticate(request);
      // A verified caller keeps its own id; what the client claimed is only recorded next to it.
      const claimed = caller.claimed ?? claimedIdentity(request);
      response.locals.caller = claimed === undefined ? caller : { ...caller, claimed };
      next();
    } catch (error) {
      if (error instanceof HttpRefusal) return refuse(response, error.status, error.message, error.headers);
      logger.error({ err: error }, 'authenticate() failed');
      return refuse(response, 500, 'Internal error while authenticating the request.', {}, -32603);
    }
  };
  app.post(MCP_PATH, (request: Request, response: Response, next: NextFunction) => {
    if (isJsonContentType(request.headers['content-type'])) return next();
    return refuse(response, 415, 'Unsupported Media Type: Content-Type must be application/json.');
  });
  app.post(MCP_PATH, identify);
  app.delete(MCP_PATH, identify);

  app.post(MCP_PATH, express.json({ limit: maxBodyBytes, type: () => true, strict: false }));

  // 3b. What this caller may do with this message, now that it is read.
  const { authorize } = options;
  if (authorize) {
    app.post(MCP_PATH, async (request: Request, response: Response, next: NextFunction) => {
      try {
        response.locals.caller = await authorize(response.locals.caller as Caller, request.body, request);
        next();
      } catch (error) {
        if (error instanceof HttpRefusal) return refuse(response, error.status, error.message, error.headers);
        logger.error({ err: error }, 'authorize() failed');
        return refuse(response, 500, 'Internal error while authorizing the request.', {}, -32603);
      }
    });
  }

  /** The session `id` if `caller` owns it, busy until the response closes; else answered 404 here. */
  const sessionFor = (id: string, caller: Caller, response: Response): Session | undefined => {
    const lookup = sessions.use(id, ownerOf(caller));
    if (!lookup.found) {
      if (lookup.reason === 'foreign') {
        logger.warn({ caller: caller.id }, 'refused a session id presented by a caller that does not own it');
      }
      refuse(response, 404, 'Session not found: initialize again.', {}, -32001);
      return undefined;
    }
    response.once('close', lookup.release);
    return lookup.value;
  };

  const serve = async (
    transport: StreamableHTTPServerTransport,
    caller: Caller,
    request: Request,
    response: Response,
    body?: unknown,
  ) => {
    try {
      // The SDK hands `auth` to every handler as authInfo: each request runs as its own caller.
      (request as Request & { auth?: unknown }).auth = caller;
      await transport.handleRequest(request as Parameters<typeof transport.handleRequest>[0], response, body);
    } catch (error) {
      logger.error({ err: error, caller: caller.id }, 'MCP request failed');
      if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
    }
  };

  /** A new session for an `initialize`; false (serve it statelessly) when the table has no room. */
  const startSession = async (caller: Caller, request: Request, response: Response): Promise<boolean> => {
    const id = randomUUID();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessionclosed: (closed) => void sessions.remove(closed, 'deleted'),
    });
    const server = options.sidecar.server((authInfo) => (authInfo as Caller | undefined) ?? caller);
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
    await serve(transport, caller, request, response, request.body);
    return true;
  };

  // 4. Within a session: its server and transport. Without one: `initialize` starts a session; anything else
  // gets one MCP server and transport for this request alone, both closed when the response closes.
  app.post(MCP_PATH, async (request: Request, response: Response) => {
    const caller = response.locals.caller as Caller;
    const started = performance.now();
    response.once('close', () =>
      options.onRequestDone?.({
        status: response.statusCode,
        caller: caller.id,
        durationMs: performance.now() - started,
      }),
    );
    const sessionId = sessionHeader(request);
    if (sessionId !== undefined) {
      const session = sessionFor(sessionId, caller, response);
      if (session === undefined) return;
      if (options.sidecar.stillServes && !options.sidecar.stillServes(session.creator, caller)) {
        logger.info(
          { session: shortId(sessionId), caller: caller.id },
          'what the caller may use changed; ending its session',
        );
        sessions.remove(sessionId, 'closed');
        return refuse(response, 404, 'Session not found: what you may use changed; initialize again.', {}, -32001);
      }
      return serve(session.transport, caller, request, response, request.body);
    }
    try {
      if (isInitializeRequest(request.body) && (await startSession(caller, request, response))) return;
    } catch (error) {
      logger.error({ err: error, caller: caller.id }, 'MCP session failed to start');
      if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
      return;
    }
    const server = options.sidecar.server(() => caller);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.once('close', () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    try {
      await server.connect(transport);
    } catch (error) {
      logger.error({ err: error, caller: caller.id }, 'MCP request failed');
      if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
      return;
    }
    await serve(transport, caller, request, response, request.body);
  });

  // DELETE ends the caller's own session (the SDK answers it and calls onsessionclosed).
  app.delete(MCP_PATH, async (request: Request, response: Response) => {
    const caller = response.locals.caller as Caller;
    const sessionId = sessionHeader(request);
    if (sessionId === undefined) return refuse(response, 400, 'Bad Request: Mcp-Session-Id header is required.');
    const session = sessionFor(sessionId, caller, response);
    if (session === undefined) return;
    await serve(session.transport, caller, request, response);
  });

  app.use((_request: Request, response: Response) => {
    refuse(response, 404, `Not found: the MCP endpoint is POST ${MCP_PATH}.`);
  });

  // Body errors (size, syntax, encoding) from express.json, and anything else a handler passed on.
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      return refuse(response, 413, `Request body above the ${maxBodyBytes}-byte limit.`);
    }
    if (type === 'entity.parse.failed') return refuse(response, 400, 'Parse error: Invalid JSON.', {}, -32700);
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return refuse(response, 415, 'Unsupported Media Type: the body must be UTF-8 JSON.');
    }
    if (type === 'request.aborted') return;
    logger.error({ err: error }, 'HTTP edge failed');
    if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
  });

  const http = createServer(app);
  // Slow or idle clients must not hold a socket forever; a request itself is bounded by the tool deadline.
  http.headersTimeout = 10_000;
  http.requestTimeout = 60_000;
  http.keepAliveTimeout = 5_000;
  const port = await listen(http, options.port, options.host);
  const urlHost = isWildcard(options.host) ? '127.0.0.1' : formatHost(options.host);

  let closed: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url: `http://${urlHost}:${port}${MCP_PATH}`,
    inFlight: () => inFlight,
    sessions: () => sessions.size,
    close(closeOptions = {}) {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        if (inFlight > 0) {
          logger.info({ inFlight }, 'draining MCP requests in flight');
          await idle.wait(closeOptions.drainMs ?? DEFAULT_DRAIN_MS);
          if (inFlight > 0) logger.warn({ inFlight }, 'drain time is up; closing requests still in flight');
        }
        clearInterval(sweeper);
        sessions.clear();
        http.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

interface Session {
  readonly server: McpServer;
  readonly transport: StreamableHTTPServerTransport;
  /** The caller whose initialize started it; only the same identity may use it. */
  readonly creator: Caller;
}

/** What a session is bound to: the caller's id and the identity it claims (`podmcp connect` sends one). */
export function ownerOf(caller: Caller): string {
  return JSON.stringify([caller.id, caller.claimed ?? null]);
}

/** Enough of a session id to follow it through the logs, not enough to present it. */
function shortId(id: string): string {
  return id.slice(0, 8);
}

function sessionHeader(request: IncomingMessage): string | undefined {
  const value = request.headers['mcp-session-id'];
  const id = Array.isArray(value) ? value[0] : value;
  return id === undefined || id === '' ? undefined : id;
}

/** Answers with a JSON-RPC error object (id null: the request was not read or not valid). */
function refuse(
  response: Response,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  code = status === 400 ? -32700 : -32000,
): void {
  if (response.headersSent) return;
  response.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** A parsed media type, never a substring: `application/json; charset=utf-8` yes, `text/json-ish` no. */
function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The host part of a Host header or host name, lower-cased, IPv6 in brackets; undefined if unparsable. */
export function normalizeHostName(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  // A bare IPv6 address (the pod IP from the downward API) gets its brackets first.
  const withBrackets = trimmed.includes(':') && !trimmed.startsWith('[') && isIpv6(trimmed) ? `[${trimmed}]` : trimmed;
  try {
    const url = new URL(`http://${withBrackets}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function originAllowed(origin: string, allowedHosts: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && allowedHosts.has(url.hostname.toLowerCase());
}

function isIpv6(value: string): boolean {
  return /^[0-9a-f:.]+(%.+)?$/i.test(value) && value.split(':').length > 2;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listens on host (brackets around an IPv6 address are dropped) and resolves with the bound port. */
export function listen(server: NodeServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
