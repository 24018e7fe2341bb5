/**
 * What a workload's own status says is wrong, before looking at any pod: a stuck or paused rollout, a
 * controller that cannot create pods, a failed Job, fewer replicas than desired. An ordered list of rules,
 * each a pure function of the rollout; every rule that holds adds its finding.
 */
import type { V1CronJob } from '@kubernetes/client-node';
import type { WorkloadKind, WorkloadObject } from '../kube/workloads.ts';
import type { Finding } from './findings.ts';
import type { Condition, Rollout } from './model.ts';

export interface RolloutFacts {
  readonly kind: WorkloadKind;
  readonly object: WorkloadObject;
  readonly rollout: Rollout;
  /** How many pods the workload has now. */
  readonly podCount: number;
}

export type RolloutRule = (facts: RolloutFacts) => Finding | undefined;

function condition(rollout: Rollout, type: string): Condition | undefined {
  return rollout.conditions.find((item) => item.type === type);
}

export const rolloutStuck: RolloutRule = ({ rollout }) => {
  if (!rollout.stuck) return undefined;
  const progressing = condition(rollout, 'Progressing');
  return {
    severity: 'error',
    code: 'rollout-stuck',
    text: `rollout stuck: ProgressDeadlineExceeded${progressing?.message ? ` — ${progressing.message}` : ''}`,
  };
};

export const replicaFailure: RolloutRule = ({ rollout }) => {
  const failure = condition(rollout, 'ReplicaFailure');
  if (failure?.status !== 'True') return undefined;
  return {
    severity: 'error',
    code: 'replica-failure',
    text: `${rollout.workload} cannot create pods: ${failure.reason ?? 'ReplicaFailure'}${failure.message ? ` — ${failure.message}` : ''}`,
  };
};

export const jobFailed: RolloutRule = ({ kind, rollout }) => {
  if (kind !== 'Job') return undefined;
  const failed = condition(rollout, 'Failed');
  if (failed?.status !== 'True') return undefined;
  return {
    severity: 'error',
    code: 'job-failed',
    text: `${rollout.workload} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` — ${failed.message}` : ''}`,
  };
};

export const cronJobSuspended: RolloutRule = ({ kind, object, rollout }) =>
  kind === 'CronJob' && (object as V1CronJob).spec?.suspend
    ? { severity: 'info', code: 'rollout-paused', text: `${rollout.workload} is suspended` }
    : undefined;

/** Replicas are counted for every kind but a Job, and only when the kind has a desired count. */
function desiredReplicas({ kind, rollout }: RolloutFacts): number | undefined {
  return kind === 'Job' ? undefined : rollout.desired;
}

/** The first that holds of: scaled to zero, no pods at all, fewer available than desired. */
export const replicaShortfall: RolloutRule = (facts) => {
  const desired = desiredReplicas(facts);
  if (desired === undefined) return undefined;
  const { rollout, podCount } = facts;
  if (desired === 0) {
    return {
      severity: 'info',
      code: 'scaled-to-zero',
      text: `${rollout.workload} is scaled to 0 replicas, so no pods are expected`,
    };
  }
  if (podCount === 0) {
    return {
      severity: 'error',
      code: 'no-pods',
      text: `no pods exist although ${desired} are desired — the controller cannot create them (see FailedCreate events: quota, admission webhook, PodSecurity)`,
    };
  }
  if (rollout.available !== undefined && rollout.available < desired) {
    return {
      severity: 'warning',
      code: 'replicas-unavailable',
      text: `only ${rollout.available}/${desired} replicas available`,
    };
  }
  return undefined;
};

/** A paused rollout, else one still moving replicas to the new version (a stuck one is reported above). */
export const rolloutPace: RolloutRule = (facts) => {
  const desired = desiredReplicas(facts);
  if (desired === undefined) return undefined;
  const { rollout } = facts;
  if (rollout.paused) {
    return { severity: 'warning', code: 'rollout-paused', text: 'the rollout is paused (spec.paused)' };
  }
  const { updated } = rollout;
  if (!rollout.stuck && updated !== undefined && updated < desired && desired > 0) {
    return {
      severity: 'info',
      code: 'rollout-in-progress',
      text: `rollout in progress: ${updated}/${desired} replicas on the new version`,
    };
  }
  return undefined;
};

/** In the order their findings are listed. */
export const ROLLOUT_RULES: readonly RolloutRule[] = [
  rolloutStuck,
  replicaFailure,
  jobFailed,
  cronJobSuspended,
  replicaShortfall,
  rolloutPace,
];

export function rolloutFindings(facts: RolloutFacts): Finding[] {
  return ROLLOUT_RULES.flatMap((rule) => rule(facts) ?? []);
}
