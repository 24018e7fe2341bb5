/**
 * A small time-bounded, size-bounded cache of review answers, with requests in flight shared: many calls with
 * the same token in the same moment send one review. Keys are hashes (never a raw token); a rejected promise is
 * dropped at once, so an API server that was briefly away is asked again on the next call.
 */
import { createHash } from 'node:crypto';

export interface ReviewCacheOptions {
  /** How long an answer is reused. */
  readonly ttlMs: number;
  /** At most this many answers; the oldest goes first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

interface Entry<T> {
  readonly value: Promise<T>;
  expires: number;
}

export class ReviewCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: ReviewCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The cached answer for `key`, or `compute()`'s. `ttlFor` may shorten the time an answer is kept (a token
   * that expires sooner, a negative answer).
   */
  get(key: string, compute: () => Promise<T>, ttlFor?: (value: T) => number): Promise<T> {
    const now = this.#now();
    const found = this.#entries.get(key);
    if (found && found.expires > now) return found.value;
    if (found) this.#entries.delete(key);
    const value = compute();
    const entry: Entry<T> = { value, expires: now + this.#ttlMs };
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    value.then(
      (settled) => {
        if (ttlFor) entry.expires = Math.min(entry.expires, this.#now() + Math.max(0, ttlFor(settled)));
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** A SHA-256 of the parts, so no cache key holds a token or can be reversed to one. */
export function hashKey(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('base64url');
}
