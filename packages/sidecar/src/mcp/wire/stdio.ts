/**
 * MCP over stdio for both eras: with the 2026-07-28 era on, the SDK's stdio entry pins the connection to the
 * era of its opening message (never exiting on an odd first one) on podmcp's draining transport; with it off, a
 * 2025 server is connected by hand. A 2026-07-28 `subscriptions/listen` is narrowed to the URIs the caller was
 * granted before the SDK acknowledges it, and holds that grant until the listen ends. A grant may wait on the API
 * server (its watches start first), so a listen waits for it on its own: later messages go on at once, and only
 * those about that listen (its cancellation) wait for it.
 */
import type { Readable, Writable } from 'node:stream';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
  type Server,
  type Transport,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Era } from './era.ts';
import {
  claimsModernEra,
  type HeldListen,
  isListenRequest,
  type ListenOpener,
  listenedUris,
  narrowListen,
} from './listen.ts';
import { DrainingStdioTransport } from './stdio-wire.ts';

export interface StdioServingOptions {
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Time requests in flight get to be answered once stdin ends. */
  readonly drainMs: number;
  /** Serve 2026-07-28 openings too (MODERN_ERA_ENABLED, or a test). */
  readonly modern: boolean;
  readonly server: (era: Era) => Server | Promise<Server>;
  readonly openListen?: ListenOpener | undefined;
  readonly onerror: (error: Error) => void;
  readonly onEnding?: (why: 'stdin ended' | 'stdout broke', inFlight: number) => void;
}

export interface StdioServing {
  /** Resolves once the connection is over: stdin ended and its requests were answered, stdout broke, or close(). */
  readonly closed: Promise<void>;
  /** Requests received and not yet answered (open listens left out). */
  inFlight(): number;
  /** Stops reading, answers the requests in flight (up to `drainMs`), ends open listens, then closes. */
  close(drainMs: number): Promise<void>;
}

export async function serveStdioStreams(options: StdioServingOptions): Promise<StdioServing> {
  // Without a source of feeds nothing can be watched: a listen is still narrowed, to nothing.
  const listens = options.modern ? createListens(options.openListen ?? grantNothing) : undefined;
  const wire = new DrainingStdioTransport({
    stdin: options.stdin,
    stdout: options.stdout,
    drainMs: options.drainMs,
    longLived: (message) => options.modern && isListenRequest(message) && claimsModernEra(message),
    ...(options.onEnding ? { onEnding: options.onEnding } : {}),
  });
  let ended: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const connection = relay(wire, listens, options.onerror, () => ended());

  let end: () => Promise<void>;
  if (options.modern) {
    const handle = serveStdio(
      async (context) => {
        const server = await options.server(context.era);
        if (context.era === 'modern' && listens) listens.instance = server;
        return server;
      },
      { transport: connection, onerror: options.onerror },
    );
    end = () => handle.close();
  } else {
    const server = await options.server('legacy');
    server.onerror = options.onerror;
    await server.connect(connection);
    end = () => server.close();
  }
  let closing: Promise<void> | undefined;
  return {
    closed,
    inFlight: () => wire.inFlight(),
    close(drainMs) {
      closing ??= (async () => {
        await wire.quiesce(drainMs);
        await end().catch((error: unknown) => options.onerror(error as Error));
        await wire.close();
      })();
      return closing;
    },
  };
}

const grantNothing: ListenOpener = async () => ({ uris: [], release: () => undefined });

interface Listens {
  /** The connection's 2026-07-28 server, whose resource notifications the SDK routes onto open listens. */
  instance: Server | undefined;
  /** The connection is over: a grant that arrives now is given back at once. */
  readonly closed: boolean;
  open(message: JSONRPCMessage & { id: RequestId }): Promise<JSONRPCMessage>;
  release(id: RequestId): void;
  releaseAll(): void;
}

function createListens(openListen: ListenOpener): Listens {
  const held = new Map<RequestId, HeldListen>();
  const due = new Set<string>();
  let closed = false;
  const listens: Listens = {
    instance: undefined,
    get closed() {
      return closed;
    },
    async open(message) {
      if (!isListenRequest(message)) return message;
      const uris = listenedUris(message);
      if (uris === undefined) return message;
      const updated = (uri: string) => {
        // Two listens holding one URI hear each change twice; the SDK sends one notification to each of them.
        if (due.size === 0) queueMicrotask(flush);
        due.add(uri);
      };
      // A listen that cannot be granted is acknowledged with nothing in it, never left unanswered.
      const grant = await openListen(uris, updated).catch((): HeldListen => ({ uris: [], release: () => undefined }));
      if (closed) {
        grant.release();
        return message;
      }
      held.get(message.id)?.release();
      if (grant.uris.length > 0) held.set(message.id, grant);
      else grant.release();
      return narrowListen(message, grant.uris) as JSONRPCMessage;
    },
    release(id) {
      held.get(id)?.release();
      held.delete(id);
    },
    releaseAll() {
      closed = true;
      for (const grant of held.values()) grant.release();
      held.clear();
    },
  };
  const flush = () => {
    const uris = [...due];
    due.clear();
    for (const uri of uris) void listens.instance?.sendResourceUpdated({ uri }).catch(() => undefined);
  };
  return listens;
}

/**
 * The transport the SDK is handed: the wire's messages in order, except that a modern listen is narrowed on the
 * way in once its grant is there, without holding up the messages after it (those about it wait for it), and
 * its grant released when the listen is answered (ended), cancelled, or the connection closes.
 */
function relay(
  wire: DrainingStdioTransport,
  listens: Listens | undefined,
  onerror: (error: Error) => void,
  onClosed: () => void,
): Transport {
  /** Listens waiting for their grants, by request id. */
  const opening = new Map<RequestId, Promise<void>>();
  const connection: Transport = {
    start: () => wire.start(),
    close: () => wire.close(),
    send(message) {
      if (listens && (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message))) {
        if (message.id !== undefined) listens.release(message.id);
      }
      return wire.send(message);
    },
  };
  const deliver = (message: JSONRPCMessage) => {
    try {
      const cancelled = listens ? cancelledId(message) : undefined;
      if (cancelled !== undefined) listens?.release(cancelled);
      connection.onmessage?.(message);
    } catch (error) {
      onerror(error as Error);
    }
  };
  wire.onmessage = (message) => {
    if (listens && isListenRequest(message) && claimsModernEra(message)) {
      const { id } = message;
      const opened: Promise<void> = listens
        .open(message)
        .then((narrowed) => {
          if (!listens.closed) deliver(narrowed);
        })
        .catch((error: unknown) => onerror(error as Error))
        .finally(() => {
          if (opening.get(id) === opened) opening.delete(id);
        });
      opening.set(id, opened);
      return;
    }
    const about = cancelledId(message);
    const before = about === undefined ? undefined : opening.get(about);
    if (before === undefined) deliver(message);
    else void before.then(() => deliver(message));
  };
  wire.onerror = (error) => connection.onerror?.(error);
  wire.onclose = () => {
    listens?.releaseAll();
    connection.onclose?.();
    onClosed();
  };
  return connection;
}

/** The request a `notifications/cancelled` is about. */
function cancelledId(message: JSONRPCMessage): RequestId | undefined {
  if (!isJSONRPCNotification(message) || message.method !== 'notifications/cancelled') return undefined;
  return (message.params as { requestId?: RequestId } | undefined)?.requestId;
}
