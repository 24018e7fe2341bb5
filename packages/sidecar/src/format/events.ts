/**
 * Events as an SRE reads them: repeats folded into one row (count, first and last seen), warnings before
 * normal events, newest first, scoped to one object or one workload with everything it owns. Pure: plain
 * CoreV1Event objects in, rows and text out.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { byteLength, truncateHead } from '../output/budget.ts';
import { redactShapes } from '../safety/redact.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { formatAge, toDate } from './age.ts';
import { renderTable } from './pods.ts';

/** Event messages are capped in answers; the API itself allows 1 KiB. */
export const EVENT_MESSAGE_CHARS = 300;

export interface EventRow {
  readonly type: string;
  readonly reason: string;
  /** Kind/name of the object the event is about, e.g. Pod/web-7d9c-abcde. */
  readonly object: string;
  readonly message: string;
  readonly count: number;
  readonly first_seen?: string | undefined;
  readonly last_seen?: string | undefined;
  /** The component that reported it (kubelet, default-scheduler, deployment-controller, …). */
  readonly source?: string | undefined;
}

/** When an event was first and last seen and how often, across the old (count) and new (series) shapes. */
export function eventTimes(event: CoreV1Event): { first: Date | undefined; last: Date | undefined; count: number } {
  const created = toDate(event.metadata?.creationTimestamp);
  const first = toDate(event.firstTimestamp) ?? toDate(event.eventTime) ?? created;
  const last =
    toDate(event.series?.lastObservedTime) ?? toDate(event.lastTimestamp) ?? toDate(event.eventTime) ?? first;
  const count = Math.max(1, event.series?.count ?? event.count ?? 1);
  return { first, last, count };
}

export function eventObject(event: CoreV1Event): string {
  const involved = event.involvedObject;
  return `${involved?.kind ?? '?'}/${involved?.name ?? '?'}`;
}

/** Folds events with the same type, reason, object and message into one row with the summed count. */
export function aggregateEvents(events: readonly CoreV1Event[]): EventRow[] {
  const groups = new Map<string, { row: EventRow; first: Date | undefined; last: Date | undefined }>();
  for (const event of events) {
    const type = event.type ?? 'Normal';
    const reason = event.reason ?? '';
    const object = eventObject(event);
    const message = (event.message ?? '').trim();
    const key = JSON.stringify([type, reason, object, message]);
    const times = eventTimes(event);
    const existing = groups.get(key);
    if (!existing) {
      groups.set(key, {
        row: {
          type,
          reason,
          object,
          message: capMessage(message),
          count: times.count,
          source: event.source?.component ?? event.reportingComponent ?? undefined,
        },
        first: times.first,
        last: times.last,
      });
      continue;
    }
    existing.row = { ...existing.row, count: existing.row.count + times.count };
    if (times.first && (!existing.first || times.first < existing.first)) existing.first = times.first;
    if (times.last && (!existing.last || times.last > existing.last)) existing.last = times.last;
  }
  return sortEvents(
    [...groups.values()].map(({ row, first, last }) => ({
      ...row,
      first_seen: first?.toISOString(),
      last_seen: last?.toISOString(),
      source: row.source || undefined,
    })),
  );
}

function capMessage(raw: string): string {
  const message = redactShapes(raw);
  return message.length > EVENT_MESSAGE_CHARS ? `${message.slice(0, EVENT_MESSAGE_CHARS)}…` : message;
}

/** Warnings first, then newest (last seen) first; ties by object name for a stable order. */
export function sortEvents(rows: readonly EventRow[]): EventRow[] {
  const rank = (row: EventRow) => (row.type === 'Warning' ? 0 : 1);
  return [...rows].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (b.last_seen ?? '').localeCompare(a.last_seen ?? '') ||
      a.object.localeCompare(b.object) ||
      a.reason.localeCompare(b.reason),
  );
}

/** Last seen within the past `minutes` (an event never seen is kept: it cannot be placed in time). */
export function seenWithin(event: CoreV1Event, now: Date, minutes: number): boolean {
  const { last } = eventTimes(event);
  return last === undefined || now.getTime() - last.getTime() <= minutes * 60_000;
}

/**
 * Which events belong to a workload: its own object and the ones it owns by name, plus pods whose names its
 * controllers generate — so events of pods that are already gone (a crash-looping pod that was replaced)
 * still count.
 */
export interface EventScope {
  /** Kind/name of each object, e.g. Deployment/web, ReplicaSet/web-7d9c, Pod/web-7d9c-abcde. */
  readonly objects: ReadonlySet<string>;
  readonly podNames: readonly RegExp[];
}

export function inScope(event: CoreV1Event, scope: EventScope): boolean {
  if (scope.objects.has(eventObject(event))) return true;
  const involved = event.involvedObject;
  return involved?.kind === 'Pod' && scope.podNames.some((pattern) => pattern.test(involved.name ?? ''));
}

