/**
 * Pod summaries: the columns an SRE reads first (ready, status, restarts, age, node), with the status worked
 * out the way kubectl does — the most telling container reason wins over the pod phase.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
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
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  const sidecarNames = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  for (const [index, status] of initStatuses.entries()) {
    if (sidecarNames.has(status.name)) continue;
    const terminated = status.state?.terminated;
    if (terminated && terminated.exitCode === 0) continue;
    if (terminated) return `Init:${terminated.reason ?? `ExitCode:${terminated.exitCode}`}`;
    const waiting = status.state?.waiting?.reason;
    if (waiting && waiting !== 'PodInitializing') return `Init:${waiting}`;
    return `Init:${index}/${initStatuses.length}`;
  }
  let reason = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting?.reason;
    const terminated = status.state?.terminated;
    if (waiting) reason = waiting;
    else if (terminated)
      reason =
        terminated.reason ?? (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`);
  }
  return reason;
}

export function readyCount(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? statuses.length;
  return `${statuses.filter((status) => status.ready).length}/${total}`;
}

export function restartCount(pod: V1Pod): number {
  const all: V1ContainerStatus[] = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ];
  return all.reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
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
