/**
 * The close look at one examined pod: its not-True conditions, its worst containers with state, last exit
 * and limits, its unresolved probe failures and the log tails read for it.
 */
import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatAge, toIso } from '../format/age.ts';
import { podStatus, readyCount, restartCount } from '../format/pods.ts';
import { cap, conditionsOf } from './cluster-text.ts';
import type { ContainerDetail, LogExcerpt, PodDetail } from './model.ts';
import { type ContainerEntry, containerScore, containersOf, isCompletedInit } from './pod-facts.ts';
import { probeFailures, resolvedBeforeReady } from './probes.ts';

const MAX_CONTAINERS_PER_POD = 6;
const MAX_PROBE_FAILURES_PER_POD = 4;

export function podDetail(
  pod: V1Pod,
  events: readonly CoreV1Event[],
  logs: ReadonlyMap<string, LogExcerpt>,
  now: Date,
): PodDetail {
  const name = pod.metadata?.name ?? '?';
  const phase = pod.status?.phase ?? 'Unknown';
  const entries = containersOf(pod)
    .filter((entry) => !isCompletedInit(entry))
    .sort((a, b) => containerScore(b, phase) - containerScore(a, phase))
    .slice(0, MAX_CONTAINERS_PER_POD);
  return {
    name,
    status: podStatus(pod),
    phase,
    ready: readyCount(pod),
    restarts: restartCount(pod),
    node: pod.spec?.nodeName,
    age: formatAge(pod.metadata?.creationTimestamp, now),
    conditions: conditionsOf(pod.status?.conditions).filter((condition) => condition.status !== 'True'),
    containers: entries.map(containerDetail),
    probe_failures: probeFailures(name, events)
      .filter((failure) => !resolvedBeforeReady(failure, pod))
      .slice(0, MAX_PROBE_FAILURES_PER_POD),
    logs: entries
      .map((entry) => logs.get(`${name}/${entry.name}`))
      .filter((log): log is LogExcerpt => log !== undefined),
  };
}

function containerDetail(entry: ContainerEntry): ContainerDetail {
  const status = entry.status;
  const last = status?.lastState?.terminated;
  const { state, message } = containerState(status);
  return {
    name: entry.name,
    kind: entry.kind,
    image: entry.spec?.image,
    ready: status?.ready ?? false,
    restarts: status?.restartCount ?? 0,
    state,
    message,
    last_termination: last
      ? { reason: last.reason ?? 'Terminated', exit_code: last.exitCode, finished_at: toIso(last.finishedAt) }
      : undefined,
    memory_limit: entry.spec?.resources?.limits?.memory,
    cpu_limit: entry.spec?.resources?.limits?.cpu,
  };
}

function containerState(status: V1ContainerStatus | undefined): { state: string; message?: string | undefined } {
  const state = status?.state;
  if (state?.waiting) return { state: `waiting: ${state.waiting.reason ?? '?'}`, message: cap(state.waiting.message) };
  if (state?.terminated) {
    const terminated = state.terminated;
    return {
      state: `terminated: ${terminated.reason ?? 'Terminated'} (exit ${terminated.exitCode})`,
      message: cap(terminated.message),
    };
  }
  if (state?.running) return { state: 'running' };
  return { state: 'not created yet' };
}
