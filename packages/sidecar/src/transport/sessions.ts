/**
 * The bounded table of MCP sessions of the Streamable HTTP edge. A session exists so that the server answering
 * a tools/call is the one that saw `initialize` (the client's capabilities, elicitation above all: a human's
 * yes before an action). Each holds an MCP server and its transport, so the table is bounded two ways: at most
 * `max` sessions (when full, the session idle the longest makes room if it has been idle for `evictAfterMs`;
 * otherwise no new session is made and that client is served without one), and a session unused for `idleMs`
 * ends. A session belongs to the caller that created it: the same id
 * presented by anyone else is "not found", so a session id cannot borrow another caller's identity or approvals.
 *
 * Pure bookkeeping on plain values; the clock is injected. What a session holds is closed through `onEnd`.
 */

/**
 * At most this many sessions per sidecar. One sidecar serves one workload's agents, each holding one session
 * (`podmcp connect` holds one per agent); a session costs an MCP server and its transport, about 30 KiB of heap,
 * so 64 are 2 MiB, far inside the default 160Mi, with room for the load tests' 60 agents at once and for clients
 * that never say goodbye.
 */
export const MAX_SESSIONS = 64;
/**
 * A session unused this long ends (its client must initialize again, which `podmcp connect` does by itself).
 * Long enough for an agent's pauses while a human reads and decides; short enough that sessions left behind by
 * clients that never send DELETE do not keep subscriptions' watches open for long.
 */
export const SESSION_IDLE_MS = 30 * 60_000;
/**
 * A full table makes room only by ending a session idle at least this long: an agent between two calls is never
 * cut off for a newcomer (a burst beyond the bound is served without sessions, as clients that never initialize
 * are), while sessions left behind make room soon.
 */
export const SESSION_EVICTABLE_MS = 60_000;

export type SessionEndReason = 'deleted' | 'expired' | 'evicted' | 'closed';

export interface SessionTableOptions<T> {
  readonly max?: number;
  readonly idleMs?: number;
  readonly evictAfterMs?: number;
  readonly now?: () => number;
  /** Called once for every session that leaves the table, with why. */
  readonly onEnd?: (id: string, value: T, reason: SessionEndReason) => void;
}

export type SessionLookup<T> =
  | { readonly found: true; readonly value: T; readonly release: () => void }
  | { readonly found: false; readonly reason: 'unknown' | 'foreign' };

interface Entry<T> {
  readonly owner: string;
  readonly value: T;
  lastUsed: number;
  /** Requests on this session being answered right now; a busy session never expires nor is evicted. */
  busy: number;
  /**
   * Open standalone streams (GET): a listening session does not expire, but when the table is full it can still
   * be evicted once idle, so listeners cannot hold every place for ever.
   */
  streams: number;
}

export class SessionTable<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly max: number;
  private readonly idleMs: number;
  private readonly evictAfterMs: number;
  private readonly now: () => number;
  private readonly onEnd: (id: string, value: T, reason: SessionEndReason) => void;

  constructor(options: SessionTableOptions<T> = {}) {
    this.max = options.max ?? MAX_SESSIONS;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.evictAfterMs = options.evictAfterMs ?? SESSION_EVICTABLE_MS;
    this.now = options.now ?? Date.now;
    this.onEnd = options.onEnd ?? (() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds a session owned by `owner`, busy (its creating request is being answered) until `release` is called.
   * Ends expired sessions first and, when full, the one idle the longest if it is evictable; undefined when
   * none is (every session busy or used within `evictAfterMs`).
   */
  add(id: string, owner: string, value: T): { readonly release: () => void } | undefined {
    this.sweep();
    if (this.entries.size >= this.max && !this.evictOldestIdle()) return undefined;
    const entry: Entry<T> = { owner, value, lastUsed: this.now(), busy: 1, streams: 0 };
    this.entries.set(id, entry);
    return { release: this.releaser(entry) };
  }

  /**
   * The session `id` if `owner` owns it, marked busy until `release` (or, for a standalone stream, listening:
   * kept from expiring but not from eviction); "foreign" when someone else owns it.
   */
  use(id: string, owner: string, how: 'request' | 'stream' = 'request'): SessionLookup<T> {
    const entry = this.entries.get(id);
    if (entry === undefined || this.expired(entry)) {
      if (entry !== undefined) this.end(id, entry, 'expired');
      return { found: false, reason: 'unknown' };
    }
    if (entry.owner !== owner) return { found: false, reason: 'foreign' };
    entry.lastUsed = this.now();
    if (how === 'stream') {
      entry.streams += 1;
      return { found: true, value: entry.value, release: this.streamReleaser(entry) };
    }
    entry.busy += 1;
    return { found: true, value: entry.value, release: this.releaser(entry) };
  }

  /** Ends session `id` (DELETE, or its transport closed); false when there is none. */
  remove(id: string, reason: SessionEndReason = 'deleted'): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    this.end(id, entry, reason);
    return true;
  }

  /** Ends every session idle for longer than the expiry; returns how many ended. */
  sweep(): number {
    let ended = 0;
    for (const [id, entry] of this.entries) {
      if (!this.expired(entry)) continue;
      this.end(id, entry, 'expired');
      ended += 1;
    }
    return ended;
  }

  /** Ends every session (shutdown). */
  clear(): void {
    for (const [id, entry] of this.entries) this.end(id, entry, 'closed');
  }

  private expired(entry: Entry<T>): boolean {
    return entry.busy === 0 && entry.streams === 0 && this.now() - entry.lastUsed >= this.idleMs;
  }

  private evictOldestIdle(): boolean {
    let oldest: [string, Entry<T>] | undefined;
    const now = this.now();
    for (const item of this.entries) {
      if (item[1].busy > 0 || now - item[1].lastUsed < this.evictAfterMs) continue;
      if (oldest === undefined || item[1].lastUsed < oldest[1].lastUsed) oldest = item;
    }
    if (oldest === undefined) return false;
    this.end(oldest[0], oldest[1], 'evicted');
    return true;
  }

  private end(id: string, entry: Entry<T>, reason: SessionEndReason): void {
    if (this.entries.get(id) !== entry) return;
    this.entries.delete(id);
    this.onEnd(id, entry.value, reason);
  }

  private streamReleaser(entry: Entry<T>): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.streams -= 1;
    };
  }

  private releaser(entry: Entry<T>): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.busy -= 1;
      entry.lastUsed = this.now();
    };
  }
}
