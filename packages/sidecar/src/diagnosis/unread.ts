/**
 * Parts of a diagnosis that could not be read, as findings that name what failed — the kubelet on a node
 * (the API server answered, but could not reach the kubelet for a log) or the API server itself — so the
 * rest of the diagnosis is returned beside them. Pure: reads the outcome of each part only.
 */
import { cap } from './cluster-text.ts';
import type { PlacedFinding } from './findings.ts';
import { type PartOutcome, seconds } from './gather.ts';

/** A part that did not bring its value. */
export type Unfulfilled = Exclude<PartOutcome<unknown>, { status: 'fulfilled' }>;

/**
 * What the API server says when its own request to a kubelet failed: Go's dial and TLS errors, the kubelet's
 * log URL (/containerLogs/), and the node address lookup. The sidecar's own transport failures are worded
 * with error codes (ECONNREFUSED), never these words.
 */
const KUBELET_WORDS =
  /dial tcp|connection refused|connection reset|no route to host|i\/o timeout|TLS handshake timeout|containerLogs|no preferred addresses|kubelet/i;

/** The failing component and why, in a few words; undefined for failures that are not about reaching anything. */
export interface Blame {
  readonly component: 'kubelet' | 'api-server';
  readonly why: string;
}

/**
 * Who failed a log read. A read that outlived its deadline is the node's kubelet when the API server answered
 * the other reads of the same call, else the API server. A failure the API server reported (5xx) in the
 * words of a failed dial is the kubelet's; one that never reached the API server is the API server's.
 */
export function blameLogRead(
  outcome: Unfulfilled,
  node: string | undefined,
  apiServerAnswered: boolean,
): Blame | undefined {
  const on = node ? ` on node ${node}` : '';
  if (outcome.status === 'timed-out') {
    return apiServerAnswered
      ? {
          component: 'kubelet',
          why: `the kubelet${on} did not answer within ${seconds(outcome.afterMs)} (the API server answered the other reads)`,
        }
      : { component: 'api-server', why: `the API server did not answer within ${seconds(outcome.afterMs)}` };
  }
  if (!reachFailure(outcome.reason)) return undefined;
  const detail = apiServerWords(outcome.reason);
  return KUBELET_WORDS.test(detail)
    ? { component: 'kubelet', why: `the API server could not reach the kubelet${on} (${cap(detail)})` }
    : { component: 'api-server', why: cap(detail) ?? 'the API server failed' };
}

/** Who failed a read the API server alone serves (warning events): the API server, or nobody this names. */
export function blameApiRead(outcome: Unfulfilled): Blame | undefined {
  if (outcome.status === 'timed-out') {
    return { component: 'api-server', why: `the API server did not answer within ${seconds(outcome.afterMs)}` };
  }
  if (!reachFailure(outcome.reason)) return undefined;
  return { component: 'api-server', why: cap(apiServerWords(outcome.reason)) ?? 'the API server failed' };
}

/** A log that could not be read, and who is to blame. */
export interface UnreadLog {
  readonly pod: string;
  readonly container: string;
  readonly node: string | undefined;
  readonly blame: Blame;
}

/** One finding per failing component and node, naming the logs it kept back. */
export function unreadLogFindings(unread: readonly UnreadLog[]): PlacedFinding[] {
  const groups = new Map<string, UnreadLog[]>();
  for (const log of unread) {
    const key = `${log.blame.component}/${log.blame.component === 'kubelet' ? (log.node ?? '') : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), log]);
  }
  return [...groups.values()].map((logs) => {
    const first = logs[0] as UnreadLog;
    const which = logs.map((log) => `${log.pod}/${log.container}`).join(', ');
    return {
      severity: 'warning',
      code: first.blame.component === 'kubelet' ? 'kubelet-unreachable' : 'api-server-unreachable',
      text: `log of ${which} not read: ${first.blame.why} — the rest of this diagnosis stands`,
      pods: logs.map((log) => log.pod),
      container: first.container,
    };
  });
}

export function unreadEventsFinding(blame: Blame): PlacedFinding {
  return {
    severity: 'warning',
    code: 'api-server-unreachable',
    text: `warning events not read: ${blame.why} — the other findings come without them`,
  };
}

/** Failures of reaching something (kind `unreachable`, or a 5xx), not refusals or missing objects. */
function reachFailure(reason: unknown): boolean {
  const failure = reason as { kind?: unknown; code?: unknown } | null | undefined;
  return failure?.kind === 'unreachable' || (typeof failure?.code === 'number' && failure.code >= 500);
}

/** The API server's own words inside the sidecar's message ("The API server failed (500): …. Retry shortly."). */
function apiServerWords(reason: unknown): string {
  const message = reason instanceof Error ? reason.message : String(reason);
  return message.replace(/^The API server failed \(\d+\): /, '').replace(/\. Retry shortly\.$/, '');
}
