/**
 * The HTTP edge's sessions: the bounded table (sessions.ts) holding each session's MCP server and transport,
 * closing both when a session ends, logging why, and sweeping expired sessions even when no request comes to
 * notice them.
 */
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import type { McpServer } from '../mcp/server.ts';
import type { LegacyHttpTransport } from '../mcp/wire/http-legacy.ts';
import { MAX_SESSIONS, SESSION_EVICTABLE_MS, SESSION_IDLE_MS, SessionTable } from './sessions.ts';

export interface Session {
  readonly server: McpServer;
  readonly transport: LegacyHttpTransport;
  /** The caller whose initialize started it; only the same identity may use it. */
  readonly creator: Caller;
}

export interface SessionStoreOptions {
  /** MAX_SESSIONS, SESSION_IDLE_MS and SESSION_EVICTABLE_MS unless given (tests). */
  readonly maxSessions?: number | undefined;
  readonly sessionIdleMs?: number | undefined;
  readonly sessionEvictableMs?: number | undefined;
  readonly logger: Logger;
}

export interface SessionStore {
  readonly table: SessionTable<Session>;
  /** Stops the sweeper and ends every session (shutdown). */
  close(): void;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { logger } = options;
  const idleMs = options.sessionIdleMs ?? SESSION_IDLE_MS;
  const table = new SessionTable<Session>({
    max: options.maxSessions ?? MAX_SESSIONS,
    idleMs,
    evictAfterMs: options.sessionEvictableMs ?? SESSION_EVICTABLE_MS,
    onEnd: (id, session, reason) => {
      logger.info({ session: shortId(id), caller: session.creator.id, reason }, 'MCP session ended');
      void session.transport.close().catch(() => undefined);
      void session.server.close().catch(() => undefined);
    },
  });
  // Expired sessions end even when no request comes to notice them.
  const sweeper = setInterval(() => table.sweep(), Math.min(60_000, idleMs));
  sweeper.unref();
  return {
    table,
    close() {
      clearInterval(sweeper);
      table.clear();
    },
  };
}

/** What a session is bound to: the caller's id and the identity it claims (`podmcp connect` sends one). */
export function ownerOf(caller: Caller): string {
  return JSON.stringify([caller.id, caller.claimed ?? null]);
}

/** Enough of a session id to follow it through the logs, not enough to present it. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
