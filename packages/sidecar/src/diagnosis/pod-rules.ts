/**
 * The detector rules for pod issues. Each is a pure function of plain facts about one pod, one of its
 * containers or one of its probe failures, and returns the issue it detects or undefined. pod-issues.ts
 * holds the ordered table that says which rules run over what, and where the first match ends the search.
 */
import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatAge, toDate } from '../format/age.ts';
import { pullFailureMessage, schedulingAsks, schedulingFailureMessage } from './cluster-messages.ts';
import { cap } from './cluster-text.ts';
import type { FindingCode } from './findings.ts';
import type { IssueDraft } from './issue.ts';
import type { ProbeFailure } from './model.ts';
import { CANNOT_START, type ContainerEntry, containersOf, IMAGE_PULL, isStuckTerminating } from './pod-facts.ts';

/** A pod Pending longer than this without another explanation is reported as stuck. */
export const PENDING_GRACE_SECONDS = 120;

export interface PodFacts {
  readonly pod: V1Pod;
  readonly name: string;
  /** Warning events of the diagnosis, already narrowed to the window. */
  readonly events: readonly CoreV1Event[];
  readonly windowMinutes: number;
  readonly now: Date;
  /** Containers an earlier rule explained: later rules neither blame them again nor call the pod unexplained. */
  readonly explained: ReadonlySet<string>;
}

/** One container that has a status and is not a completed init container. */
export interface ContainerFacts extends PodFacts {
  readonly entry: ContainerEntry;
  readonly status: V1ContainerStatus;
}

export interface ProbeFacts extends PodFacts {
  readonly failure: ProbeFailure;
  /** It failed only before its container became ready (resolvedBeforeReady): part of a normal start. */
  readonly resolved: boolean;
}

export type Rule<F> = (facts: F) => IssueDraft | undefined;

function restartsText(count: number): string {
  return `${count} restart${count === 1 ? '' : 's'}`;
}

function exitText(terminated: { reason?: string; exitCode: number } | undefined): string {
  return terminated ? `${terminated.reason ?? 'Terminated'} (exit ${terminated.exitCode})` : '';
}

// Pod rules

export const evicted: Rule<PodFacts> = ({ pod }) => {
  if (pod.status?.reason !== 'Evicted') return undefined;
  const message = cap(pod.status.message);
  return {
    key: `evicted|${message}`,
    severity: 'warning',
    code: 'evicted',
    describe: (at) => `pod evicted ${at}${message ? `: ${message}` : ''}`,
  };
};

export const nodeLost: Rule<PodFacts> = ({ pod }) =>
  pod.status?.phase === 'Unknown'
    ? {
        key: 'node-lost',
        severity: 'error',
        code: 'node-lost',
        describe: (at) => `pod status Unknown ${at}: its node stopped reporting`,
      }
    : undefined;

export const stuckTerminating: Rule<PodFacts> = ({ pod, name, now }) => {
  if (!isStuckTerminating(pod, now)) return undefined;
  const since = formatAge(pod.metadata?.deletionTimestamp, now);
  const finalizers = pod.metadata?.finalizers ?? [];
  return {
    key: `terminating|${name}`,
    severity: 'warning',
    code: 'stuck-terminating',
    describe: (at) =>
      `pod stuck Terminating for ${since} ${at}${finalizers.length > 0 ? ` (finalizers: ${finalizers.join(', ')})` : ''}`,
  };
};

// Container rules: the first that holds names the cause, so they run worst first.

export const oomKilled: Rule<ContainerFacts> = ({ entry, status }) => {
  const oom = status.state?.terminated?.reason === 'OOMKilled' || status.lastState?.terminated?.reason === 'OOMKilled';
  if (!oom) return undefined;
  const container = entry.name;
  const limit = entry.spec?.resources?.limits?.memory;
  const looping = status.state?.waiting?.reason === 'CrashLoopBackOff';
  return {
    key: `oom|${container}|${limit}`,
    severity: 'error',
    code: 'oom-killed',
    container,
    restarts: status.restartCount ?? 0,
    describe: (at, most) =>
      `container ${container} was OOMKilled ${at} (${restartsText(most)}; ${limit ? `memory limit ${limit}` : 'no memory limit, so the node ran short of memory'})${looping ? ', now in CrashLoopBackOff' : ''}`,
  };
};

export const crashLoop: Rule<ContainerFacts> = ({ entry, status }) => {
  if (status.state?.waiting?.reason !== 'CrashLoopBackOff') return undefined;
  const container = entry.name;
  const lastExit = exitText(status.lastState?.terminated);
  return {
    key: `crash|${container}|${lastExit}`,
    severity: 'error',
    code: 'crash-loop',
    container,
    restarts: status.restartCount ?? 0,
    describe: (at, most) =>
      `container ${container} is crash-looping (CrashLoopBackOff) ${at}: ${restartsText(most)}${lastExit ? `, last exit ${lastExit}` : ''}`,
  };
};

export const imagePull: Rule<ContainerFacts> = ({ entry, status, name, events }) => {
  const waiting = status.state?.waiting;
  const reason = waiting?.reason;
  if (!reason || !IMAGE_PULL.has(reason)) return undefined;
  const container = entry.name;
  const image = entry.spec?.image ?? status.image;
  const detail = pullFailureMessage(name, container, image, waiting.message, events);
  return {
    key: `image|${container}|${image}`,
    severity: 'error',
    code: 'image-pull',
    container,
    describe: (at) =>
      `image pull failing for container ${container} (${image}) ${at}: ${reason}${detail ? ` — ${detail}` : ''}`,
  };
};

