/**
 * Whether an applied action had the effect it was meant to have, judged from what the API server shows
 * afterwards. Each check is pure (objects in, verdict out) and honest: a change the controller has not acted
 * on yet is "not-observed", a rollout still going is "in-progress", never "complete".
 */
import type { V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import type { Verification } from './contract.ts';
import { RESTARTED_AT_ANNOTATION } from './patches.ts';
import { isControlledBy } from './revisions.ts';
import { sameTemplate } from './templates.ts';

/** Settled: nothing more will be learned by waiting within the action's budget. */
export function isSettled(verification: Verification): boolean {
  return verification.state === 'complete' || verification.state === 'failed';
}

function hasObservedSpec(object: {
  metadata?: { generation?: number };
  status?: { observedGeneration?: number };
}): boolean {
  return (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
}

/** A Deployment's rollout, judged as `kubectl rollout status` judges it. */
export function deploymentRollout(deployment: V1Deployment): Verification {
  if (!hasObservedSpec(deployment)) {
    return {
      state: 'not-observed',
      detail: `the Deployment controller has not observed generation ${deployment.metadata?.generation} yet`,
    };
  }
  const status = deployment.status ?? {};
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      detail: `the rollout exceeded its progress deadline (${progressing.message ?? 'no message'}); look at the new pods' events and logs`,
    };
  }
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return { state: 'in-progress', detail: `${updated} of ${desired} pods updated, ${available} available` };
  }
  if (total > updated) {
    return { state: 'in-progress', detail: `all ${desired} updated; ${total - updated} old pod(s) still terminating` };
  }
  if (available < updated) {
    return { state: 'in-progress', detail: `${available} of ${updated} updated pods available` };
  }
  return { state: 'complete', detail: `rolled out: ${updated} of ${desired} pods updated and available` };
}

/** A restart worked when a ReplicaSet carrying our restartedAt value exists and the rollout proceeds. */
export function restartOutcome(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
  restartedAt: string,
): Verification {
  const rollout = deploymentRollout(deployment);
  if (rollout.state === 'not-observed') return rollout;
  const created = replicaSets.find(
    (set) =>
      isControlledBy(set.metadata, deployment.metadata?.uid) &&
      set.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt,
  );
  if (!created) {
    const current = deployment.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
    if (current !== restartedAt) {
      return {
        state: 'failed',
        detail: `the pod template's restartedAt is now ${current ?? 'unset'}, not ${restartedAt}: something else changed the Deployment`,
      };
    }
    return { state: 'not-observed', detail: 'no ReplicaSet for the restarted template yet' };
  }
  return { ...rollout, detail: `new ReplicaSet ${created.metadata?.name}; ${rollout.detail}` };
}

/** A scale worked when spec.replicas holds the new count; it is complete once that many pods are ready. */
export function scaleOutcome(workload: V1Deployment | V1StatefulSet, desired: number): Verification {
  const specified = workload.spec?.replicas ?? 1;
  if (specified !== desired) {
    return {
      state: 'failed',
      detail: `spec.replicas is ${specified}, not ${desired}: something else (a HorizontalPodAutoscaler or another client) changed it`,
    };
  }
  if (!hasObservedSpec(workload)) {
    return { state: 'not-observed', detail: `spec.replicas is ${desired}; the controller has not acted on it yet` };
  }
  const existing = workload.status?.replicas ?? 0;
  const ready = workload.status?.readyReplicas ?? 0;
  if (existing === desired && ready === desired) {
    return { state: 'complete', detail: `${ready} of ${desired} pods ready` };
  }
  if (existing > desired) {
    return {
      state: 'in-progress',
      detail: `spec.replicas is ${desired}; ${existing - desired} pod(s) still being removed, ${ready} ready`,
    };
  }
  return { state: 'in-progress', detail: `spec.replicas is ${desired}; ${existing} pod(s) exist, ${ready} ready` };
}

export interface DeletionObservation {
  /** The uid of the pod that was deleted. */
  readonly deletedUid: string;
  /** What the pod's name reads as now (undefined: not found). */
  readonly current: V1Pod | undefined;
  /** A pod of the same controller that did not exist before the deletion. */
  readonly replacement: V1Pod | undefined;
  /** Whether a controller owns the pod and so should create a replacement. */
  readonly owned: boolean;
}

/** A deletion worked when the pod is gone or terminating, and (for an owned pod) a replacement exists. */
export function deletionOutcome(observation: DeletionObservation): Verification {
  const { current } = observation;
  const gone = !current || current.metadata?.uid !== observation.deletedUid;
  const terminating = !gone && current?.metadata?.deletionTimestamp !== undefined;
  if (!gone && !terminating) {
    return { state: 'not-observed', detail: 'the pod shows no deletion yet' };
  }
  const removal = gone ? 'the pod is gone' : 'the pod is terminating';
  if (!observation.owned) {
    return gone
      ? { state: 'complete', detail: `${removal}; nothing recreates it` }
      : { state: 'in-progress', detail: `${removal}; nothing recreates it` };
  }
  const replacement = observation.replacement;
  if (replacement) {
    return {
      state: 'complete',
      detail: `${removal}; replacement ${replacement.metadata?.name} created (${replacement.status?.phase ?? 'Pending'})`,
    };
  }
  return { state: 'in-progress', detail: `${removal}; its controller has not created a replacement yet` };
}

/** A rollback worked when the Deployment's template is the target revision's and the rollout proceeds. */
export function rollbackOutcome(
  deployment: V1Deployment,
  target: V1PodTemplateSpec,
  targetRevision: number,
): Verification {
  if (!sameTemplate(deployment.spec?.template, target)) {
    return {
      state: 'failed',
      detail: `the pod template no longer matches revision ${targetRevision}: something changed the Deployment again`,
    };
  }
  const rollout = deploymentRollout(deployment);
  return { ...rollout, detail: `template of revision ${targetRevision} in place; ${rollout.detail}` };
}
