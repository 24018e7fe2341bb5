/**
 * Six broken workloads for the session-cost benchmark, made on the kwok control plane the bench already uses.
 * kwok runs no containers, so each failure is written the way the kubelet would report it: pod statuses
 * through the status subresource (kwok rewrites only Pending pods, so a written Running pod keeps its waiting
 * or terminated containers), kubelet-style Events, and the app's last words appended to the one log file kwok
 * serves for every container. The controllers and the scheduler are real: the stuck rollout, the failed Job
 * and the unschedulable pod are their own verdicts.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type V1Container,
  type V1ContainerStatus,
  type V1Pod,
} from '@kubernetes/client-node';
import { appendPodLog, type ControlPlane } from '../../../test/control-plane/harness.ts';
import { eventually } from '../../../test/control-plane/kube.ts';

export const SCENARIOS = [
  'oom-killed',
  'image-pull',
  'crash-loop',
  'missing-config-key',
  'failed-job',
  'unschedulable',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Scenario {
  readonly name: ScenarioName;
  /** The workload, as kind and name. */
  readonly kind: 'Deployment' | 'Job';
  readonly workload: string;
  /** The pod an agent would look at (the harness knows it; an agent learns it from its first answer). */
  readonly pod: string;
  readonly container: string;
  /** The ConfigMap the scenario involves, if any. */
  readonly configMap?: string;
  /** What an answer must contain before the facts count as "in the context": the cause, in the cluster's words. */
  readonly facts: readonly RegExp[];
}

const IMAGE = 'registry.example/app:1.0';
/** A Node object without kwok's annotation: pods bound to it keep whatever status is written for them. */
const UNMANAGED_NODE = 'session-unmanaged';
const MISSING_IMAGE = 'registry.example/api:9.9.9';
/** Above the kwok node's 256Gi, so the scheduler answers "Insufficient memory". */
const TOO_MUCH_MEMORY = '512Gi';
const CRASH_LINE = 'FATAL cannot reach the database: connect ECONNREFUSED 10.96.0.15:5432';