export const cannotStart: Rule<ContainerFacts> = ({ entry, status }) => {
  const waiting = status.state?.waiting;
  const reason = waiting?.reason;
  if (!reason || !CANNOT_START.has(reason)) return undefined;
  const container = entry.name;
  const message = cap(waiting.message);
  return {
    key: `start|${container}|${reason}|${message}`,
    severity: 'error',
    code: 'cannot-start',
    container,
    describe: (at) => `container ${container} cannot start ${at}: ${reason}${message ? ` — ${message}` : ''}`,
  };
};

export const exitedWithError: Rule<ContainerFacts> = ({ entry, status }) => {
  const terminated = status.state?.terminated;
  if (!terminated || terminated.exitCode === 0) return undefined;
  const container = entry.name;
  const exit = exitText(terminated);
  return {
    key: `exit|${container}|${exit}`,
    severity: 'error',
    code: 'exited-with-error',
    container,
    describe: (at) => `container ${container} exited with ${exit} ${at}`,
  };
};

export const restarted: Rule<ContainerFacts> = ({ entry, status, now }) => {
  const last = status.lastState?.terminated;
  const restarts = status.restartCount ?? 0;
  if (!(restarts > 0 && last)) return undefined;
  const container = entry.name;
  const lastExit = exitText(last);
  const ago = last.finishedAt ? ` ${formatAge(last.finishedAt, now)} ago` : '';
  return {
    key: `restart|${container}|${lastExit}`,
    severity: 'info',
    code: 'restarted',
    container,
    restarts,
    describe: (at, most) =>
      `container ${container} restarted ${at} (${restartsText(most)}; last exit ${lastExit}${ago})`,
  };
};

/** Running and not ready, with nothing else to explain it (it comes after every other container rule). */
export const notReady: Rule<ContainerFacts> = ({ pod, entry, status, explained, windowMinutes }) => {
  if (pod.status?.phase !== 'Running' || status.ready || explained.has(entry.name)) return undefined;
  if (!status.state?.running) return undefined;
  const container = entry.name;
  return {
    key: `not-ready|${container}`,
    severity: 'warning',
    code: 'not-ready',
    container,
    describe: (at) =>
      `container ${container} is running but not ready ${at} (no probe failure events in the last ${windowMinutes} min)`,
  };
};

// Probe rules

/** A start that needed a few startup probes, long resolved: a note. */
export const startedAfterProbes: Rule<ProbeFacts> = ({ failure, resolved }) => {
  if (!resolved || failure.probe !== 'startup') return undefined;
  const { container, count } = failure;
  return {
    key: `started-after-probes|${container}`,
    severity: 'info',
    code: 'startup-probe',
    container,
    describe: (at) =>
      `container ${container} started after ${count} failed startup probe${count === 1 ? '' : 's'} ${at} (resolved; the container is ready)`,
  };
};

const PROBE_CODE: Readonly<Record<ProbeFailure['probe'], FindingCode>> = {
  liveness: 'liveness-probe',
  startup: 'startup-probe',
  readiness: 'readiness-probe',
  probe: 'readiness-probe',
};

const PROBE_CONSEQUENCE: Readonly<Record<ProbeFailure['probe'], string>> = {
  liveness: ' — the kubelet restarts the container when it keeps failing',
  readiness: ' — the pod gets no Service traffic meanwhile',
  probe: ' — the pod gets no Service traffic meanwhile',
  startup: '',
};

export const probeFailing: Rule<ProbeFacts> = ({ failure, resolved, windowMinutes }) => {
  if (resolved) return undefined;
  const { container } = failure;
  return {
    key: `probe|${failure.probe}|${container}|${failure.message}`,
    severity: 'warning',
    code: PROBE_CODE[failure.probe],
    container,
    describe: (at) =>
      `${failure.probe} probe failing${container ? ` for container ${container}` : ''} ${at} (${failure.count}× in ${windowMinutes} min): ${failure.message}${PROBE_CONSEQUENCE[failure.probe]}`,
  };
};

// Rules for a Pending pod: unschedulable comes first, so pendingTooLong only sees pods the scheduler placed.

export const unschedulable: Rule<PodFacts> = ({ pod, name, events }) => {
  if (pod.status?.phase !== 'Pending') return undefined;
  const scheduled = pod.status.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status !== 'False') return undefined;
  const message = cap(scheduled.message) ?? cap(schedulingFailureMessage(name, events));
  const asks = schedulingAsks(pod);
  const reason = scheduled.reason && scheduled.reason !== 'Unschedulable' ? ` (${scheduled.reason})` : '';
  return {
    key: `unschedulable|${message}`,
    severity: 'error',
    code: 'unschedulable',
    describe: (at) =>
      `Pending: cannot be scheduled ${at}${message ? `: ${message}` : ''}${reason}${asks ? ` — the pod asks for ${asks}` : ''}`,
  };
};

/** Pending past the grace period with no container already explaining why. */
export const pendingTooLong: Rule<PodFacts> = ({ pod, name, now, explained }) => {
  if (pod.status?.phase !== 'Pending' || explained.size > 0) return undefined;
  const created = toDate(pod.metadata?.creationTimestamp);
  if (!created || now.getTime() - created.getTime() <= PENDING_GRACE_SECONDS * 1000) return undefined;
  const waiting = containersOf(pod)
    .map((entry) => entry.status?.state?.waiting?.reason)
    .filter((reason): reason is string => reason !== undefined);
  const age = formatAge(created, now);
  return {
    key: `pending|${name}`,
    severity: 'warning',
    code: 'pending',
    describe: (at) =>
      `Pending for ${age} ${at}${waiting.length > 0 ? ` (containers waiting: ${[...new Set(waiting)].join(', ')})` : ''}`,
  };
};
