/**
 * What the HTTP edge asks of the layers around it, and what it accepts from them: a source of MCP servers (the
 * sidecar, or the sidecar narrowed to what an authenticated caller may use), and the authentication and
 * authorization hooks with the refusal they throw. Kept apart from the edge so that auth/ can implement them
 * without importing the edge itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../caller.ts';
import type { McpServer } from '../mcp/server.ts';
import type { ListenGrant } from '../mcp/subscriptions.ts';
import type { Era } from '../mcp/wire/era.ts';

/**
 * What a transport needs from a sidecar: a new MCP server for one caller, and the change feeds a 2026-07-28
 * listen holds. `Sidecar` satisfies it.
 */
export interface ServerSource {
  /**
   * A new MCP server for `era` (2025 when absent). `caller` is asked with each request's authInfo (the edge
   * passes the request's own caller there) and with undefined for the caller that created the server.
   */
  server(caller: (authInfo: unknown) => Caller, era?: Era): McpServer;
  /**
   * Whether a session's server, made for `creator`, still serves what `current` (the same identity, now) may
   * see; when not, the session ends and the client initializes again. Absent: always.
   */
  stillServes?(creator: Caller, current: Caller): boolean;
  /**
   * Holds a change feed for each of `uris` that `caller` may watch, calling `onUpdated` on each change, until
   * the grant is released; the grant lists only those URIs. Absent: nothing can be listened to.
   */
  listen?(caller: Caller, uris: readonly string[], onUpdated: (uri: string) => void): Promise<ListenGrant>;
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
