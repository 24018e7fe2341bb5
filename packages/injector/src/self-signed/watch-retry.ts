/**
 * When to start the TLS Secret's watch again, and how loudly to say it failed. A watch the API server ends on
 * schedule (its timeoutSeconds) starts again right away; a failing one waits longer each time, up to a cap, so a
 * missing permission costs one request a minute rather than one every two seconds, and is said at warn level
 * once it is clearly not a blip. Pure: the store and the manager bring the clock and the logger.
 */
import { httpStatusOf } from '@podmcp/core';

export interface WatchRetry {
  /**
   * Wait after a watch that ended on schedule: short, but not zero, so a server that ends every watch as it
   * starts is not asked in a tight loop.
   */
  readonly restartMs: number;
  /** Wait after the first failure; doubled after each further one. */
  readonly firstMs: number;
  readonly capMs: number;
  /** Consecutive failures from which each one is logged at warn level. */
  readonly warnAfter: number;
}

export const SECRET_WATCH_RETRY: WatchRetry = { restartMs: 1_000, firstMs: 2_000, capMs: 60_000, warnAfter: 3 };

/** The API server ends each watch after this long; the injector then starts a new one (no re-list in between). */
export const SECRET_WATCH_SECONDS = 300;

/** Wait before the next watch, after `failures` consecutive failed ones (0: the last one ended on schedule). */
export function retryDelayMs(failures: number, retry: WatchRetry = SECRET_WATCH_RETRY): number {
  if (failures <= 0) return retry.restartMs;
  return Math.min(retry.capMs, retry.firstMs * 2 ** Math.min(failures - 1, 30));
}

export interface WatchFailureReport {
  readonly level: 'debug' | 'warn';
  readonly message: string;
}

/**
 * What to log when the watch of `what` failed for the `failures`-th time in a row with `error`. A 403 names the
 * permission: a Role from before the watch existed grants get but not list and watch on the Secret.
 */
export function watchFailureReport(
  error: unknown,
  failures: number,
  what: string,
  retry: WatchRetry = SECRET_WATCH_RETRY,
): WatchFailureReport {
  const status = httpStatusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const next = `retrying in ${retryDelayMs(failures, retry) / 1000} s`;
  const message =
    status === 403
      ? `cannot watch ${what}: HTTP 403: the injector's Role lacks list and watch on it (re-apply the self-signed component's RBAC); replicas that do not lead install a renewed pair only at their next round; ${next}`
      : `watch of ${what} failed ${failures} time(s) in a row${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}; ${next}`;
  return { level: failures >= retry.warnAfter ? 'warn' : 'debug', message };
}
