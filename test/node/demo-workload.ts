/**
 * examples/demo on the real node: the same objects, with the app container running the node's test app
 * (test/node/images/app) on podinfo's ports (9898 HTTP, 9797 metrics), because a test node pulls no image
 * from a registry. Applied with kubectl, as a user would, next to the injector from manifests/overlays/default;
 * and what the suites and the demo then wait for (the injector's replicas, Ready pods, the injected sidecar).
 */
import { execFileSync } from 'node:child_process';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1Container,
  type V1ContainerStatus,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { eventually } from '../control-plane/kube.ts';

/** The sidecar's container name, as the injector adds it. */
const SIDECAR = 'podmcp';

export function kubectl(kubeconfigFile: string, cwd: string, args: readonly string[], input?: string): string {
  return execFileSync('kubectl', [`--kubeconfig=${kubeconfigFile}`, ...args], {
    cwd,
    encoding: 'utf8',
    // A sidecar's whole log (`logs --tail=-1`) after a load test runs to megabytes.
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function parseObjects(yaml: string): KubernetesObject[] {
  return parseAllDocuments(yaml).map((document) => document.toJSON() as KubernetesObject);
}

export function toYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((object) => `---\n${stringify(object)}`).join('');
}

/** The demo's Deployments with their app container switched to the test app. */
export function withTestApp(objects: readonly KubernetesObject[], appImage: string): KubernetesObject[] {
  return objects.map((object) => {
    if (object.kind !== 'Deployment') return object;
    const deployment = structuredClone(object) as V1Deployment;
    const app = deployment.spec?.template.spec?.containers[0];
    if (!app) throw new Error(`Deployment ${object.metadata?.name} has no container`);
    app.image = appImage;
    delete app.command;
    app.args = ['--listen=:9898', '--metrics-listen=:9797'];
    return deployment;
  });
}

/** The injector's Deployment (manifests/overlays/default), once both its replicas are ready. */
export async function injectorReady(kubeConfig: KubeConfig, timeoutMs: number): Promise<V1Deployment> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  return eventually(
    'the injector Deployment with 2 ready replicas',
    async () => {
      const read = await apps.readNamespacedDeployment({ namespace: 'podmcp-system', name: 'podmcp-injector' });
      return read.status?.readyReplicas === 2 && read;
    },
    timeoutMs,
  );
}

/** Ready, and not on its way out. */
export function isReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True')
  );
}

/** Exactly `count` live pods of `labelSelector` in `namespace`, all Ready (waits for them). */
export async function readyPods(
  kubeConfig: KubeConfig,
  namespace: string,
  labelSelector: string,
  count: number,
  timeoutMs: number,
): Promise<V1Pod[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return eventually(
    `${count} Ready pod(s) of ${labelSelector}`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
      const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
      return live.length === count && live.every(isReady) ? live : undefined;
    },
    timeoutMs,
  );
}

/** The sidecar as the injector added it: a native sidecar (init container, restartPolicy Always) or a container. */
export function sidecarOf(pod: V1Pod): V1Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === SIDECAR);
}

/** The sidecar's status, wherever the injector put it. */
export function sidecarStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
    (status) => status.name === SIDECAR,
  );
}
