/**
 * The 2026-07-28 Streamable HTTP wiring: the SDK's serving entry in strict mode (2025 traffic never reaches
 * it: the edge routes that to http-legacy.ts), one per HTTP server, plus one per open `subscriptions/listen` so
 * that a change reaches exactly the streams that were granted its URI. No session: every request carries its
 * protocol version and client capabilities, and the SDK checks them and the MCP headers against the body.
 *
 * A listen holds a handler, a stream and its watches until its client goes, so open listens are bounded here,
 * before the SDK sees them (each handler's own listen limit never applies: it serves one listen): at most
 * `listens.max`, and a share of them per caller. Beyond either the listen is refused with a JSON-RPC error (503
 * when the sidecar is full, 429 when the caller holds its share), with Retry-After; its place is given back
 * whenever its stream closes (the client went, a drain ended it, or it failed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type McpHttpHandler,
  type Server,
} from '@modelcontextprotocol/server';
import type { Era } from './era.ts';
import {
  createListenPlaces,
  type HeldListen,
  isListenRequest,
  LISTEN_RETRY_SECONDS,
  type ListenBounds,
  type ListenOpener,
  listenedUris,
  listenRefusal,
  narrowListen,
} from './listen.ts';

/** A new server for one modern request, as `authInfo` (the caller the edge authenticated). */
export type ServerFactory = (era: Era, authInfo: unknown) => Server | Promise<Server>;

export interface ModernHttpOptions {
  readonly factory: ServerFactory;
  readonly maxBodyBytes: number;
  readonly onerror: (error: Error) => void;
  /** How many listens may be open at once, overall and per caller. */
  readonly listens: ListenBounds;
  /** Which caller a request's caller is, for its share of the listens. */
  readonly ownerOf: (caller: unknown) => string;
}

export interface ModernHttp {
  /** Serves a request the edge has checked, as `caller`; a listen is narrowed by `openListen` first. */
  serve(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    caller: unknown,
    openListen?: ListenOpener,
  ): Promise<void>;
  /** Listens open right now. */
  openListens(): number;
  /** Ends every listen stream with the graceful empty result, so a drain is not held by them. */
  closeListens(): Promise<void>;
  /** Ends everything still served (after the drain). */
  close(): Promise<void>;
}

/** Whether a request the edge has read is 2026-07-28 traffic (the SDK's own classification). */
export async function isModernRequest(request: IncomingMessage, body: unknown, maxBodyBytes: number): Promise<boolean> {
  const probe = await toWebRequest(request, body, { maxRequestBodySize: maxBodyBytes });
  return !(await isLegacyRequest(probe, body, { maxRequestBodySize: maxBodyBytes }));
}

export function createModernHttp(options: ModernHttpOptions): ModernHttp {
  const entry = (): McpHttpHandler =>
    createMcpHandler((context) => options.factory(context.era, context.authInfo), {
      legacy: 'reject',
      maxRequestBodySize: options.maxBodyBytes,
      onerror: options.onerror,
    });
  const adapt = (handler: McpHttpHandler) =>
    toNodeHandler(handler, { onerror: options.onerror, maxRequestBodySize: options.maxBodyBytes });
  const main = entry();
  const serveMain = adapt(main);
  const listening = new Set<McpHttpHandler>();
  const places = createListenPlaces(options.listens);
  let closing = false;

  const serveListen = async (
    request: IncomingMessage & { auth?: AuthInfo },
    response: ServerResponse,
    body: Parameters<typeof narrowListen>[0],
    owner: string,
    openListen: ListenOpener | undefined,
  ) => {
    // A client already gone takes no place (its stream would never close again to give it back).
    if (response.closed || response.destroyed) return;
    const place = places.take(owner);
    if (!place.taken) {
      const status = place.reason === 'caller' ? 429 : 503;
      return refuseListen(response, status, body.id, listenRefusal(place));
    }
    // A handler of its own: its bus carries this stream's changes only.
    const handler = entry();
    listening.add(handler);
    let held: HeldListen | undefined;
    let ended = false;
    response.once('close', () => {
      ended = true;
      place.release();
      listening.delete(handler);
      held?.release();
      void handler.close().catch(() => undefined);
    });
    if (closing) void handler.close().catch(() => undefined);
    let served: unknown = body;
    const uris = listenedUris(body);
    if (uris !== undefined && openListen !== undefined) {
      // A listen that cannot be granted is acknowledged with nothing in it, never left unanswered.
      const grant = await openListen(uris, (uri) => handler.notify.resourceUpdated(uri)).catch(
        (): HeldListen => ({ uris: [], release: () => undefined }),
      );
      if (ended) return grant.release();
      held = grant;
      served = narrowListen(body, grant.uris);
    } else if (uris !== undefined) {
      served = narrowListen(body, []);
    }
    await adapt(handler)(request, response, served);
  };

  return {
    async serve(request, response, body, caller, openListen) {
      const withCaller = Object.assign(request, { auth: caller as AuthInfo });
      if (isListenRequest(body)) {
        return serveListen(withCaller, response, body, options.ownerOf(caller), openListen);
      }
      return serveMain(withCaller, response, body);
    },
    openListens: () => places.open(),
    async closeListens() {
      closing = true;
      await Promise.all([...listening].map((handler) => handler.close().catch(() => undefined)));
    },
    async close() {
      closing = true;
      await Promise.all([main, ...listening].map((handler) => handler.close().catch(() => undefined)));
    },
  };
}

/** A listen refused before the SDK saw it: a JSON-RPC error naming the bound, and when to try again. */
function refuseListen(response: ServerResponse, status: number, id: string | number, message: string): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json', 'retry-after': String(LISTEN_RETRY_SECONDS) });
  response.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message } }));
}
