/**
 * Which pods and logs are worth reading closely: the unhealthiest pods, worst first, and the containers
 * whose previous log explains a crash. Decided before any log is read, so diagnose reads only these.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { restartCount } from '../format/pods.ts';
import { containerScore, containersOf, isCompletedInit, isStuckTerminating, readyCondition } from './pod-facts.ts';

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
