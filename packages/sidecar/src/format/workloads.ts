/**
 * Workload rows: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs with the rollout state an SRE asks
 * for first — complete, progressing, stuck (ProgressDeadlineExceeded, a ReplicaFailure), paused, or degraded
 * (rolled out, but fewer replicas available than desired) — and why. Mirrors what `kubectl rollout status`
 * decides, on plain objects.
 */
import type {
  V1Container,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1DeploymentCondition,
  V1Job,
  V1ObjectMeta,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { formatAge } from './age.ts';

export type RolloutState = 'complete' | 'progressing' | 'stuck' | 'paused' | 'degraded';

export interface Rollout {
  readonly state: RolloutState;
  /** Why, in one line; absent when complete and fully available. */
  readonly detail?: string;
}

export type WorkloadRowKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob';

export interface WorkloadRow {
  readonly kind: WorkloadRowKind;
  readonly name: string;
  readonly age: string;
  readonly images: string[];
  /** Set on the workload (or Job) this sidecar runs in. */
  self?: boolean;
  // Deployments, StatefulSets, DaemonSets.
  readonly desired?: number;
  readonly updated?: number;
  readonly ready?: number;
  readonly available?: number;
  readonly rollout?: RolloutState;
  readonly revision?: string;
  // Jobs and CronJobs.
  readonly status?: string;
  readonly completions?: string;
  readonly active?: number;
  readonly failed?: number;
  readonly duration?: string;
  readonly schedule?: string;
  readonly suspended?: boolean;
  readonly last_schedule?: string;
  readonly last_successful?: string;
  /** Why the state is what it is (a condition message, what is still waiting). */
  readonly detail?: string;
}

const MAX_IMAGES = 4;

export function imagesOf(containers: readonly V1Container[] | undefined): string[] {
  const images = [...new Set((containers ?? []).map((container) => container.image ?? '?'))];
  return images.length <= MAX_IMAGES ? images : [...images.slice(0, MAX_IMAGES), `+${images.length - MAX_IMAGES} more`];
}

function condition(
  conditions: readonly V1DeploymentCondition[] | undefined,
  type: string,
): V1DeploymentCondition | undefined {
  return conditions?.find((item) => item.type === type);
}

/** The spec change has not been seen by the controller yet: nothing below it is about the latest spec. */
function unobserved(metadata: V1ObjectMeta | undefined, observed: number | undefined): string | undefined {
  const generation = metadata?.generation;
  if (generation === undefined || observed === undefined || observed >= generation) return undefined;
  return `the controller has not yet acted on the latest spec (generation ${generation}, observed ${observed}); if this persists, the controller is not running`;
}

export function deploymentRollout(deployment: V1Deployment): Rollout {
  const spec = deployment.spec;
  const status = deployment.status ?? {};
  const desired = spec?.replicas ?? 1;
  const conditions = status.conditions;
  const failure = condition(conditions, 'ReplicaFailure');
  if (failure?.status === 'True') {
    return {
      state: 'stuck',
      detail: `ReplicaFailure (${failure.reason ?? 'unknown'}): ${failure.message ?? ''}`.trim(),
    };
  }
  const progressing = condition(conditions, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'stuck', detail: `ProgressDeadlineExceeded: ${progressing.message ?? 'no progress'}` };
  }
  const waiting = unobserved(deployment.metadata, status.observedGeneration);
  if (waiting) return { state: 'progressing', detail: waiting };
  if (spec?.paused) return { state: 'paused', detail: 'rollout paused (spec.paused); resume it to continue' };
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  // A finished rollout that lost replicas later is not "in progress": the Progressing condition says so.
  const rolledOut = progressing?.reason === 'NewReplicaSetAvailable';
  if (updated < desired) {
    return rolledOut && replicas === updated
      ? { state: 'degraded', detail: `${updated} of ${desired} replicas exist` }
      : { state: 'progressing', detail: `${updated} of ${desired} new replicas updated` };
  }
  if (replicas > updated) {
    return { state: 'progressing', detail: `${replicas - updated} old replica(s) pending termination` };
  }
  if (available < updated) {
    return rolledOut
      ? { state: 'degraded', detail: `${available} of ${desired} replicas available` }
      : { state: 'progressing', detail: `${available} of ${updated} updated replicas available` };
  }
  return { state: 'complete' };
}

