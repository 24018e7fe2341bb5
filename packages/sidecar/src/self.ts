/**
 * What the sidecar knows about itself: its pod and the workload that owns it (ReplicaSet → Deployment,
 * Job → CronJob, StatefulSet, DaemonSet). Tools use it to default to "this workload". Reads happen on demand
 * only — an idle sidecar sends nothing — and the owner chain, which never changes for a pod, is kept.
 */
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { NamespacedKube } from './kube/namespaced-kube.ts';

export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
}

export interface SelfLocator {
  readonly podName: string | undefined;
  /** The sidecar's own pod, or undefined when running outside a pod (`podmcp serve` with a kubeconfig). */
  pod(): Promise<V1Pod | undefined>;
  /** The owner chain from the pod up, nearest first; empty for a bare pod or outside a pod. */
  ownerChain(): Promise<readonly ObjectRef[]>;
  /** The top of the owner chain (the Deployment, StatefulSet, CronJob, …), or the fixed workload given at start. */
  workload(): Promise<ObjectRef | undefined>;
}

const POD_CACHE_MS = 2_000;

export function createSelfLocator(
  kube: NamespacedKube,
  podName: string | undefined,
  fixedWorkload?: ObjectRef,
): SelfLocator {
  let cachedPod: { at: number; pod: V1Pod } | undefined;
  let chain: readonly ObjectRef[] | undefined;

  const pod = async (): Promise<V1Pod | undefined> => {
    if (!podName) return undefined;
    if (cachedPod && Date.now() - cachedPod.at < POD_CACHE_MS) return cachedPod.pod;
    const read = await kube.pods.read(podName);
    cachedPod = { at: Date.now(), pod: read };
    return read;
  };

  const ownerChain = async (): Promise<readonly ObjectRef[]> => {
    if (chain) return chain;
    const own = await pod();
    if (!own) return [];
    const found: ObjectRef[] = [];
    let owner = controllerOf(own.metadata?.ownerReferences);
    while (owner && found.length < 4) {
      found.push({ kind: owner.kind, name: owner.name });
      owner = await parentOf(kube, owner);
    }
    chain = found;
    return found;
  };

  return {
    podName,
    pod,
    ownerChain,
    async workload() {
      if (fixedWorkload) return fixedWorkload;
      const owners = await ownerChain();
      return owners.at(-1);
    },
  };
}

export function controllerOf(owners: readonly V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return owners?.find((owner) => owner.controller) ?? owners?.[0];
}

async function parentOf(kube: NamespacedKube, ref: ObjectRef): Promise<V1OwnerReference | undefined> {
  switch (ref.kind) {
    case 'ReplicaSet':
      return controllerOf((await kube.replicaSets.read(ref.name)).metadata?.ownerReferences);
    case 'Job':
      return controllerOf((await kube.jobs.read(ref.name)).metadata?.ownerReferences);
    default:
      return undefined;
  }
}
