/**
 * Probe failures, which the kubelet reports only as Unhealthy events: folded per pod by probe, container and
 * message, and told apart from the few failed probes of a normal start.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { toDate } from '../format/age.ts';
import { aggregateEvents } from '../format/events.ts';
import { cap } from './cluster-text.ts';
import type { ProbeFailure } from './model.ts';
import { containersOf } from './pod-facts.ts';

const PROBE_PREFIX = /^(Readiness|Liveness|Startup) probe/i;

/** Probe failures reported as Unhealthy events, per pod, folded by probe, container and message. */
export function probeFailures(pod: string, events: readonly CoreV1Event[]): ProbeFailure[] {
  const unhealthy = events.filter(
    (event) =>
      event.reason === 'Unhealthy' && event.involvedObject?.kind === 'Pod' && event.involvedObject.name === pod,
  );
  return aggregateEvents(unhealthy).map((row) => {
    const match = PROBE_PREFIX.exec(row.message);
    const probe = (match?.[1]?.toLowerCase() ?? 'probe') as ProbeFailure['probe'];
    const event = unhealthy.find((item) => (item.message ?? '').trim() === row.message);
    return {
      probe,
      container: containerOfFieldPath(event?.involvedObject?.fieldPath),
      count: row.count,
      last_seen: row.last_seen,
      message: cap(row.message) ?? '',
    };
  });
}

/**
 * A startup or readiness probe that failed only before its container became ready is part of a normal start
 * (a process takes a moment to listen), long resolved: not a problem to report. Known when the container is
 * ready now and the pod's Ready (or ContainersReady) condition turned True at or after the last failure.
 */
export function resolvedBeforeReady(failure: ProbeFailure, pod: V1Pod): boolean {
  if (failure.probe !== 'startup' && failure.probe !== 'readiness') return false;
  const container = failure.container;
  if (container === undefined) return false;
  const status = containersOf(pod).find((entry) => entry.name === container)?.status;
  if (!status?.ready) return false;
  const conditions = pod.status?.conditions ?? [];
  const readySince = (
    conditions.find((c) => c.type === 'Ready' && c.status === 'True') ??
    conditions.find((c) => c.type === 'ContainersReady' && c.status === 'True')
  )?.lastTransitionTime;
  const since = toDate(readySince);
  const last = toDate(failure.last_seen);
  return since !== undefined && last !== undefined && last.getTime() <= since.getTime();
}

function containerOfFieldPath(fieldPath: string | undefined): string | undefined {
  return fieldPath ? /\{([^}]+)\}/.exec(fieldPath)?.[1] : undefined;
}