/** Pods a ReplicaSet, DaemonSet or Job creates are named `<owner>-<5 random characters>`. */
export function generatedPodName(owner: string): RegExp {
  return new RegExp(`^${escapeRegExp(owner)}-[a-z0-9]{5}$`);
}

/** StatefulSet pods are named `<set>-<ordinal>`. */
export function ordinalPodName(statefulSet: string): RegExp {
  return new RegExp(`^${escapeRegExp(statefulSet)}-\\d+$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const EXACT_KIND_ALIASES: Readonly<Record<string, string>> = {
  po: 'Pod',
  pod: 'Pod',
  pods: 'Pod',
  svc: 'Service',
  service: 'Service',
  services: 'Service',
  pvc: 'PersistentVolumeClaim',
  persistentvolumeclaim: 'PersistentVolumeClaim',
  hpa: 'HorizontalPodAutoscaler',
  horizontalpodautoscaler: 'HorizontalPodAutoscaler',
  ing: 'Ingress',
  ingress: 'Ingress',
  cm: 'ConfigMap',
  configmap: 'ConfigMap',
  sa: 'ServiceAccount',
  serviceaccount: 'ServiceAccount',
  ep: 'Endpoints',
  endpoints: 'Endpoints',
  pdb: 'PodDisruptionBudget',
  poddisruptionbudget: 'PodDisruptionBudget',
  netpol: 'NetworkPolicy',
  networkpolicy: 'NetworkPolicy',
};

const WORKLOAD_KINDS = new Set([
  'deploy',
  'deployment',
  'deployments',
  'sts',
  'statefulset',
  'statefulsets',
  'ds',
  'daemonset',
  'daemonsets',
  'job',
  'jobs',
  'cj',
  'cronjob',
  'cronjobs',
  'rs',
  'replicaset',
  'replicasets',
]);

export type ObjectFilter =
  | { readonly scope: 'self' }
  /** A workload reference as kube/workloads.ts parses it: the workload and everything it owns. */
  | { readonly scope: 'workload'; readonly reference: string }
  /** Exactly one object (kind set) or any object with this name (kind undefined). */
  | { readonly scope: 'object'; readonly kind: string | undefined; readonly name: string };

const NAME = /^[a-z0-9]([-a-z0-9.:]{0,251}[a-z0-9])?$/;

/** Pure: "self", "deploy/web" (workload), "Pod/web-1" (one object), "web-1" (any kind with that name). */
export function parseObjectFilter(text: string): ObjectFilter | { error: string } {
  const trimmed = text.trim();
  if (trimmed === 'self') return { scope: 'self' };
  const slash = trimmed.indexOf('/');
  if (slash < 0) {
    return NAME.test(trimmed) ? { scope: 'object', kind: undefined, name: trimmed } : { error: invalidName(trimmed) };
  }
  const kindText = trimmed.slice(0, slash);
  const name = trimmed.slice(slash + 1);
  if (!NAME.test(name)) return { error: invalidName(name) };
  const lower = kindText.toLowerCase();
  if (WORKLOAD_KINDS.has(lower)) return { scope: 'workload', reference: `${lower}/${name}` };
  const alias = EXACT_KIND_ALIASES[lower];
  if (alias) return { scope: 'object', kind: alias, name };
  if (!/^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kindText)) {
    return { error: `"${kindText}" is not a kind; use e.g. Pod/web-1, Deployment/web, Service/web or self` };
  }
  return { scope: 'object', kind: `${kindText.charAt(0).toUpperCase()}${kindText.slice(1)}`, name };
}

function invalidName(name: string): string {
  return `"${name}" is not a valid object name; use e.g. Pod/web-1, Deployment/web or self`;
}

/** Keeps at most `limit` rows whose JSON fits `maxBytes`; says how many were left out. */
export function limitEvents(
  rows: readonly EventRow[],
  limit: number,
  maxBytes: number,
): { rows: EventRow[]; omitted: number; byBytes: boolean } {
  const kept: EventRow[] = [];
  let used = 0;
  let byBytes = false;
  for (const row of rows) {
    if (kept.length >= limit) break;
    const cost = byteLength(row) + 1;
    if (used + cost > maxBytes) {
      byBytes = true;
      break;
    }
    used += cost;
    kept.push(row);
  }
  return { rows: kept, omitted: rows.length - kept.length, byBytes };
}

/** A numbered table and, framed as untrusted, the messages by number. */
export function renderEventRows(rows: readonly EventRow[], now: Date): string {
  if (rows.length === 0) return '';
  const table = renderTable(
    ['#', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'FIRST', 'LAST'],
    rows.map((row, index) => [
      String(index + 1),
      row.type,
      row.reason,
      row.object,
      String(row.count),
      row.first_seen ? formatAge(row.first_seen, now) : '?',
      row.last_seen ? formatAge(row.last_seen, now) : '?',
    ]),
  );
  const messages = rows
    .map((row, index) => `${index + 1}: ${truncateHead(redactShapes(row.message).replaceAll('\n', ' '), 400).text}`)
    .join('\n');
  return `${table}\n${frameUntrusted('event messages', messages)}`;
}