export function statefulSetRollout(statefulSet: V1StatefulSet): Rollout {
  const status = statefulSet.status;
  const desired = statefulSet.spec?.replicas ?? 1;
  const waiting = unobserved(statefulSet.metadata, status?.observedGeneration);
  if (waiting) return { state: 'progressing', detail: waiting };
  const ready = status?.readyReplicas ?? 0;
  const updated = status?.updatedReplicas ?? 0;
  const strategy = statefulSet.spec?.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  const revisionsDiffer = status?.updateRevision !== undefined && status.updateRevision !== status.currentRevision;
  if (strategy?.type === 'OnDelete' && revisionsDiffer) {
    return {
      state: 'progressing',
      detail: `OnDelete strategy: ${updated} of ${desired} pods on the new revision; the rest change only when deleted`,
    };
  }
  if (updated < desired - partition) {
    return {
      state: 'progressing',
      detail: `${updated} of ${desired - partition} pods updated${partition > 0 ? ` (partition ${partition})` : ''}`,
    };
  }
  if (ready < desired) {
    // Past the update, missing readiness is a replica problem, not a rollout.
    return revisionsDiffer && partition === 0
      ? { state: 'progressing', detail: `${ready} of ${desired} pods ready` }
      : { state: 'degraded', detail: `${ready} of ${desired} pods ready` };
  }
  if (revisionsDiffer && partition === 0) {
    return { state: 'progressing', detail: 'waiting for the new revision to become current' };
  }
  return { state: 'complete' };
}

export function daemonSetRollout(daemonSet: V1DaemonSet): Rollout {
  const status = daemonSet.status;
  const waiting = unobserved(daemonSet.metadata, status?.observedGeneration);
  if (waiting) return { state: 'progressing', detail: waiting };
  const desired = status?.desiredNumberScheduled ?? 0;
  const updated = status?.updatedNumberScheduled ?? 0;
  const available = status?.numberAvailable ?? 0;
  const misscheduled = status?.numberMisscheduled ?? 0;
  const suffix = misscheduled > 0 ? `; ${misscheduled} pod(s) on nodes they should not run on` : '';
  if (updated < desired) return { state: 'progressing', detail: `${updated} of ${desired} pods updated${suffix}` };
  if (available < desired) return { state: 'degraded', detail: `${available} of ${desired} pods available${suffix}` };
  return suffix ? { state: 'degraded', detail: suffix.slice(2) } : { state: 'complete' };
}

export function deploymentRow(deployment: V1Deployment, now: Date): WorkloadRow {
  const rollout = deploymentRollout(deployment);
  const status = deployment.status;
  return {
    kind: 'Deployment',
    name: deployment.metadata?.name ?? '?',
    age: formatAge(deployment.metadata?.creationTimestamp, now),
    images: imagesOf(deployment.spec?.template.spec?.containers),
    desired: deployment.spec?.replicas ?? 1,
    updated: status?.updatedReplicas ?? 0,
    ready: status?.readyReplicas ?? 0,
    available: status?.availableReplicas ?? 0,
    rollout: rollout.state,
    ...revisionOf(deployment.metadata),
    ...(rollout.detail ? { detail: rollout.detail } : {}),
  };
}

export function statefulSetRow(statefulSet: V1StatefulSet, now: Date): WorkloadRow {
  const rollout = statefulSetRollout(statefulSet);
  const status = statefulSet.status;
  return {
    kind: 'StatefulSet',
    name: statefulSet.metadata?.name ?? '?',
    age: formatAge(statefulSet.metadata?.creationTimestamp, now),
    images: imagesOf(statefulSet.spec?.template.spec?.containers),
    desired: statefulSet.spec?.replicas ?? 1,
    updated: status?.updatedReplicas ?? 0,
    ready: status?.readyReplicas ?? 0,
    available: status?.availableReplicas ?? 0,
    rollout: rollout.state,
    ...(status?.updateRevision ? { revision: status.updateRevision } : {}),
    ...(rollout.detail ? { detail: rollout.detail } : {}),
  };
}

export function daemonSetRow(daemonSet: V1DaemonSet, now: Date): WorkloadRow {
  const rollout = daemonSetRollout(daemonSet);
  const status = daemonSet.status;
  return {
    kind: 'DaemonSet',
    name: daemonSet.metadata?.name ?? '?',
    age: formatAge(daemonSet.metadata?.creationTimestamp, now),
    images: imagesOf(daemonSet.spec?.template.spec?.containers),
    desired: status?.desiredNumberScheduled ?? 0,
    updated: status?.updatedNumberScheduled ?? 0,
    ready: status?.numberReady ?? 0,
    available: status?.numberAvailable ?? 0,
    rollout: rollout.state,
    ...(rollout.detail ? { detail: rollout.detail } : {}),
  };
}

