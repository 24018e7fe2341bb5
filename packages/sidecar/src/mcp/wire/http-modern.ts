/**
 * The 2026-07-28 Streamable HTTP wiring: the SDK's serving entry in strict mode (2025 traffic never reaches
 * it: the edge routes that to http-legacy.ts), one per HTTP server, plus one per open `subscriptions/listen` so
 * that a change reaches exactly the streams that were granted its URI. No session: every request carries its
 * protocol version and client capabilities, and the SDK checks them and the MCP headers against the body.
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
import { type HeldListen, isListenRequest, type ListenOpener, listenedUris, narrowListen } from './listen.ts';

/** A new server for one modern request, as `authInfo` (the caller the edge authenticated). */
export type ServerFactory = (era: Era, authInfo: unknown) => Server | Promise<Server>;

export interface ModernHttpOptions {
  readonly factory: ServerFactory;
  readonly maxBodyBytes: number;
  readonly onerror: (error: Error) => void;
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
  let closing = false;

  const serveListen = async (
    request: IncomingMessage & { auth?: AuthInfo },
    response: ServerResponse,
    body: Parameters<typeof narrowListen>[0],
    openListen: ListenOpener | undefined,
  ) => {
    // A handler of its own: its bus carries this stream's changes only.
    const handler = entry();
    listening.add(handler);
    let held: HeldListen | undefined;
    let ended = false;
    response.once('close', () => {
      ended = true;
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
      if (isListenRequest(body)) return serveListen(withCaller, response, body, openListen);
      return serveMain(withCaller, response, body);
    },
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
