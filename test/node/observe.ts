/**
 * What a suite on the real node observes beyond the API: a container's memory as its cgroup accounts it,
 * and the history of a pod's Ready condition (every transition, as the watch delivered it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod, Watch } from '@kubernetes/client-node';

export interface ContainerMemory {
  /** Bytes charged to the container now (cgroup v1 memory.usage_in_bytes, v2 memory.current). */
  readonly currentBytes: number;
  /** The most it was ever charged (cgroup v1 memory.max_usage_in_bytes, v2 memory.peak). */
  readonly peakBytes: number;
  readonly limitBytes: number | undefined;
  readonly cgroup: string;
}

/** The kubelet's pod cgroups (cgroupfs driver): v1 under the memory hierarchy, v2 in the unified one. */
function podCgroupRoots(): { root: string; v2: boolean }[] {
  return [
    { root: '/sys/fs/cgroup/memory/kubepods', v2: false },
    { root: '/sys/fs/cgroup/kubepods', v2: true },
  ].filter(({ root }) => existsSync(root));
}

function findDirectory(root: string, name: string, depth: number): string | undefined {
  if (depth < 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return undefined;
  }
  if (entries.includes(name)) return join(root, name);
  for (const entry of entries) {
    const found = findDirectory(join(root, entry), name, depth - 1);
    if (found) return found;
  }
  return undefined;
}

function readNumber(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === 'max' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

function containerId(pod: V1Pod, container: string): string {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const id = statuses.find((status) => status.name === container)?.containerID;
  if (!id) throw new Error(`container ${container} of pod ${pod.metadata?.name} has no container ID (not started?)`);
  return id.replace(/^[a-z]+:\/\//, '');
}

export async function containerMemory(
  kubeConfig: KubeConfig,
  namespace: string,
  podName: string,
  container: string,
): Promise<ContainerMemory> {
  const pod = await kubeConfig.makeApiClient(CoreV1Api).readNamespacedPod({ namespace, name: podName });
  const id = containerId(pod, container);
  for (const { root, v2 } of podCgroupRoots()) {
    const cgroup = findDirectory(root, id, 3);
    if (!cgroup) continue;
    const [current, peak, limit] = v2
      ? ['memory.current', 'memory.peak', 'memory.max']
      : ['memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes'];
    const currentBytes = readNumber(join(cgroup, current));
    const peakBytes = readNumber(join(cgroup, peak));
    if (currentBytes === undefined || peakBytes === undefined) throw new Error(`cannot read memory of ${cgroup}`);
    return { currentBytes, peakBytes, limitBytes: readNumber(join(cgroup, limit)), cgroup };
  }
  throw new Error(`no cgroup for container ${container} (${id}) of ${namespace}/${podName}`);
}

export interface ReadyTransition {
  readonly pod: string;
  readonly ready: boolean;
  /** When the watch delivered it. */
  readonly at: Date;
  /** lastTransitionTime of the Ready condition, as the kubelet reported it. */
  readonly reportedAt: string | undefined;
}

export interface ReadinessWatch {
  /** Every change of a matching pod's Ready condition, oldest first (a pod's first sighting counts). */
  history(): readonly ReadyTransition[];
  /** True when some pod went from Ready to not Ready while it was not being deleted. */
  flapped(): boolean;
  stop(): void;
}

/** Watches the Ready condition of the pods matching `labelSelector` in `namespace`. */
export async function watchReadiness(
  kubeConfig: KubeConfig,
  namespace: string,
  labelSelector: string,
): Promise<ReadinessWatch> {
  const transitions: ReadyTransition[] = [];
  const last = new Map<string, boolean>();
  let flapped = false;
  let stopped = false;
  let request: { abort(): void } | undefined;
  const observe = (type: string, pod: V1Pod) => {
    const name = pod.metadata?.name ?? '?';
    if (type === 'DELETED') {
      last.delete(name);
      return;
    }
    const condition = pod.status?.conditions?.find((c) => c.type === 'Ready');
    const ready = condition?.status === 'True';
    const previous = last.get(name);
    if (previous === ready) return;
    if (previous === true && !ready && !pod.metadata?.deletionTimestamp) flapped = true;
    last.set(name, ready);
    const reportedAt = condition?.lastTransitionTime ? new Date(condition.lastTransitionTime).toISOString() : undefined;
    transitions.push({ pod: name, ready, at: new Date(), reportedAt });
  };
  const start = async () => {
    if (stopped) return;
    request = await new Watch(kubeConfig).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector },
      observe,
      // A watch the server ends is resumed, so the history has no gap the test does not know of.
      () => void start().catch(() => {}),
    );
  };
  await start();
  return {
    history: () => [...transitions],
    flapped: () => flapped,
    stop: () => {
      stopped = true;
      request?.abort();
    },
  };
}