/** Complete, Failed (with its reason), Suspended or Running, from the Job's conditions. */
export function jobStatus(job: V1Job): { status: string; detail?: string } {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((item) => item.type === type && item.status === 'True');
  const failed = isTrue('Failed');
  if (failed) {
    return {
      status: `Failed${failed.reason ? ` (${failed.reason})` : ''}`,
      ...(failed.message ? { detail: failed.message } : {}),
    };
  }
  if (isTrue('Complete')) return { status: 'Complete' };
  if (isTrue('Suspended') || job.spec?.suspend) return { status: 'Suspended' };
  if (isTrue('FailureTarget')) return { status: 'Failing' };
  return { status: (job.status?.active ?? 0) > 0 ? 'Running' : 'Pending' };
}

export function jobRow(job: V1Job, now: Date): WorkloadRow {
  const status = job.status;
  const { status: state, detail } = jobStatus(job);
  const wanted = job.spec?.completions;
  const started = status?.startTime;
  const finished = status?.completionTime;
  return {
    kind: 'Job',
    name: job.metadata?.name ?? '?',
    age: formatAge(job.metadata?.creationTimestamp, now),
    images: imagesOf(job.spec?.template.spec?.containers),
    status: state,
    // A work-queue Job (no completions) is done when any pod succeeds.
    completions: `${status?.succeeded ?? 0}/${wanted ?? 1}`,
    active: status?.active ?? 0,
    failed: status?.failed ?? 0,
    ...(started ? { duration: formatAge(started, finished ? new Date(finished) : now) } : {}),
    ...(detail ? { detail } : {}),
  };
}

export function cronJobRow(cronJob: V1CronJob, now: Date): WorkloadRow {
  const spec = cronJob.spec;
  const status = cronJob.status;
  const suspended = spec?.suspend ?? false;
  const active = status?.active?.length ?? 0;
  const ago = (time: Date | undefined) => (time ? `${formatAge(time, now)} ago` : 'never');
  return {
    kind: 'CronJob',
    name: cronJob.metadata?.name ?? '?',
    age: formatAge(cronJob.metadata?.creationTimestamp, now),
    images: imagesOf(spec?.jobTemplate.spec?.template.spec?.containers),
    status: suspended ? 'Suspended' : active > 0 ? 'Active' : 'Scheduled',
    schedule: `${spec?.schedule ?? '?'}${spec?.timeZone ? ` (${spec.timeZone})` : ''}`,
    suspended,
    active,
    last_schedule: ago(status?.lastScheduleTime),
    last_successful: ago(status?.lastSuccessfulTime),
    ...(lastRunFailed(status?.lastScheduleTime, status?.lastSuccessfulTime, active)
      ? { detail: 'the last scheduled run has not succeeded; list its Jobs and their pods' }
      : {}),
  };
}

// Scheduled after the last success and nothing running any more: the last run failed (or never finished).
function lastRunFailed(scheduled: Date | undefined, succeeded: Date | undefined, active: number): boolean {
  if (!scheduled || active > 0) return false;
  return !succeeded || new Date(succeeded).getTime() < new Date(scheduled).getTime();
}

function revisionOf(metadata: V1ObjectMeta | undefined): { revision?: string } {
  const revision = metadata?.annotations?.['deployment.kubernetes.io/revision'];
  return revision ? { revision } : {};
}

/** The compact one-line status column for tables. */
export function workloadStatusText(row: WorkloadRow): string {
  if (row.kind === 'Job')
    return `${row.status ?? ''} ${row.completions ?? ''} active=${row.active ?? 0} failed=${row.failed ?? 0}`;
  if (row.kind === 'CronJob') {
    return `${row.status ?? ''} "${row.schedule ?? ''}" last=${row.last_schedule ?? 'never'} ok=${row.last_successful ?? 'never'}`;
  }
  return `${row.rollout ?? ''} ${row.ready ?? 0}/${row.desired ?? 0} ready, ${row.updated ?? 0} updated, ${row.available ?? 0} available`;
}

/** `deployment.kubernetes.io/revision` as a number (0 when absent). */
export function revisionNumber(metadata: V1ObjectMeta | undefined): number {
  const revision = Number(metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '0');
  return Number.isFinite(revision) ? revision : 0;
}

/** The Deployment's current ReplicaSet: of those it controls, the one with the highest revision. */
export function newestReplicaSet(replicaSets: readonly V1ReplicaSet[], deployment: string): V1ReplicaSet | undefined {
  let newest: V1ReplicaSet | undefined;
  for (const replicaSet of replicaSets) {
    const owner = replicaSet.metadata?.ownerReferences?.find((ref) => ref.controller);
    if (owner?.kind !== 'Deployment' || owner.name !== deployment) continue;
    if (!newest || revisionNumber(replicaSet.metadata) > revisionNumber(newest.metadata)) newest = replicaSet;
  }
  return newest;
}
