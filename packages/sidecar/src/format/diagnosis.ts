/**
 * The reasoning behind diagnose: from plain pods, warning events and the owning workload to a rollout status,
 * per-pod details for the unhealthiest pods, plain-language findings ("container app was OOMKilled …") and
 * next steps that name the tools to use. Pure — no Kubernetes calls — so each verdict is unit-tested on
 * hand-written objects.
 */
import type {
  CoreV1Event,
  V1Container,
  V1ContainerStatus,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadObject } from '../kube/workloads.ts';
import { byteLength } from '../output/budget.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { formatAge, toDate, toIso } from './age.ts';
import { aggregateEvents, type EventRow } from './events.ts';
import { podStatus, readyCount, restartCount } from './pods.ts';

/** Free text from the cluster inside a diagnosis (condition and event messages) is cut to this. */
export const MESSAGE_CHARS = 240;
const MAX_FINDINGS = 12;
const MAX_NEXT_STEPS = 6;
const MAX_CONTAINERS_PER_POD = 6;
const MAX_PROBE_FAILURES_PER_POD = 4;
const MAX_OTHER_UNHEALTHY = 15;
/** A pod Pending longer than this without another explanation is reported as stuck. */
const PENDING_GRACE_SECONDS = 120;

export type Severity = 'error' | 'warning' | 'info';

export const FINDING_CODES = [
  'healthy',
  'oom-killed',
  'crash-loop',
  'image-pull',
  'cannot-start',
  'exited-with-error',
  'unschedulable',
  'pending',
  'readiness-probe',
  'liveness-probe',
  'startup-probe',
  'not-ready',
  'restarted',
  'evicted',
  'stuck-terminating',
  'node-lost',
  'rollout-stuck',
  'replica-failure',
  'replicas-unavailable',
  'rollout-in-progress',
  'rollout-paused',
  'scaled-to-zero',
  'no-pods',
  'job-failed',
  'volume',
  'warning-events',
  'more-findings',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly text: string;
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

export interface Rollout {
  readonly workload: string;
  readonly desired?: number | undefined;
  readonly updated?: number | undefined;
  readonly ready?: number | undefined;
  readonly available?: number | undefined;
  readonly summary: string;
  /** Progressing=False with ProgressDeadlineExceeded: the controller gave up waiting for the new pods. */
  readonly stuck: boolean;
  readonly paused?: boolean | undefined;
  readonly conditions: readonly Condition[];
}

export interface ContainerDetail {
  readonly name: string;
  /** Omitted for app containers. */
  readonly kind?: 'init' | 'sidecar' | undefined;
  readonly image?: string | undefined;
  readonly ready: boolean;
  readonly restarts: number;
  /** running | waiting: <reason> | terminated: <reason> (exit <code>) */
  readonly state: string;
  readonly message?: string | undefined;
  readonly last_termination?:
    | { readonly reason: string; readonly exit_code: number; readonly finished_at?: string | undefined }
    | undefined;
  readonly memory_limit?: string | undefined;
  readonly cpu_limit?: string | undefined;
}

export interface ProbeFailure {
  readonly probe: 'readiness' | 'liveness' | 'startup' | 'probe';
  readonly container?: string | undefined;
  readonly count: number;
  readonly last_seen?: string | undefined;
  readonly message: string;
}

export interface LogExcerpt {
  readonly container: string;
  /** previous: the crashed instance; current: the running one (when the previous log was unavailable). */
  readonly source: 'previous' | 'current';
  readonly lines: readonly string[];
  readonly note?: string | undefined;
}

export interface PodDetail {
  readonly name: string;
  readonly status: string;
  readonly phase: string;
  readonly ready: string;
  readonly restarts: number;
  readonly node?: string | undefined;
  readonly age: string;
  /** Conditions that are not True, with why. */
  readonly conditions: readonly Condition[];
  readonly containers: readonly ContainerDetail[];
  readonly probe_failures: readonly ProbeFailure[];
  readonly logs: readonly LogExcerpt[];
}

export interface PodsSummary {
  readonly total: number;
  readonly ready: number;
  readonly by_status: Readonly<Record<string, number>>;
  readonly examined: number;
  /** Unhealthy pods not examined in detail (raise max_pods, or diagnose one with pod). */
  readonly others_unhealthy: readonly string[];
}

export interface Diagnosis {
  readonly target: string;
  readonly healthy: boolean;
  readonly findings: readonly Finding[];
  readonly next_steps: readonly string[];
  readonly rollout?: Rollout | undefined;
  readonly pods_summary: PodsSummary;
  readonly pods: readonly PodDetail[];
  readonly events: readonly EventRow[];
  readonly events_omitted: number;
  /** What was left out: to keep the answer within its byte budget, or beyond a read cap. */
  readonly trimmed?: readonly string[] | undefined;
}

export interface DiagnosisInput {
  /** Kind/name of what was diagnosed: the workload, or the pod when one was named. */
  readonly target: string;
  readonly workload?:
    | { readonly kind: WorkloadKind; readonly name: string; readonly object: WorkloadObject }
    | undefined;
  /** Every pod of the target (just the one when a pod was named). */
  readonly pods: readonly V1Pod[];
  /** The pods examined in detail, as chosen by examinedPods. */
  readonly examined: readonly V1Pod[];
  /** Warning events about the target, its owned objects and pods, already narrowed to the window. */
  readonly events: readonly CoreV1Event[];
  readonly eventsWindowMinutes: number;
  readonly maxEvents: number;
  /** Log excerpts by `<pod>/<container>`. */
  readonly logs: ReadonlyMap<string, LogExcerpt>;
  /** Tools the caller can use; next steps name no others. */
  readonly tools: ReadonlySet<string>;
  readonly now: Date;
}

function cap(text: string | undefined, chars = MESSAGE_CHARS): string | undefined {
  if (text === undefined) return undefined;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return undefined;
  return flat.length > chars ? `${flat.slice(0, chars)}…` : flat;
}

// ---------------------------------------------------------------------------------------------------------
// Rollout

function conditionsOf(
  conditions: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }> | undefined,
): Condition[] {
  return (conditions ?? []).map((condition) => ({
    type: condition.type,
    status: condition.status,
    reason: condition.reason || undefined,
    message: cap(condition.message),
  }));
}