export async function createScenarios(plane: ControlPlane, namespace: string): Promise<Scenario[]> {
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  const apps = plane.kubeConfig.makeApiClient(AppsV1Api);
  const batch = plane.kubeConfig.makeApiClient(BatchV1Api);

  const deploy = async (name: string, container: V1Container, pin: { nodeName?: string } = {}) => {
    const labels = { app: name };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          progressDeadlineSeconds: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { ...pin, automountServiceAccountToken: false, containers: [container] },
          },
        },
      },
    });
  };
  const podOf = (selector: string, want: (pod: V1Pod) => boolean = () => true) =>
    eventually(
      `a pod for ${selector}`,
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
        return pods.items.find(want)?.metadata?.name;
      },
      60_000,
    );
  const running = (pod: V1Pod) => pod.status?.phase === 'Running';
  const writeContainer = async (pod: string, status: Partial<V1ContainerStatus>, phase = 'Running') => {
    await eventually(`status of ${pod} written`, async () => {
      const current = await core.readNamespacedPod({ name: pod, namespace });
      const notReady = { status: 'False', reason: 'ContainersNotReady', lastTransitionTime: new Date() };
      await core.replaceNamespacedPodStatus({
        name: pod,
        namespace,
        body: {
          ...current,
          status: {
            ...current.status,
            phase,
            conditions: [
              { type: 'PodScheduled', status: 'True', lastTransitionTime: new Date() },
              { type: 'Ready', ...notReady },
              { type: 'ContainersReady', ...notReady },
            ],
            containerStatuses: [
              {
                name: 'app',
                image: current.spec?.containers[0]?.image ?? IMAGE,
                imageID: '',
                ready: false,
                restartCount: 0,
                ...status,
              },
            ],
          },
        },
      });
      return true;
    });
  };
  const kubeletEvent = async (pod: string, reason: string, message: string, minutesAgo: number, count = 1) => {
    const at = new Date(Date.now() - minutesAgo * 60_000);
    // With the pod's uid, as the kubelet writes it: kubectl describe finds a pod's events by uid.
    const uid = (await core.readNamespacedPod({ name: pod, namespace })).metadata?.uid;
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${pod}.` },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace, uid, fieldPath: 'spec.containers{app}' },
        type: 'Warning',
        reason,
        message,
        count,
        firstTimestamp: at,
        lastTimestamp: at,
        source: { component: 'kubelet', host: plane.nodeName ?? 'node' },
      },
    });
  };
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

  // 1. OOMKilled: a 64Mi limit, killed and now backing off.
  await deploy('cache', {
    name: 'app',
    image: IMAGE,
    resources: { limits: { memory: '64Mi' }, requests: { memory: '64Mi' } },
  });
  const oomPod = await podOf('app=cache', running);
  await writeContainer(oomPod, {
    restartCount: 4,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=app' } },
    lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(90), finishedAt: ago(60) } },
  });
  await kubeletEvent(oomPod, 'BackOff', 'Back-off restarting failed container app', 1, 12);

  // 2. Image pull failure: the registry says the tag does not exist; the kubelet echoes the state around it.
  await deploy('api', { name: 'app', image: MISSING_IMAGE });
  const pullPod = await podOf('app=api', running);
  await writeContainer(pullPod, {
    image: MISSING_IMAGE,
    state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${MISSING_IMAGE}"` } },
  });
  const registry = `Failed to pull image "${MISSING_IMAGE}": rpc error: code = NotFound desc = failed to resolve reference "${MISSING_IMAGE}": ${MISSING_IMAGE}: not found`;
  await kubeletEvent(pullPod, 'Failed', registry, 4, 3);
  await kubeletEvent(pullPod, 'Failed', 'Error: ErrImagePull', 3, 3);
  await kubeletEvent(pullPod, 'BackOff', `Back-off pulling image "${MISSING_IMAGE}"`, 1, 9);
  await kubeletEvent(pullPod, 'Failed', 'Error: ImagePullBackOff', 1, 9);

  // 3. Crash loop: exit 1, the reason in what the app printed last.
  await deploy('worker', { name: 'app', image: IMAGE });
  const crashPod = await podOf('app=worker', running);
  await writeContainer(crashPod, {
    restartCount: 6,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(40), finishedAt: ago(38) } },
  });
  await kubeletEvent(crashPod, 'BackOff', 'Back-off restarting failed container app', 1, 20);

  // 4. Stuck rollout: a key the ConfigMap does not have. Its pod is bound to a Node object no kwok manages, so
  // nothing marks it ready: it stays Pending with the status written here, and the deployment controller
  // itself declares ProgressDeadlineExceeded.
  await core
    .createNode({
      body: {
        metadata: { name: UNMANAGED_NODE, labels: { 'kubernetes.io/hostname': UNMANAGED_NODE } },
        spec: { unschedulable: true },
      },
    })
    .catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'checkout-config' }, data: { LOG_LEVEL: 'info', CURRENCY: 'EUR' } },
  });
  await deploy(
    'checkout',
    {
      name: 'app',
      image: IMAGE,
      env: [{ name: 'PAYMENT_URL', valueFrom: { configMapKeyRef: { name: 'checkout-config', key: 'PAYMENT_URL' } } }],
    },
    { nodeName: UNMANAGED_NODE },
  );
  const configPod = await podOf('app=checkout');
  await writeContainer(
    configPod,
    {
      state: {
        waiting: {
          reason: 'CreateContainerConfigError',
          message: `couldn't find key PAYMENT_URL in ConfigMap ${namespace}/checkout-config`,
        },
      },
    },
    'Pending',
  );
  await kubeletEvent(
    configPod,
    'Failed',
    `Error: couldn't find key PAYMENT_URL in ConfigMap ${namespace}/checkout-config`,
    1,
    5,
  );

  // 5. Failed Job: one attempt allowed, the pod exits 2; the Job controller declares BackoffLimitExceeded. Its
  // node has no kubelet, so no server can read its log: the facts are the exit code and the Job's verdict.
  await batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name: 'migrate' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            // kwok completes the pods of Jobs; on the unmanaged node the failure written here stands.
            nodeName: UNMANAGED_NODE,
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            containers: [{ name: 'app', image: IMAGE }],
          },
        },
      },
    },
  });
  const jobPod = await podOf('job-name=migrate');
  await writeContainer(
    jobPod,
    { state: { terminated: { exitCode: 2, reason: 'Error', startedAt: ago(30), finishedAt: ago(25) } } },
    'Failed',
  );

  // 6. Unschedulable: more memory than any node has.
  await deploy('analytics', {
    name: 'app',
    image: IMAGE,
    resources: { requests: { memory: TOO_MUCH_MEMORY, cpu: '500m' } },
  });
  const pendingPod = await podOf('app=analytics');

  appendPodLog(plane, ['starting worker', CRASH_LINE]);

  await eventually(
    'the controllers and the scheduler to reach their verdicts',
    async () => {
      const [checkout, job, pending] = await Promise.all([
        apps.readNamespacedDeployment({ name: 'checkout', namespace }),
        batch.readNamespacedJob({ name: 'migrate', namespace }),
        core.readNamespacedPod({ name: pendingPod, namespace }),
      ]);
      return (
        checkout.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') === true &&
        job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') === true &&
        pending.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') === true
      );
    },
    90_000,
  );

  return [
    {
      name: 'oom-killed',
      kind: 'Deployment',
      workload: 'cache',
      pod: oomPod,
      container: 'app',
      facts: [/OOMKilled/, /64Mi/],
    },
    {
      name: 'image-pull',
      kind: 'Deployment',
      workload: 'api',
      pod: pullPod,
      container: 'app',
      facts: [/failed to resolve reference/, /api:9\.9\.9: not found/],
    },
    {
      name: 'crash-loop',
      kind: 'Deployment',
      workload: 'worker',
      pod: crashPod,
      container: 'app',
      facts: [/CrashLoopBackOff/, /ECONNREFUSED 10\.96\.0\.15:5432/],
    },
    {
      name: 'missing-config-key',
      kind: 'Deployment',
      workload: 'checkout',
      pod: configPod,
      container: 'app',
      configMap: 'checkout-config',
      facts: [/find key PAYMENT_URL in ConfigMap/, /ProgressDeadlineExceeded/],
    },
    {
      name: 'failed-job',
      kind: 'Job',
      workload: 'migrate',
      pod: jobPod,
      container: 'app',
      facts: [/BackoffLimitExceeded/, /exit(?: ?code)?"?:? ?2\b/i],
    },
    {
      name: 'unschedulable',
      kind: 'Deployment',
      workload: 'analytics',
      pod: pendingPod,
      container: 'app',
      facts: [/Insufficient memory/, /512Gi/],
    },
  ];
}
