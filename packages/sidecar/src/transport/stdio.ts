/**
 * MCP over stdio: newline-delimited JSON-RPC on stdin and stdout, for one local client, so the caller is always
 * `stdio`. Stdout carries the protocol and nothing else — logs go to stderr. With the 2026-07-28 era on, the
 * opening message decides the connection's era (an unexpected one never ends the process); a 2025 client
 * initializes as always. When stdin ends (the client closed it or went away), requests still in flight are
 * answered (bounded), then the server closes; when stdout breaks, it closes at once.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { MODERN_ERA_ENABLED } from '../mcp/wire/era.ts';
import { serveStdioStreams } from '../mcp/wire/stdio.ts';
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
  /** Serve 2026-07-28 openings too; MODERN_ERA_ENABLED unless given (tests). */
  readonly modernEra?: boolean;
}

export interface RunningStdioTransport {
  /** Resolves once the connection is over: stdin ended, stdout broke, or close() finished. */
  readonly closed: Promise<void>;
  /** Requests received and not yet answered. */
  inFlight(): number;
  close(options?: { drainMs?: number }): Promise<void>;
}

export async function startStdioTransport(options: StdioTransportOptions): Promise<RunningStdioTransport> {
  const { sidecar, logger } = options;
  const drainMs = options.drainMs ?? DEFAULT_STDIO_DRAIN_MS;
  const listen = sidecar.listen?.bind(sidecar);
  const serving = await serveStdioStreams({
    stdin: options.stdin,
    stdout: options.stdout,
    drainMs,
    modern: options.modernEra ?? MODERN_ERA_ENABLED,
    server: (era) => sidecar.server(() => STDIO_CALLER, era),
    openListen: listen ? (uris, updated) => listen(STDIO_CALLER, uris, updated) : undefined,
    onerror: (error) => logger.debug({ err: error.message }, 'stdio protocol error'),
    onEnding: (why, inFlight) => {
      if (why === 'stdout broke') {
        // The client is gone: nobody can read an answer, so there is nothing to drain.
        logger.warn('stdout is broken; stopping');
        return;
      }
      logger.info('stdin closed; stopping');
      if (inFlight > 0) logger.info({ inFlight }, 'answering requests in flight before closing stdio');
    },
  });
  return {
    closed: serving.closed,
    inFlight: () => serving.inFlight(),
    close: (closeOptions = {}) => serving.close(closeOptions.drainMs ?? drainMs),
  };
}
