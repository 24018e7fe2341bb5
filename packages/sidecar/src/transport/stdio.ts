/**
 * MCP over stdio: one server for the whole connection, newline-delimited JSON-RPC on stdin and stdout. The
 * process belongs to one local client, so the caller is always `stdio`. Stdout carries the protocol and
 * nothing else — logs go to stderr. When stdin ends (the client closed it or went away), requests still in
 * flight are answered (bounded), then the server closes.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { createIdleWaiters } from './drain.ts';
import type { ServerSource } from './seams.ts';

export const STDIO_CALLER: Caller = { id: 'stdio', transport: 'stdio' };

/** Time a request already received may take to be answered after stdin ends or close() is called. */
export const DEFAULT_STDIO_DRAIN_MS = 25_000;

export interface StdioTransportOptions {
  readonly sidecar: ServerSource;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly logger: Logger;
  readonly drainMs?: number;
}

export interface RunningStdioTransport {
  /** Resolves once the connection is over: stdin ended, stdout broke, or close() finished. */
  readonly closed: Promise<void>;
  /** Requests received and not yet answered. */
  inFlight(): number;
  close(options?: { drainMs?: number }): Promise<void>;
}

export async function startStdioTransport(options: StdioTransportOptions): Promise<RunningStdioTransport> {
  const { stdin, stdout, logger } = options;
  const pending = new Set<RequestId>();
  const idle = createIdleWaiters();
  const inner = new StdioServerTransport(stdin, stdout);
  const transport = trackRequests(inner, pending, () => {
    if (pending.size === 0) idle.wake();
  });
  const server = options.sidecar.server(() => STDIO_CALLER);
  server.onerror = (error) => logger.debug({ err: error.message }, 'stdio protocol error');

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (closeOptions: { drainMs?: number } = {}) => {
    closing ??= (async () => {
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      stdout.off('error', onBrokenStdout);
      if (pending.size > 0) {
        logger.info({ inFlight: pending.size }, 'answering requests in flight before closing stdio');
        await idle.wait(closeOptions.drainMs ?? options.drainMs ?? DEFAULT_STDIO_DRAIN_MS);
      }
      await server.close();
      resolveClosed();
    })();
    return closing;
  };
  const onEnd = () => {
    logger.info('stdin closed; stopping');
    void close();
  };
  const onBrokenStdout = (error: Error) => {
    // The client is gone: nobody can read an answer, so there is nothing to drain.
    logger.warn({ err: error.message }, 'stdout is broken; stopping');
    pending.clear();
    void close({ drainMs: 0 });
  };
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  stdout.on('error', onBrokenStdout);
  await server.connect(transport);

  return { closed, inFlight: () => pending.size, close };
}

/**
 * Wraps a transport so that the requests it delivers are known until their response is sent (or the client
 * cancels them): what "in flight" means for a drain.
 */
function trackRequests(inner: Transport, pending: Set<RequestId>, onSettled: () => void): Transport {
  const settle = (id: RequestId) => {
    if (pending.delete(id)) onSettled();
  };
  const outer: Transport = {
    start: () => inner.start(),
    close: () => inner.close(),
    async send(message, sendOptions) {
      await inner.send(message, sendOptions);
      if (isResponse(message)) settle(message.id);
    },
  };
  inner.onmessage = (message, extra) => {
    if ('method' in message && 'id' in message) pending.add(message.id);
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) settle(id);
    }
    outer.onmessage?.(message, extra);
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (error) => outer.onerror?.(error);
  return outer;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !('method' in message) && 'id' in message && message.id !== undefined && message.id !== null;
}
