/**
 * The sidecar container's memory on the real node, read on the node itself: its cgroup (current, lifetime peak,
 * anonymous versus file pages), its process's /proc status (resident set now and at its highest, the file-backed
 * part), and the V8 heap from the sidecar's own /metrics on its health port (reached at the pod IP).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { HEALTH_PORT_NAME } from '@podmcp/core';
import { sidecarOf } from '../../test/node/demo-workload.ts';
import { containerMemory } from '../../test/node/observe.ts';
import type { RealNode } from '../../test/node/real-node.ts';

/** The sidecar container's memory at one moment: cgroup figures, and what the process says of itself. */
export interface MemorySample {
  readonly currentBytes: number;
  /** The container's lifetime peak (cgroup v1 max_usage_in_bytes, v2 memory.peak). */
  readonly peakBytes: number;
  /** Anonymous and shared-memory pages: what reclaim cannot drop (the rest is file cache). */
  readonly anonBytes: number | null;
  readonly fileBytes: number | null;
  /** What the kubelet calls the working set: current minus inactive file pages. */
  readonly workingSetBytes: number | null;
  readonly heapUsedBytes: number | null;
  readonly heapTotalBytes: number | null;
  /** The process's resident set now and at its highest (VmRSS, VmHWM), and the file-backed part of it (RssFile). */
  readonly rssBytes: number | null;
  readonly rssPeakBytes: number | null;
  readonly rssFileBytes: number | null;
}

/** cgroup memory.stat of the container: anonymous (with shmem), file, inactive file; v1 and v2 names. */
function memoryStat(cgroup: string): { anon: number; file: number; inactiveFile: number } | null {
  let text: string;
  try {
    text = readFileSync(join(cgroup, 'memory.stat'), 'utf8');
  } catch {
    return null;
  }
  const stat = new Map(
    text
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string])
      .map(([key, value]) => [key, Number(value)] as const),
  );
  const get = (...keys: string[]) => keys.map((key) => stat.get(key)).find((value) => value !== undefined) ?? 0;
  // v1: total_rss holds anonymous memory; shmem (the memory-backed /tmp) is counted in cache.
  const shmem = get('total_shmem', 'shmem');
  if (stat.has('total_rss')) {
    const cache = get('total_cache');
    return { anon: get('total_rss') + shmem, file: cache - shmem, inactiveFile: get('total_inactive_file') };
  }
  return { anon: get('anon') + shmem, file: get('file') - shmem, inactiveFile: get('inactive_file') };
}

/** /proc/<pid>/status of the container's process (its cgroup's only process: Node as PID 1), in bytes. */
function processStatus(cgroup: string): Map<string, number> {
  const values = new Map<string, number>();
  try {
    const pid = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').trim().split('\n')[0];
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const match = /^(\w+):\s+(\d+) kB$/.exec(line);
      if (match) values.set(match[1] as string, Number(match[2]) * 1024);
    }
  } catch {
    // The process is gone (restarting): the sample says so by its missing figures.
  }
  return values;
}

function metricValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

async function sidecarMetrics(pod: V1Pod): Promise<string> {
  const port = sidecarOf(pod)?.ports?.find((entry) => entry.name === HEALTH_PORT_NAME)?.containerPort;
  if (!pod.status?.podIP || !port) return '';
  try {
    return await (
      await fetch(`http://${pod.status.podIP}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
    ).text();
  } catch {
    return '';
  }
}

export async function sample(
  node: RealNode,
  namespace: string,
  pod: V1Pod,
): Promise<MemorySample & { limitBytes: number | null }> {
  const name = pod.metadata?.name ?? '';
  const memory = await containerMemory(node.plane.kubeConfig, namespace, name, 'podmcp');
  const stat = memoryStat(memory.cgroup);
  const metrics = await sidecarMetrics(pod);
  const status = processStatus(memory.cgroup);
  return {
    currentBytes: memory.currentBytes,
    peakBytes: memory.peakBytes,
    limitBytes: memory.limitBytes ?? null,
    anonBytes: stat?.anon ?? null,
    fileBytes: stat?.file ?? null,
    workingSetBytes: stat ? Math.max(0, memory.currentBytes - stat.inactiveFile) : null,
    heapUsedBytes: metricValue(metrics, 'podmcp_sidecar_nodejs_heap_size_used_bytes'),
    heapTotalBytes: metricValue(metrics, 'podmcp_sidecar_nodejs_heap_size_total_bytes'),
    rssBytes: status.get('VmRSS') ?? null,
    rssPeakBytes: status.get('VmHWM') ?? null,
    rssFileBytes: status.get('RssFile') ?? null,
  };
}
