/**
 * Pod summaries: the columns an SRE reads first (ready, status, restarts, age, node), with the status worked
 * out the way kubectl does — the most telling container reason wins over the pod phase.
 */
import type { V1ContainerStateTerminated, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatAge } from './age.ts';

export interface PodRow {
  readonly name: string;
  readonly ready: string;
  readonly status: string;
  readonly restarts: number;
  readonly age: string;
  readonly node?: string | undefined;
  readonly ip?: string | undefined;
  /** Controller kind/name, e.g. ReplicaSet/web-7d9c. */
  readonly owner?: string | undefined;
}

export function podStatus(pod: V1Pod): string {
  const status = pod.status;
  let reason = status?.reason || status?.phase || 'Unknown';
  if (status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  const initStatuses = status?.initContainerStatuses ?? [];
  const sidecars = sidecarNames(pod);
  let initializing = false;
  for (const [index, container] of initStatuses.entries()) {
    if (sidecars.has(container.name)) continue;
    const terminated = container.state?.terminated;
    if (terminated && terminated.exitCode === 0) continue;
    const waiting = container.state?.waiting?.reason;
    if (terminated) reason = `Init:${terminatedReason(terminated)}`;
    else if (waiting && waiting !== 'PodInitializing') reason = `Init:${waiting}`;
    else reason = `Init:${index}/${pod.spec?.initContainers?.length ?? initStatuses.length}`;
    initializing = true;
    break;
  }
  if (!initializing || conditionTrue(pod, 'Initialized')) {
    // Last to first, so the first container with something to say has the last word (as kubectl does).
    let hasRunning = false;
    for (const container of [...(status?.containerStatuses ?? [])].reverse()) {
      const waiting = container.state?.waiting?.reason;
      const terminated = container.state?.terminated;
      if (waiting) reason = waiting;
      else if (terminated) reason = terminatedReason(terminated);
      else if (container.ready && container.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp) {
    if (status?.reason === 'NodeLost') return 'Unknown';
    if (status?.phase !== 'Succeeded' && status?.phase !== 'Failed') return 'Terminating';
  }
  return reason;
}

/** Ready containers over declared ones; native sidecars (restartable init containers) count, as in kubectl. */
export function readyCount(pod: V1Pod): string {
  const sidecars = sidecarNames(pod);
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []).filter((status) => sidecars.has(status.name)),
  ];
  const total = (pod.spec?.containers.length ?? pod.status?.containerStatuses?.length ?? 0) + sidecars.size;
  return `${statuses.filter((status) => status.ready).length}/${total}`;
}

/** Restarts of the containers and native sidecars; a plain init container's only while the pod initializes. */
export function restartCount(pod: V1Pod): number {
  const sidecars = sidecarNames(pod);
  const initializing = podStatus(pod).startsWith('Init:');
  const all: V1ContainerStatus[] = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []).filter((status) => initializing || sidecars.has(status.name)),
  ];
  return all.reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
}

function sidecarNames(pod: V1Pod): Set<string> {
  return new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
}

function terminatedReason(terminated: V1ContainerStateTerminated): string {
  return terminated.reason || (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
}

function conditionTrue(pod: V1Pod, type: string): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === type && condition.status === 'True') ?? false;
}

export function podRow(pod: V1Pod, now: Date): PodRow {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller) ?? pod.metadata?.ownerReferences?.[0];
  return {
    name: pod.metadata?.name ?? '?',
    ready: readyCount(pod),
    status: podStatus(pod),
    restarts: restartCount(pod),
    age: formatAge(pod.metadata?.creationTimestamp, now),
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    owner: owner ? `${owner.kind}/${owner.name}` : undefined,
  };
}

/** A fixed-width table, the compact text form of a list. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
