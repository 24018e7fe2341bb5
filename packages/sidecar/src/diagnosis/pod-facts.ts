/**
 * Facts read off one pod that several parts of the diagnosis weigh: its containers with their statuses
 * (init and sidecar containers included), which waiting reasons mean a container cannot run, whether the
 * pod is ready or stuck terminating, and how bad each container looks.
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { toDate } from '../format/age.ts';

export const IMAGE_PULL: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
export const CANNOT_START: ReadonlySet<string> = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'ContainerCannotRun',
  'PreStartHookError',
  'PostStartHookError',
  'StartError',
]);

export interface ContainerEntry {
  readonly spec: V1Container | undefined;
  readonly status: V1ContainerStatus | undefined;
  readonly name: string;
  readonly kind?: 'init' | 'sidecar';
}

/** App containers first, then init and sidecar (restartPolicy Always) containers, each with its status. */
export function containersOf(pod: V1Pod): ContainerEntry[] {
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

export function isCompletedInit(entry: ContainerEntry): boolean {
  return entry.kind === 'init' && entry.status?.state?.terminated?.exitCode === 0;
}

/** How bad a container looks: 0 healthy, higher is worse. */
export function containerScore(entry: ContainerEntry, podPhase: string | undefined): number {
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

export function readyCondition(pod: V1Pod): string | undefined {
  return pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status;
}

/** Deleted longer ago than its grace period and a minute more: something holds it (a finalizer, a lost node). */
export function isStuckTerminating(pod: V1Pod, now: Date): boolean {
  const deleted = toDate(pod.metadata?.deletionTimestamp);
  if (!deleted) return false;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? 30;
  return now.getTime() - deleted.getTime() > (grace + 60) * 1000;
}