/** Replica counts, conditions and a one-line summary for any workload kind podmcp knows. */
export function rolloutStatus(kind: WorkloadKind, name: string, object: WorkloadObject): Rollout {
  const workload = `${kind}/${name}`;
  switch (kind) {
    case 'Deployment': {
      const deployment = object as V1Deployment;
      const status = deployment.status ?? {};
      const desired = deployment.spec?.replicas ?? 1;
      const updated = status.updatedReplicas ?? 0;
      const ready = status.readyReplicas ?? 0;
      const available = status.availableReplicas ?? 0;
      const conditions = conditionsOf(status.conditions);
      const stuck = conditions.some(
        (condition) => condition.type === 'Progressing' && condition.reason === 'ProgressDeadlineExceeded',
      );
      const paused = deployment.spec?.paused === true;
      const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
      const rolling = updated < desired || (status.replicas ?? 0) > desired;
      const state = stuck
        ? 'rollout stuck (ProgressDeadlineExceeded)'
        : paused
          ? 'rollout paused'
          : !observed
            ? 'latest change not yet seen by the controller'
            : rolling
              ? 'rollout in progress'
              : available < desired
                ? `rolled out, ${desired - available} unavailable`
                : 'rollout complete';
      return {
        workload,
        desired,
        updated,
        ready,
        available,
        summary: `${ready}/${desired} ready, ${updated} up to date, ${available} available; ${state}`,
        stuck,
        paused: paused || undefined,
        conditions,
      };
    }
    case 'StatefulSet': {
      const set = object as V1StatefulSet;
      const status = set.status ?? { replicas: 0 };
      const desired = set.spec?.replicas ?? 1;
      const ready = status.readyReplicas ?? 0;
      const updated = status.updatedReplicas ?? 0;
      const available = status.availableReplicas ?? 0;
      const rolling = status.updateRevision !== undefined && status.currentRevision !== status.updateRevision;
      return {
        workload,
        desired,
        updated,
        ready,
        available,
        summary: `${ready}/${desired} ready, ${updated} updated, ${available} available${rolling ? '; rolling update in progress' : ''}`,
        stuck: false,
        conditions: conditionsOf(status.conditions),
      };
    }
    case 'DaemonSet': {
      const set = object as V1DaemonSet;
      const status = set.status;
      const desired = status?.desiredNumberScheduled ?? 0;
      const ready = status?.numberReady ?? 0;
      const updated = status?.updatedNumberScheduled ?? 0;
      const available = status?.numberAvailable ?? 0;
      return {
        workload,
        desired,
        updated,
        ready,
        available,
        summary: `${ready}/${desired} ready, ${updated} updated, ${available} available${status?.numberMisscheduled ? `, ${status.numberMisscheduled} misscheduled` : ''}`,
        stuck: false,
        conditions: conditionsOf(status?.conditions),
      };
    }
    case 'ReplicaSet': {
      const set = object as V1ReplicaSet;
      const status = set.status ?? { replicas: 0 };
      const desired = set.spec?.replicas ?? 1;
      const ready = status.readyReplicas ?? 0;
      const available = status.availableReplicas ?? 0;
      return {
        workload,
        desired,
        ready,
        available,
        summary: `${ready}/${desired} ready, ${available} available`,
        stuck: false,
        conditions: conditionsOf(status.conditions),
      };
    }
    case 'Job': {
      const job = object as V1Job;
      const status = job.status ?? {};
      const conditions = conditionsOf(status.conditions);
      const done = conditions.find(
        (condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
      );
      return {
        workload,
        desired: job.spec?.completions ?? undefined,
        summary: `${status.active ?? 0} active, ${status.succeeded ?? 0} succeeded, ${status.failed ?? 0} failed${done ? `; ${done.type}` : ''}${job.spec?.suspend ? '; suspended' : ''}`,
        stuck: false,
        conditions,
      };
    }
    case 'CronJob': {
      const cron = object as V1CronJob;
      const last = cron.status?.lastScheduleTime;
      return {
        workload,
        summary: `schedule "${cron.spec?.schedule ?? '?'}"${cron.spec?.suspend ? ', suspended' : ''}, ${cron.status?.active?.length ?? 0} active job(s)${last ? `, last scheduled ${toIso(last)}` : ', never scheduled'}`,
        stuck: false,
        conditions: [],
      };
    }
  }
}

function rolloutFindings(kind: WorkloadKind, object: WorkloadObject, rollout: Rollout, podCount: number): Finding[] {
  const findings: Finding[] = [];
  const condition = (type: string) => rollout.conditions.find((item) => item.type === type);
  if (rollout.stuck) {
    const progressing = condition('Progressing');
    findings.push({
      severity: 'error',
      code: 'rollout-stuck',
      text: `rollout stuck: ProgressDeadlineExceeded${progressing?.message ? ` — ${progressing.message}` : ''}`,
    });
  }
  const replicaFailure = condition('ReplicaFailure');
  if (replicaFailure?.status === 'True') {
    findings.push({
      severity: 'error',
      code: 'replica-failure',
      text: `${rollout.workload} cannot create pods: ${replicaFailure.reason ?? 'ReplicaFailure'}${replicaFailure.message ? ` — ${replicaFailure.message}` : ''}`,
    });
  }
  if (kind === 'Job') {
    const failed = condition('Failed');
    if (failed?.status === 'True') {
      findings.push({
        severity: 'error',
        code: 'job-failed',
        text: `${rollout.workload} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` — ${failed.message}` : ''}`,
      });
    }
  }
  if (kind === 'CronJob' && (object as V1CronJob).spec?.suspend) {
    findings.push({ severity: 'info', code: 'rollout-paused', text: `${rollout.workload} is suspended` });
  }
  const { desired, available, updated } = rollout;
  if (desired !== undefined && kind !== 'Job') {
    if (desired === 0) {
      findings.push({
        severity: 'info',
        code: 'scaled-to-zero',
        text: `${rollout.workload} is scaled to 0 replicas, so no pods are expected`,
      });
    } else if (podCount === 0) {
      findings.push({
        severity: 'error',
        code: 'no-pods',
        text: `no pods exist although ${desired} are desired — the controller cannot create them (see FailedCreate events: quota, admission webhook, PodSecurity)`,
      });
    } else if (available !== undefined && available < desired) {
      findings.push({
        severity: 'warning',
        code: 'replicas-unavailable',
        text: `only ${available}/${desired} replicas available`,
      });
    }
    if (rollout.paused) {
      findings.push({ severity: 'warning', code: 'rollout-paused', text: 'the rollout is paused (spec.paused)' });
    } else if (!rollout.stuck && updated !== undefined && updated < desired && desired > 0) {
      findings.push({
        severity: 'info',
        code: 'rollout-in-progress',
        text: `rollout in progress: ${updated}/${desired} replicas on the new version`,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------
// Pods

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CANNOT_START = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'ContainerCannotRun',
  'PreStartHookError',
  'PostStartHookError',
  'StartError',
]);

interface ContainerEntry {
  readonly spec: V1Container | undefined;
  readonly status: V1ContainerStatus | undefined;
  readonly name: string;
  readonly kind?: 'init' | 'sidecar';
}

function containersOf(pod: V1Pod): ContainerEntry[] {
  const statuses = new Map<string, V1ContainerStatus>();
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    statuses.set(status.name, status);
  }
  const init = (pod.spec?.initContainers ?? []).map(
    (spec): ContainerEntry => ({
      spec,
      status: statuses.get(spec.name),
      name: spec.name,
      kind: spec.restartPolicy === 'Always' ? 'sidecar' : 'init',
    }),
  );
  const app = (pod.spec?.containers ?? []).map(
    (spec): ContainerEntry => ({ spec, status: statuses.get(spec.name), name: spec.name }),
  );
  return [...app, ...init];
}

function isCompletedInit(entry: ContainerEntry): boolean {
  return entry.kind === 'init' && entry.status?.state?.terminated?.exitCode === 0;
}

/** How bad a container looks: 0 healthy, higher is worse. */
function containerScore(entry: ContainerEntry, podPhase: string | undefined): number {
  const status = entry.status;
  if (!status || isCompletedInit(entry)) return 0;
  const waiting = status.state?.waiting?.reason;
  const terminated = status.state?.terminated;
  if (waiting === 'CrashLoopBackOff' || (waiting && (IMAGE_PULL.has(waiting) || CANNOT_START.has(waiting)))) return 100;
  if (terminated && terminated.exitCode !== 0) return 95;
  if (status.lastState?.terminated?.reason === 'OOMKilled') return 90;
  if (podPhase === 'Running' && !status.ready && !terminated) return 50;
  if ((status.restartCount ?? 0) > 0) return 20 + Math.min(status.restartCount ?? 0, 10);
  return 0;
}

/** How bad a pod looks, for choosing which to examine: 0 healthy, higher is worse. */
export function podProblemScore(pod: V1Pod, now: Date): number {
  const phase = pod.status?.phase;
  let score = Math.max(0, ...containersOf(pod).map((entry) => containerScore(entry, phase)));
  if (phase === 'Failed' || pod.status?.reason === 'Evicted') score = Math.max(score, 90);
  if (phase === 'Unknown') score = Math.max(score, 85);
  if (phase === 'Pending') {
    const unschedulable = pod.status?.conditions?.some(
      (condition) => condition.type === 'PodScheduled' && condition.status === 'False',
    );
    score = Math.max(score, unschedulable ? 80 : 60);
  }
  if (phase === 'Running' && readyCondition(pod) === 'False') score = Math.max(score, 50);
  if (isStuckTerminating(pod, now)) score = Math.max(score, 40);
  return score;
}

function readyCondition(pod: V1Pod): string | undefined {
  return pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status;
}

function isStuckTerminating(pod: V1Pod, now: Date): boolean {
  const deleted = toDate(pod.metadata?.deletionTimestamp);
  if (!deleted) return false;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? 30;
  return now.getTime() - deleted.getTime() > (grace + 60) * 1000;
}

/**
 * The pods worth a close look: the named one, else the unhealthiest `max` (worst first, then most
 * restarts). Healthy pods are never examined: their summary says all there is.
 */
export function examinedPods(pods: readonly V1Pod[], max: number, now: Date, focus?: string): V1Pod[] {
  if (focus !== undefined) return pods.filter((pod) => pod.metadata?.name === focus).slice(0, 1);
  return pods
    .map((pod) => ({ pod, score: podProblemScore(pod, now) }))
    .filter((entry) => entry.score > 0)
    .sort(
      (a, b) =>
        b.score - a.score ||
        restartCount(b.pod) - restartCount(a.pod) ||
        (a.pod.metadata?.name ?? '').localeCompare(b.pod.metadata?.name ?? ''),
    )
    .slice(0, max)
    .map((entry) => entry.pod);
}

export interface LogTarget {
  readonly pod: string;
  readonly container: string;
  /** Read the previous instance (it crashed or restarted); the tool falls back to the current log. */
  readonly previous: boolean;
}

/** Containers whose log explains a crash: crash-looping, restarted, or exited with an error. At most `max`. */
export function logTargets(pods: readonly V1Pod[], max: number): LogTarget[] {
  const targets: LogTarget[] = [];
  for (const pod of pods) {
    for (const entry of containersOf(pod)) {
      const status = entry.status;
      if (!status || isCompletedInit(entry)) continue;
      const crashed =
        status.state?.waiting?.reason === 'CrashLoopBackOff' ||
        status.lastState?.terminated !== undefined ||
        (status.restartCount ?? 0) > 0;
      const failed = status.state?.terminated !== undefined && status.state.terminated.exitCode !== 0;
      if (!crashed && !failed) continue;
      targets.push({
        pod: pod.metadata?.name ?? '',
        container: entry.name,
        previous: crashed && (status.lastState?.terminated !== undefined || (status.restartCount ?? 0) > 0),
      });
      if (targets.length >= max) return targets;
    }
  }
  return targets;
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

function podDetail(
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

// ---------------------------------------------------------------------------------------------------------
// Findings

/** One problem seen in one pod; problems with the same key in several pods become one finding. */
interface Issue {
  readonly key: string;
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly pod: string;
  readonly container?: string | undefined;
  readonly restarts?: number | undefined;
  /** The finding's text, given where it was seen ("in pod web-1", "in 3 pods (…)") and the most restarts. */
  readonly describe: (where: string, restarts: number) => string;
}

function where(pods: readonly string[]): string {
  if (pods.length === 1) return `in pod ${pods[0]}`;
  const shown = pods.slice(0, 3).join(', ');
  return `in ${pods.length} pods (${shown}${pods.length > 3 ? `, +${pods.length - 3}` : ''})`;
}

function exitText(terminated: { reason?: string; exitCode: number } | undefined): string {
  return terminated ? `${terminated.reason ?? 'Terminated'} (exit ${terminated.exitCode})` : '';
}

function podIssues(pod: V1Pod, events: readonly CoreV1Event[], windowMinutes: number, now: Date): Issue[] {
  const name = pod.metadata?.name ?? '?';
  const phase = pod.status?.phase;
  const issues: Issue[] = [];
  const add = (issue: Omit<Issue, 'pod'>) => issues.push({ ...issue, pod: name });
  const containerProblem = new Set<string>();

  if (pod.status?.reason === 'Evicted') {
    const message = cap(pod.status.message);
    add({
      key: `evicted|${message}`,
      severity: 'warning',
      code: 'evicted',
      describe: (at) => `pod evicted ${at}${message ? `: ${message}` : ''}`,
    });
  }
  if (phase === 'Unknown') {
    add({
      key: 'node-lost',
      severity: 'error',
      code: 'node-lost',
      describe: (at) => `pod status Unknown ${at}: its node stopped reporting`,
    });
  }
  if (isStuckTerminating(pod, now)) {
    const since = formatAge(pod.metadata?.deletionTimestamp, now);
    const finalizers = pod.metadata?.finalizers ?? [];
    add({
      key: `terminating|${name}`,
      severity: 'warning',
      code: 'stuck-terminating',
      describe: (at) =>
        `pod stuck Terminating for ${since} ${at}${finalizers.length > 0 ? ` (finalizers: ${finalizers.join(', ')})` : ''}`,
    });
  }

  for (const entry of containersOf(pod)) {
    const status = entry.status;
    if (!status || isCompletedInit(entry)) continue;
    const container = entry.name;
    const waiting = status.state?.waiting;
    const terminated = status.state?.terminated;
    const last = status.lastState?.terminated;
    const restarts = status.restartCount ?? 0;
    const restartsText = (count: number) => `${count} restart${count === 1 ? '' : 's'}`;
    const oom = terminated?.reason === 'OOMKilled' || last?.reason === 'OOMKilled';
    if (oom) {
      const limit = entry.spec?.resources?.limits?.memory;
      const looping = waiting?.reason === 'CrashLoopBackOff';
      add({
        key: `oom|${container}|${limit}`,
        severity: 'error',
        code: 'oom-killed',
        container,
        restarts,
        describe: (at, most) =>
          `container ${container} was OOMKilled ${at} (${restartsText(most)}; ${limit ? `memory limit ${limit}` : 'no memory limit, so the node ran short of memory'})${looping ? ', now in CrashLoopBackOff' : ''}`,
      });
      containerProblem.add(container);
      continue;
    }
    if (waiting?.reason === 'CrashLoopBackOff') {
      const lastExit = exitText(last);
      add({
        key: `crash|${container}|${lastExit}`,
        severity: 'error',
        code: 'crash-loop',
        container,
        restarts,
        describe: (at, most) =>
          `container ${container} is crash-looping (CrashLoopBackOff) ${at}: ${restartsText(most)}${lastExit ? `, last exit ${lastExit}` : ''}`,
      });
      containerProblem.add(container);
      continue;
    }
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      const image = entry.spec?.image ?? status.image;
      const detail = pullFailureMessage(name, container, image, waiting.message, events);
      const reason = waiting.reason;
      add({
        key: `image|${container}|${image}`,
        severity: 'error',
        code: 'image-pull',
        container,
        describe: (at) =>
          `image pull failing for container ${container} (${image}) ${at}: ${reason}${detail ? ` — ${detail}` : ''}`,
      });
      containerProblem.add(container);
      continue;
    }
    if (waiting?.reason && CANNOT_START.has(waiting.reason)) {
      const message = cap(waiting.message);
      const reason = waiting.reason;
      add({
        key: `start|${container}|${reason}|${message}`,
        severity: 'error',
        code: 'cannot-start',
        container,
        describe: (at) => `container ${container} cannot start ${at}: ${reason}${message ? ` — ${message}` : ''}`,
      });
      containerProblem.add(container);
      continue;
    }
    if (terminated && terminated.exitCode !== 0) {
      const exit = exitText(terminated);
      add({
        key: `exit|${container}|${exit}`,
        severity: 'error',
        code: 'exited-with-error',
        container,
        describe: (at) => `container ${container} exited with ${exit} ${at}`,
      });
      containerProblem.add(container);
      continue;
    }
    if (restarts > 0 && last) {
      const lastExit = exitText(last);
      const ago = last.finishedAt ? ` ${formatAge(last.finishedAt, now)} ago` : '';
      add({
        key: `restart|${container}|${lastExit}`,
        severity: 'info',
        code: 'restarted',
        container,
        restarts,
        describe: (at, most) =>
          `container ${container} restarted ${at} (${restartsText(most)}; last exit ${lastExit}${ago})`,
      });
    }
  }

  for (const failure of probeFailures(name, events)) {
    if (resolvedBeforeReady(failure, pod)) {
      if (failure.probe === 'startup') {
        const container = failure.container;
        const count = failure.count;
        add({
          key: `started-after-probes|${container}`,
          severity: 'info',
          code: 'startup-probe',
          container,
          describe: (at) =>
            `container ${container} started after ${count} failed startup probe${count === 1 ? '' : 's'} ${at} (resolved; the container is ready)`,
        });
      }
      continue;
    }
    const code: FindingCode =
      failure.probe === 'liveness'
        ? 'liveness-probe'
        : failure.probe === 'startup'
          ? 'startup-probe'
          : 'readiness-probe';
    const consequence =
      failure.probe === 'liveness'
        ? ' — the kubelet restarts the container when it keeps failing'
        : failure.probe === 'readiness' || failure.probe === 'probe'
          ? ' — the pod gets no Service traffic meanwhile'
          : '';
    const container = failure.container;
    add({
      key: `probe|${failure.probe}|${container}|${failure.message}`,
      severity: 'warning',
      code,
      container,
      describe: (at) =>
        `${failure.probe} probe failing${container ? ` for container ${container}` : ''} ${at} (${failure.count}× in ${windowMinutes} min): ${failure.message}${consequence}`,
    });
    if (container) containerProblem.add(container);
  }

  if (phase === 'Running') {
    for (const entry of containersOf(pod)) {
      const status = entry.status;
      if (!status || isCompletedInit(entry) || status.ready || containerProblem.has(entry.name)) continue;
      if (!status.state?.running) continue;
      const container = entry.name;
      add({
        key: `not-ready|${container}`,
        severity: 'warning',
        code: 'not-ready',
        container,
        describe: (at) =>
          `container ${container} is running but not ready ${at} (no probe failure events in the last ${windowMinutes} min)`,
      });
    }
  }

  if (phase === 'Pending') {
    const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
    if (scheduled?.status === 'False') {
      const message = cap(scheduled.message) ?? cap(schedulingFailureMessage(name, events));
      const asks = schedulingAsks(pod);
      add({
        key: `unschedulable|${message}`,
        severity: 'error',
        code: 'unschedulable',
        describe: (at) =>
          `Pending: cannot be scheduled ${at}${message ? `: ${message}` : ''}${scheduled.reason && scheduled.reason !== 'Unschedulable' ? ` (${scheduled.reason})` : ''}${asks ? ` — the pod asks for ${asks}` : ''}`,
      });
    } else if (containerProblem.size === 0) {
      const created = toDate(pod.metadata?.creationTimestamp);
      if (created && now.getTime() - created.getTime() > PENDING_GRACE_SECONDS * 1000) {
        const waiting = containersOf(pod)
          .map((entry) => entry.status?.state?.waiting?.reason)
          .filter((reason): reason is string => reason !== undefined);
        const age = formatAge(created, now);
        add({
          key: `pending|${name}`,
          severity: 'warning',
          code: 'pending',
          describe: (at) =>
            `Pending for ${age} ${at}${waiting.length > 0 ? ` (containers waiting: ${[...new Set(waiting)].join(', ')})` : ''}`,
        });
      }
    }
  }
  return issues;
}

/**
 * What the scheduler weighs from the pod itself, to read beside its message: each container's requests (the
 * scheduler adds them up), the nodeSelector and whether it has a node affinity. Undefined when it asks for nothing.
 */
export function schedulingAsks(pod: V1Pod): string | undefined {
  const containers = pod.spec?.containers ?? [];
  const requests = containers.flatMap((container) => {
    const entries = Object.entries(container.resources?.requests ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return [];
    const text = entries.map(([resource, quantity]) => `${resource} ${quantity}`).join(', ');
    return [containers.length > 1 ? `${container.name}: ${text}` : text];
  });
  const parts: string[] = [];
  if (requests.length > 0) parts.push(`requests ${requests.join('; ')}`);
  const selector = Object.entries(pod.spec?.nodeSelector ?? {}).map(([key, value]) => `${key}=${value}`);
  if (selector.length > 0) parts.push(`nodeSelector ${selector.join(', ')}`);
  if (pod.spec?.affinity?.nodeAffinity) parts.push('a node affinity');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * The registry's own answer for a failing pull ("manifest unknown", "not found", "unauthorized"), chosen the
 * same way whatever order the events arrive in: the kubelet also writes "Error: ErrImagePull",
 * "Error: ImagePullBackOff" and "Back-off pulling image", which only repeat the state. Among the pod's pull
 * messages and the container's waiting message, the most specific wins, then the newest, then the text.
 */
function pullFailureMessage(
  pod: string,
  container: string,
  image: string | undefined,
  waitingMessage: string | undefined,
  events: readonly CoreV1Event[],
): string | undefined {
  const candidates: Array<{ message: string; at: number }> = [];
  for (const item of events) {
    const message = item.message ?? '';
    if (item.involvedObject?.kind !== 'Pod' || item.involvedObject.name !== pod) continue;
    if (!/pull|image/i.test(message) || !/^(Failed|BackOff|ErrImagePull|InspectFailed)$/.test(item.reason ?? ''))
      continue;
    const fieldPath = item.involvedObject.fieldPath;
    if (fieldPath && !fieldPath.includes(`{${container}}`)) continue;
    if (image && /"[^"]+"/.test(message) && !message.includes(image)) continue;
    candidates.push({ message, at: eventTime(item) });
  }
  if (waitingMessage) candidates.push({ message: waitingMessage, at: 0 });
  const best = candidates.sort(
    (a, b) =>
      pullSpecificity(b.message) - pullSpecificity(a.message) ||
      b.at - a.at ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  )[0];
  return cap(best?.message);
}

/** 2: the registry or runtime said why; 1: names the image but not why; 0: only the state's name. */
function pullSpecificity(message: string): number {
  if (/^(Error: )?(ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName)$/i.test(message.trim())) return 0;
  if (/^Back-off pulling image/i.test(message.trim())) return 1;
  return /failed to pull|not found|manifest unknown|unauthorized|denied|forbidden|no such host|timeout|x509|invalid/i.test(
    message,
  )
    ? 2
    : 1;
}

function eventTime(event: CoreV1Event): number {
  const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
  const time = at ? new Date(at as unknown as string).getTime() : 0;
  return Number.isFinite(time) ? time : 0;
}

function schedulingFailureMessage(pod: string, events: readonly CoreV1Event[]): string | undefined {
  return events.find(
    (item) =>
      item.involvedObject?.kind === 'Pod' && item.involvedObject.name === pod && item.reason === 'FailedScheduling',
  )?.message;
}

/** Warning reasons already explained by a pod or rollout finding. */
const EXPLAINED_REASONS = new Set([
  'BackOff',
  'Unhealthy',
  'FailedScheduling',
  'Failed',
  'ErrImageNeverPull',
  'InspectFailed',
  'ProgressDeadlineExceeded',
]);
const VOLUME_REASONS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedMapVolume', 'VolumeResizeFailed']);

function eventFindings(events: readonly CoreV1Event[], rolloutCodes: ReadonlySet<FindingCode>): Finding[] {
  const rows = aggregateEvents(events).filter((row) => row.type === 'Warning' && !EXPLAINED_REASONS.has(row.reason));
  const findings: Finding[] = [];
  for (const row of rows) {
    if (row.reason === 'FailedCreate' && rolloutCodes.has('replica-failure')) continue;
    const volume = VOLUME_REASONS.has(row.reason);
    findings.push({
      severity: row.reason === 'FailedCreate' || volume ? 'error' : 'warning',
      code: volume ? 'volume' : 'warning-events',
      text: `${row.reason} on ${row.object} (${row.count}×): ${cap(row.message) ?? ''}`,
    });
    if (findings.length >= 3) break;
  }
  return findings;
}

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };
/** Consequences of the other findings: listed after the causes of the same severity. */
const SYMPTOMS = new Set<FindingCode>(['replicas-unavailable', 'rollout-in-progress']);

function mergeIssues(issues: readonly Issue[]): Array<Finding & { pods: string[]; container?: string | undefined }> {
  const groups = new Map<string, { issue: Issue; pods: string[]; restarts: number }>();
  for (const issue of issues) {
    const group = groups.get(issue.key);
    if (group) {
      if (!group.pods.includes(issue.pod)) group.pods.push(issue.pod);
      group.restarts = Math.max(group.restarts, issue.restarts ?? 0);
    } else {
      groups.set(issue.key, { issue, pods: [issue.pod], restarts: issue.restarts ?? 0 });
    }
  }
  return [...groups.values()].map(({ issue, pods, restarts }) => ({
    severity: issue.severity,
    code: issue.code,
    text: issue.describe(where(pods), restarts),
    pods,
    container: issue.container,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Next steps

/**
 * A next step: a call with the arguments to make it (checked against the tool's input schema in the tests),
 * or advice without a tool. Rendered `tool {arg: "value"} — why`.
 */
export interface Step {
  readonly tool?: string;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
  readonly text: string;
}

export function renderStep(step: Step): string {
  if (!step.tool) return step.text;
  const args = Object.entries(step.args ?? {})
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
  return `${step.tool} {${args}} — ${step.text}`;
}

const RESOURCE_KIND_OF: Readonly<Record<string, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Pod: 'pods',
};

/** `Deployment/web` as get_resources arguments; a bare name is a Deployment's, as everywhere else. */
function resourceArgs(reference: string): { kind: string; name: string } {
  const slash = reference.indexOf('/');
  if (slash < 0) return { kind: 'deployments', name: reference };
  return { kind: RESOURCE_KIND_OF[reference.slice(0, slash)] ?? 'pods', name: reference.slice(slash + 1) };
}

/** The ConfigMap a container cannot start without, as the kubelet names it ("configmap \"app\" not found"). */
function missingConfigMap(text: string): string | undefined {
  return (
    /couldn't find key \S+ in ConfigMap (?:[a-z0-9.-]+\/)?([a-z0-9.-]+)/i.exec(text)?.[1] ??
    /configmaps? "([a-z0-9.-]+)" not found/i.exec(text)?.[1]
  );
}

export function stepsFor(
  finding: { code: FindingCode; text?: string; pods?: readonly string[]; container?: string | undefined },
  workload: string,
  logs: ReadonlyMap<string, LogExcerpt>,
): Step[] {
  const pod = finding.pods?.[0];
  const container = finding.container;
  const podArgs = { ...(pod ? { pod } : {}), ...(container ? { container } : {}) };
  const haveLog = pod !== undefined && container !== undefined && logs.has(`${pod}/${container}`);
  const previousLog: Step = {
    tool: 'get_pod_logs',
    args: { ...podArgs, previous: true },
    text: `the crashed instance's last output${haveLog ? ' (its tail is included below; raise tail_lines for more)' : ''}`,
  };
  const events = (object: string, extra: Record<string, string | boolean> = {}) => ({
    tool: 'list_events',
    args: { object, ...extra },
  });
  switch (finding.code) {
    case 'oom-killed':
      return [
        {
          text: `Raise the memory limit of container ${container} (or its requests, to land on a roomier node), or find the leak; restarting will not help`,
        },
        previousLog,
        {
          tool: 'inspect_app',
          args: { aspect: 'metrics', filter: 'memory|heap' },
          text: 'the app’s memory metrics, if it exposes them',
        },
      ];
    case 'crash-loop':
    case 'exited-with-error':
    case 'restarted':
      return [
        previousLog,
        { tool: 'get_resources', args: resourceArgs(workload), text: `the command, env and config of ${workload}` },
      ];
    case 'image-pull':
      return [
        {
          text: 'Check the image name and tag exist in the registry and that imagePullSecrets grant access',
        },
        ...(pod ? [{ ...events(`Pod/${pod}`), text: "the registry's exact answer" }] : []),
      ];
    case 'cannot-start': {
      const configMap = missingConfigMap(finding.text ?? '');
      return [
        {
          tool: 'get_resources',
          args: configMap ? { kind: 'configmaps', name: configMap } : { kind: 'configmaps' },
          text: configMap
            ? `the keys ConfigMap ${configMap} has (a missing key or ConfigMap is the usual cause)`
            : 'the ConfigMaps and keys the container references (a missing one is the usual cause)',
        },
      ];
    }
    case 'unschedulable':
      return [
        {
          tool: 'get_resources',
          args: resourceArgs(workload),
          text: `compare the pods' requests, nodeSelector, affinity and tolerations with the scheduler's message (this sidecar cannot read nodes)`,
        },
      ];
    case 'pending':
    case 'volume':
      return pod ? [{ ...events(`Pod/${pod}`), text: 'mount, sandbox and pull events' }] : [];
    case 'readiness-probe':
    case 'liveness-probe':
    case 'startup-probe':
    case 'not-ready':
      return [
        { tool: 'inspect_app', args: { aspect: 'health' }, text: 'call the app’s health endpoint from inside the pod' },
        {
          tool: 'get_pod_logs',
          args: { ...podArgs, grep: 'error|exception|timeout' },
          text: 'what the app says while failing',
        },
      ];
    case 'rollout-stuck':
      return [
        ...(workload.startsWith('Deployment/')
          ? [
              {
                tool: 'rollback_deployment',
                args: { workload, reason: `rollout of ${workload} is stuck`, dry_run: true },
                text: 'if the new version is at fault, see what returning to the previous one changes',
              },
            ]
          : []),
        { text: 'Fix the cause in the findings above; the rollout resumes by itself once new pods become ready' },
      ];
    case 'replica-failure':
    case 'no-pods':
      return [
        { ...events(workload, { reason: 'FailedCreate' }), text: 'quota, admission webhook or PodSecurity denials' },
      ];
    case 'replicas-unavailable':
      return [
        {
          tool: 'list_pods',
          args: { workload, problems_only: true },
          text: 'which pods are not available',
        },
      ];
    case 'job-failed':
    case 'warning-events':
      return [{ ...events(workload, { warnings_only: true }), text: 'the full warning history' }];
    case 'evicted':
      return [
        {
          text: 'Evictions follow node pressure or exceeded ephemeral-storage limits; check the pod’s requests and limits',
        },
      ];
    case 'stuck-terminating':
      return [{ text: 'A pod stuck Terminating waits on a finalizer or a node that stopped reporting' }];
    case 'healthy':
      return [
        {
          tool: 'inspect_app',
          args: { aspect: 'health' },
          text: 'the app’s own health, if users still report a problem',
        },
        {
          tool: 'get_pod_logs',
          args: { grep: 'error|exception' },
          text: 'errors the app logged without crashing',
        },
      ];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Assembly

export function buildDiagnosis(input: DiagnosisInput): Diagnosis {
  const { now } = input;
  const rollout = input.workload
    ? rolloutStatus(input.workload.kind, input.workload.name, input.workload.object)
    : undefined;
  const rolloutResults =
    input.workload && rollout
      ? rolloutFindings(input.workload.kind, input.workload.object, rollout, input.pods.length)
      : [];
  const podResults = mergeIssues(
    input.pods.flatMap((pod) => podIssues(pod, input.events, input.eventsWindowMinutes, now)),
  );
  const eventResults = eventFindings(input.events, new Set(rolloutResults.map((finding) => finding.code)));
  let all: Array<Finding & { pods?: string[]; container?: string | undefined }> = [
    ...rolloutResults,
    ...podResults,
    ...eventResults,
  ];
  const healthy = !all.some((finding) => finding.severity !== 'info');
  const readyPods = input.pods.filter((pod) => readyCondition(pod) === 'True').length;
  if (healthy) {
    all.unshift({
      severity: 'info',
      code: 'healthy',
      text: `no problems found: ${readyPods}/${input.pods.length} pod(s) ready, no warning events in the last ${input.eventsWindowMinutes} min${all.length > 0 ? ' (notes below)' : ''}`,
    });
  }
  all = all
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
        Number(SYMPTOMS.has(a.finding.code)) - Number(SYMPTOMS.has(b.finding.code)) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
  const findings: Finding[] = all.slice(0, MAX_FINDINGS).map(({ severity, code, text }) => ({ severity, code, text }));
  if (all.length > MAX_FINDINGS) {
    findings.push({
      severity: 'info',
      code: 'more-findings',
      text: `${all.length - MAX_FINDINGS} more finding(s) not shown; diagnose one pod with pod for its details`,
    });
  }

  // Steps about replicas and configuration name the owning workload even when one pod was diagnosed.
  const owner = rollout?.workload ?? input.target;
  // A start that needed a few startup probes is a note, not something to investigate.
  const steps: Step[] = all.flatMap((finding) =>
    finding.severity === 'info' && finding.code === 'startup-probe' ? [] : stepsFor(finding, owner, input.logs),
  );
  const seen = new Set<string>();
  const nextSteps: string[] = [];
  for (const step of steps) {
    if (step.tool && !input.tools.has(step.tool)) continue;
    const text = renderStep(step);
    if (seen.has(text)) continue;
    seen.add(text);
    nextSteps.push(text);
    if (nextSteps.length >= MAX_NEXT_STEPS) break;
  }

  const examinedNames = new Set(input.examined.map((pod) => pod.metadata?.name));
  const byStatus: Record<string, number> = {};
  for (const pod of input.pods) {
    const status = podStatus(pod);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }
  const othersUnhealthy = input.pods
    .filter((pod) => !examinedNames.has(pod.metadata?.name) && podProblemScore(pod, now) > 0)
    .map((pod) => pod.metadata?.name ?? '?');
  const eventRows = aggregateEvents(input.events);
  return {
    target: input.target,
    healthy,
    findings,
    next_steps: nextSteps,
    rollout,
    pods_summary: {
      total: input.pods.length,
      ready: readyPods,
      by_status: byStatus,
      examined: input.examined.length,
      others_unhealthy: othersUnhealthy.slice(0, MAX_OTHER_UNHEALTHY),
    },
    pods: input.examined.map((pod) => podDetail(pod, input.events, input.logs, now)),
    events: eventRows.slice(0, input.maxEvents),
    events_omitted: Math.max(0, eventRows.length - input.maxEvents),
  };
}

/**
 * Shrinks a diagnosis until its JSON fits `maxBytes`, dropping the least telling parts first (long log
 * tails, then extra events, then extra pods) and saying what went.
 */
export function fitDiagnosis(diagnosis: Diagnosis, maxBytes: number): Diagnosis {
  let current = diagnosis;
  const trimmed: string[] = [...(diagnosis.trimmed ?? [])];
  const steps: Array<[string, (value: Diagnosis) => Diagnosis]> = [
    ['log tails shortened to 10 lines', (value) => mapLogs(value, (log) => ({ ...log, lines: log.lines.slice(-10) }))],
    ['events beyond the first 4 left out', (value) => limitDiagnosisEvents(value, 4)],
    ['log tails beyond the first pod left out', (value) => keepLogs(value, 1)],
    ['pods beyond the first 3 left out', (value) => limitPods(value, 3)],
    ['all log tails left out', (value) => keepLogs(value, 0)],
    ['events left out', (value) => limitDiagnosisEvents(value, 0)],
    ['pods beyond the first left out', (value) => limitPods(value, 1)],
  ];
  for (const [what, step] of steps) {
    if (byteLength(current) <= maxBytes) break;
    const next = step(current);
    if (byteLength(next) < byteLength(current)) {
      current = next;
      trimmed.push(what);
    }
  }
  return trimmed.length > 0 ? { ...current, trimmed } : current;
}

function mapLogs(diagnosis: Diagnosis, map: (log: LogExcerpt) => LogExcerpt): Diagnosis {
  return { ...diagnosis, pods: diagnosis.pods.map((pod) => ({ ...pod, logs: pod.logs.map(map) })) };
}

function keepLogs(diagnosis: Diagnosis, pods: number): Diagnosis {
  return {
    ...diagnosis,
    pods: diagnosis.pods.map((pod, index) => (index < pods ? pod : { ...pod, logs: [] })),
  };
}

function limitDiagnosisEvents(diagnosis: Diagnosis, count: number): Diagnosis {
  if (diagnosis.events.length <= count) return diagnosis;
  return {
    ...diagnosis,
    events: diagnosis.events.slice(0, count),
    events_omitted: diagnosis.events_omitted + diagnosis.events.length - count,
  };
}

function limitPods(diagnosis: Diagnosis, count: number): Diagnosis {
  if (diagnosis.pods.length <= count) return diagnosis;
  const dropped = diagnosis.pods.slice(count).map((pod) => pod.name);
  return {
    ...diagnosis,
    pods: diagnosis.pods.slice(0, count),
    pods_summary: {
      ...diagnosis.pods_summary,
      examined: count,
      others_unhealthy: [...dropped, ...diagnosis.pods_summary.others_unhealthy].slice(0, MAX_OTHER_UNHEALTHY),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Text

const MARK: Readonly<Record<Severity, string>> = { error: '✗', warning: '!', info: '·' };

/**
 * Our own verdict line and next steps around one untrusted frame with everything that quotes the cluster
 * (findings embed scheduler and kubelet messages), and a frame per log tail.
 */
export function renderDiagnosis(diagnosis: Diagnosis, namespace: string, now: Date): string {
  const problems = diagnosis.findings.filter((finding) => finding.severity !== 'info').length;
  const header = diagnosis.healthy
    ? `${diagnosis.target} in ${namespace}: no problems found.`
    : `${diagnosis.target} in ${namespace}: ${problems} problem(s) found.`;
  const body: string[] = ['Findings:', ...diagnosis.findings.map((f) => `${MARK[f.severity]} ${f.text}`)];
  if (diagnosis.rollout) {
    body.push(`Rollout ${diagnosis.rollout.workload}: ${diagnosis.rollout.summary}`);
    for (const condition of diagnosis.rollout.conditions) {
      if (condition.status === 'True' && !condition.reason?.includes('Exceeded')) continue;
      body.push(
        `  ${condition.type}=${condition.status} ${condition.reason ?? ''}${condition.message ? `: ${condition.message}` : ''}`,
      );
    }
  }
  const summary = diagnosis.pods_summary;
  const statuses = Object.entries(summary.by_status)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  body.push(
    `Pods: ${summary.total} total, ${summary.ready} ready${statuses ? ` (${statuses})` : ''}; ${summary.examined} examined${summary.others_unhealthy.length > 0 ? `; also unhealthy: ${summary.others_unhealthy.join(', ')}` : ''}`,
  );
  for (const pod of diagnosis.pods) {
    body.push(
      `Pod ${pod.name}: ${pod.status}, ${pod.ready} ready, ${pod.restarts} restart(s), age ${pod.age}${pod.node ? `, node ${pod.node}` : ''}`,
    );
    for (const condition of pod.conditions) {
      body.push(
        `  condition ${condition.type}=${condition.status}${condition.reason ? ` ${condition.reason}` : ''}${condition.message ? `: ${condition.message}` : ''}`,
      );
    }
    for (const container of pod.containers) {
      const last = container.last_termination;
      const limits = [
        container.memory_limit ? `memory ${container.memory_limit}` : '',
        container.cpu_limit ? `cpu ${container.cpu_limit}` : '',
      ]
        .filter((item) => item !== '')
        .join(', ');
      body.push(
        `  container ${container.name}${container.kind ? ` (${container.kind})` : ''}: ${container.state}, ${container.ready ? 'ready' : 'not ready'}, ${container.restarts} restart(s)${last ? `, last exit ${last.reason} (${last.exit_code})${last.finished_at ? ` ${formatAge(last.finished_at, now)} ago` : ''}` : ''}${limits ? `, limits ${limits}` : ''}${container.message ? ` — ${container.message}` : ''}`,
      );
    }
    for (const probe of pod.probe_failures) {
      body.push(
        `  ${probe.probe} probe failed ${probe.count}×${probe.container ? ` (${probe.container})` : ''}${probe.last_seen ? `, last ${formatAge(probe.last_seen, now)} ago` : ''}: ${probe.message}`,
      );
    }
  }
  if (diagnosis.events.length > 0) {
    body.push(
      `Recent warning events${diagnosis.events_omitted > 0 ? ` (${diagnosis.events_omitted} more: list_events)` : ''}:`,
    );
    body.push(
      ...diagnosis.events.map(
        (row) =>
          `  ${row.reason} ×${row.count} ${row.object}${row.last_seen ? ` (last ${formatAge(row.last_seen, now)} ago)` : ''}: ${row.message}`,
      ),
    );
  }
  const parts = [header, frameUntrusted(`diagnosis of ${diagnosis.target}`, body.join('\n'))];
  for (const pod of diagnosis.pods) {
    for (const log of pod.logs) {
      const label = `${log.source} log of ${pod.name}/${log.container}`;
      const note = log.note ? `(${log.note})\n` : '';
      parts.push(
        log.lines.length > 0
          ? `${note}${frameUntrusted(label, log.lines.join('\n'))}`
          : `${label}: ${log.note ?? 'empty'}`,
      );
    }
  }
  if (diagnosis.trimmed && diagnosis.trimmed.length > 0) parts.push(`Trimmed to fit: ${diagnosis.trimmed.join('; ')}.`);
  if (diagnosis.next_steps.length > 0) {
    parts.push(`Next steps:\n${diagnosis.next_steps.map((step) => `- ${step}`).join('\n')}`);
  }
  return parts.join('\n');
}
