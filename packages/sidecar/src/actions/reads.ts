/**
 * The reads actions make around a change (before it, to preview it, and while verifying it), each one request
 * in this namespace through the guarded client.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import type { ToolContext } from '../context.ts';
import { describeKubeError, isNotFound } from '../kube/errors.ts';
import { labelSelectorText } from '../kube/workloads.ts';
import { isControlledBy } from './revisions.ts';

export function readDeployment(context: ToolContext, name: string): Promise<V1Deployment> {
  return context.kube.deployments.read(name);
}

export function readStatefulSet(context: ToolContext, name: string): Promise<V1StatefulSet> {
  return context.kube.statefulSets.read(name);
}

/** The ReplicaSets the Deployment controls (its revisions). */
export async function ownedReplicaSets(context: ToolContext, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const selector = deployment.spec?.selector;
  const list = await context.kube.replicaSets.list({
    labelSelector: selector ? labelSelectorText(selector) : undefined,
  });
  return list.items.filter((set) => isControlledBy(set.metadata, deployment.metadata?.uid));
}

/** The pod, or undefined when it does not exist (any other failure is thrown). */
export async function readPodIfExists(context: ToolContext, name: string): Promise<V1Pod | undefined> {
  try {
    return await context.kube.pods.read(name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw describeKubeError(error, `pod "${name}"`);
  }
}

/** Pods matching `labelSelector` that `ownerUid` controls. */
export async function podsControlledBy(
  context: ToolContext,
  ownerUid: string,
  labelSelector: string | undefined,
): Promise<V1Pod[]> {
  const list = await context.kube.pods.list({ labelSelector });
  return list.items.filter((pod) => isControlledBy(pod.metadata, ownerUid));
}
