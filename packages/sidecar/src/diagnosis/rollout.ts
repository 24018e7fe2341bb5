/**
 * A workload's rollout: replica counts, conditions and a one-line summary, read the way each kind's
 * controller reports them (a Deployment's Progressing condition, a StatefulSet's revisions, a Job's
 * Complete/Failed, a CronJob's schedule).
 */
import type { V1CronJob, V1DaemonSet, V1Deployment, V1Job, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { toIso } from '../format/age.ts';
import type { WorkloadKind, WorkloadObject } from '../kube/workloads.ts';
import { conditionsOf } from './cluster-text.ts';
import type { Rollout } from './model.ts';

type RolloutOf = (workload: string, object: WorkloadObject) => Rollout;

const ROLLOUT_OF: Readonly<Record<WorkloadKind, RolloutOf>> = {
  Deployment: (workload, object) => deploymentRollout(workload, object as V1Deployment),
  StatefulSet: (workload, object) => statefulSetRollout(workload, object as V1StatefulSet),
  DaemonSet: (workload, object) => daemonSetRollout(workload, object as V1DaemonSet),
  ReplicaSet: (workload, object) => replicaSetRollout(workload, object as V1ReplicaSet),
  Job: (workload, object) => jobRollout(workload, object as V1Job),
  CronJob: (workload, object) => cronJobRollout(workload, object as V1CronJob),
};

/** Replica counts, conditions and a one-line summary for any workload kind podmcp knows. */
export function rolloutStatus(kind: WorkloadKind, name: string, object: WorkloadObject): Rollout {
  return ROLLOUT_OF[kind](`${kind}/${name}`, object);
}

function deploymentRollout(workload: string, deployment: V1Deployment): Rollout {
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
  const state = deploymentState(deployment, { stuck, paused, desired, updated, available });
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

/** Where a Deployment's rollout stands, the first that holds of: stuck, paused, unseen, rolling, short, complete. */
function deploymentState(
  deployment: V1Deployment,
  facts: { stuck: boolean; paused: boolean; desired: number; updated: number; available: number },
): string {
  const { stuck, paused, desired, updated, available } = facts;
  const status = deployment.status ?? {};
  if (stuck) return 'rollout stuck (ProgressDeadlineExceeded)';
  if (paused) return 'rollout paused';
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return 'latest change not yet seen by the controller';
  }
  if (updated < desired || (status.replicas ?? 0) > desired) return 'rollout in progress';
  if (available < desired) return `rolled out, ${desired - available} unavailable`;
  return 'rollout complete';
}

function statefulSetRollout(workload: string, set: V1StatefulSet): Rollout {
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

function daemonSetRollout(workload: string, set: V1DaemonSet): Rollout {
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

function replicaSetRollout(workload: string, set: V1ReplicaSet): Rollout {
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

function jobRollout(workload: string, job: V1Job): Rollout {
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

function cronJobRollout(workload: string, cron: V1CronJob): Rollout {
  const last = cron.status?.lastScheduleTime;
  return {
    workload,
    summary: `schedule "${cron.spec?.schedule ?? '?'}"${cron.spec?.suspend ? ', suspended' : ''}, ${cron.status?.active?.length ?? 0} active job(s)${last ? `, last scheduled ${toIso(last)}` : ', never scheduled'}`,
    stuck: false,
    conditions: [],
  };
}
