/**
 * The sidecar's gateway to the Kubernetes API: one typed read or write for each endpoint the tools, actions,
 * resources, prompts and auth use, always in the sidecar's own namespace (no call takes one), each request
 * checked by the namespace guard before it is sent (guarded-clients.ts). Nothing outside kube/ talks to the
 * client library; what goes over the wire, and how, is decided here only.
 */
import type {
  CoreV1Event,
  CoreV1EventList,
  KubeConfig,
  V1ConfigMap,
  V1ConfigMapList,
  V1CronJob,
  V1CronJobList,
  V1DaemonSet,
  V1DaemonSetList,
  V1Deployment,
  V1DeploymentList,
  V1EndpointSlice,
  V1EndpointSliceList,
  V1Endpoints,
  V1EndpointsList,
  V1Ingress,
  V1IngressList,
  V1Job,
  V1JobList,
  V1NetworkPolicy,
  V1NetworkPolicyList,
  V1PersistentVolumeClaim,
  V1PersistentVolumeClaimList,
  V1Pod,
  V1PodDisruptionBudget,
  V1PodDisruptionBudgetList,
  V1PodList,
  V1ReplicaSet,
  V1ReplicaSetList,
  V1Scale,
  V1SelfSubjectRulesReview,
  V1Service,
  V1ServiceAccount,
  V1ServiceAccountList,
  V1ServiceList,
  V1StatefulSet,
  V1StatefulSetList,
  V1SubjectAccessReview,
  V1SubjectAccessReviewSpec,
  V1TokenReview,
  V2HorizontalPodAutoscaler,
  V2HorizontalPodAutoscalerList,
} from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createGuardedClients, type GuardedClients, type RequestObserver } from './guarded-clients.ts';

export { NamespaceViolation, type RequestObserver } from './guarded-clients.ts';

/** The query of a list: which objects, and which page of them. */
export interface ListOptions {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  /** The continue token of the page before. */
  readonly _continue?: string | undefined;
}

export interface Reads<T> {
  read(name: string): Promise<T>;
}

export interface Lists<L> {
  list(options?: ListOptions): Promise<L>;
}

export type ObjectApi<T, L> = Reads<T> & Lists<L>;

/** A server-side dry run ('All') or the real request (undefined). */
export type DryRun = 'All' | undefined;

/** How a patch body is read: a JSON merge patch or a JSON patch (RFC 6902). */
export type PatchKind = 'merge' | 'json';

export interface PodLogOptions {
  readonly container?: string | undefined;
  readonly previous?: boolean | undefined;
  readonly timestamps?: boolean | undefined;
  readonly tailLines?: number | undefined;
  readonly sinceSeconds?: number | undefined;
  readonly limitBytes?: number | undefined;
}

export interface PodDeletion {
  /** Deletes only the pod with this uid (a same-named replacement is left alone). */
  readonly uid: string;
  readonly gracePeriodSeconds?: number | undefined;
  readonly dryRun?: DryRun;
}

/** A metrics.k8s.io answer as it came: PodMetrics are not in the client library's models. */
export type MetricsObject = Record<string, unknown>;
export interface MetricsList {
  readonly items?: unknown[];
  readonly metadata?: { readonly continue?: string };
}

export interface NamespacedKube {
  readonly namespace: string;
  readonly pods: ObjectApi<V1Pod, V1PodList> & {
    /** The container's log as text. */
    log(name: string, options: PodLogOptions): Promise<string>;
    delete(name: string, deletion: PodDeletion): Promise<V1Pod>;
  };
  readonly events: Lists<CoreV1EventList> & { create(event: CoreV1Event): Promise<CoreV1Event> };
  readonly deployments: ObjectApi<V1Deployment, V1DeploymentList> & {
    patch(name: string, body: object, kind: PatchKind, dryRun: DryRun): Promise<V1Deployment>;
    /** A merge patch of the scale subresource. */
    patchScale(name: string, body: object, dryRun: DryRun): Promise<V1Scale>;
  };
  readonly statefulSets: ObjectApi<V1StatefulSet, V1StatefulSetList> & {
    patchScale(name: string, body: object, dryRun: DryRun): Promise<V1Scale>;
  };
  readonly daemonSets: ObjectApi<V1DaemonSet, V1DaemonSetList>;
  readonly replicaSets: ObjectApi<V1ReplicaSet, V1ReplicaSetList>;
  readonly jobs: ObjectApi<V1Job, V1JobList>;
  readonly cronJobs: ObjectApi<V1CronJob, V1CronJobList>;
  readonly configMaps: ObjectApi<V1ConfigMap, V1ConfigMapList>;
  readonly services: ObjectApi<V1Service, V1ServiceList>;
  readonly endpoints: ObjectApi<V1Endpoints, V1EndpointsList>;
  readonly endpointSlices: ObjectApi<V1EndpointSlice, V1EndpointSliceList>;
  readonly persistentVolumeClaims: ObjectApi<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>;
  readonly serviceAccounts: ObjectApi<V1ServiceAccount, V1ServiceAccountList>;
  readonly ingresses: ObjectApi<V1Ingress, V1IngressList>;
  readonly networkPolicies: ObjectApi<V1NetworkPolicy, V1NetworkPolicyList>;
  readonly horizontalPodAutoscalers: ObjectApi<V2HorizontalPodAutoscaler, V2HorizontalPodAutoscalerList>;
  readonly podDisruptionBudgets: ObjectApi<V1PodDisruptionBudget, V1PodDisruptionBudgetList>;
  /** metrics.k8s.io/v1beta1 PodMetrics. */
  readonly podMetrics: ObjectApi<MetricsObject, MetricsList>;
  readonly reviews: {
    /** What the sidecar's own credentials may do in its namespace. */
    selfSubjectRules(): Promise<V1SelfSubjectRulesReview>;
    /** A caller's token, for these audiences (the guard refuses a review without them). */
    token(token: string, audiences: readonly string[]): Promise<V1TokenReview>;
    subjectAccess(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReview>;
  };
  /** Starts a watch on a namespaced path (checked like every other request); abort the controller to stop it. */
  watch(
    path: string,
    query: Record<string, string | number | boolean>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<AbortController>;
  /** Counts requests sent, so tests and the benchmark can check that an idle sidecar sends none. */
  readonly requestCount: () => number;
}

export function createNamespacedKube(
  kubeConfig: KubeConfig,
  namespace: string,
  observe?: RequestObserver,
): NamespacedKube {
  return gatewayOver(createGuardedClients(kubeConfig, namespace, observe));
}

const METRICS = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' } as const;

/** A typed list-and-read pair over two generated calls, the namespace filled in. */
function objects<T, L>(
  namespace: string,
  list: (request: ListOptions & { namespace: string }) => Promise<L>,
  read: (request: { name: string; namespace: string }) => Promise<T>,
): ObjectApi<T, L> {
  return {
    list: (options = {}) => list({ ...options, namespace }),
    read: (name) => read({ name, namespace }),
  };
}

// Fresh per request: the generated client keeps the options object it is given.
const contentType = (kind: PatchKind) =>
  setHeaderOptions('Content-Type', kind === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.JsonPatch);

// long: one entry per endpoint, each a line; split, the table would be harder to read whole.
function gatewayOver(clients: GuardedClients): NamespacedKube {
  const { namespace, core, apps, batch, discovery, networking, autoscaling, policy } = clients;
  return {
    namespace,
    pods: {
      ...objects(
        namespace,
        (r) => core.listNamespacedPod(r),
        (r) => core.readNamespacedPod(r),
      ),
      log: (name, options) => core.readNamespacedPodLog({ ...options, name, namespace }),
      delete: (name, { uid, gracePeriodSeconds, dryRun }) =>
        core.deleteNamespacedPod({
          name,
          namespace,
          body: { preconditions: { uid }, gracePeriodSeconds, dryRun: dryRun ? [dryRun] : undefined },
        }),
    },
    events: {
      list: (options = {}) => core.listNamespacedEvent({ ...options, namespace }),
      create: (body) => core.createNamespacedEvent({ namespace, body }),
    },
    deployments: {
      ...objects(
        namespace,
        (r) => apps.listNamespacedDeployment(r),
        (r) => apps.readNamespacedDeployment(r),
      ),
      patch: (name, body, kind, dryRun) =>
        apps.patchNamespacedDeployment({ name, namespace, body, dryRun }, contentType(kind)),
      patchScale: (name, body, dryRun) =>
        apps.patchNamespacedDeploymentScale({ name, namespace, body, dryRun }, contentType('merge')),
    },
    statefulSets: {
      ...objects(
        namespace,
        (r) => apps.listNamespacedStatefulSet(r),
        (r) => apps.readNamespacedStatefulSet(r),
      ),
      patchScale: (name, body, dryRun) =>
        apps.patchNamespacedStatefulSetScale({ name, namespace, body, dryRun }, contentType('merge')),
    },
    daemonSets: objects(
      namespace,
      (r) => apps.listNamespacedDaemonSet(r),
      (r) => apps.readNamespacedDaemonSet(r),
    ),
    replicaSets: objects(
      namespace,
      (r) => apps.listNamespacedReplicaSet(r),
      (r) => apps.readNamespacedReplicaSet(r),
    ),
    jobs: objects(
      namespace,
      (r) => batch.listNamespacedJob(r),
      (r) => batch.readNamespacedJob(r),
    ),
    cronJobs: objects(
      namespace,
      (r) => batch.listNamespacedCronJob(r),
      (r) => batch.readNamespacedCronJob(r),
    ),
    configMaps: objects(
      namespace,
      (r) => core.listNamespacedConfigMap(r),
      (r) => core.readNamespacedConfigMap(r),
    ),
    services: objects(
      namespace,
      (r) => core.listNamespacedService(r),
      (r) => core.readNamespacedService(r),
    ),
    endpoints: objects(
      namespace,
      (r) => core.listNamespacedEndpoints(r),
      (r) => core.readNamespacedEndpoints(r),
    ),
    endpointSlices: objects(
      namespace,
      (r) => discovery.listNamespacedEndpointSlice(r),
      (r) => discovery.readNamespacedEndpointSlice(r),
    ),
    persistentVolumeClaims: objects(
      namespace,
      (r) => core.listNamespacedPersistentVolumeClaim(r),
      (r) => core.readNamespacedPersistentVolumeClaim(r),
    ),
    serviceAccounts: objects(
      namespace,
      (r) => core.listNamespacedServiceAccount(r),
      (r) => core.readNamespacedServiceAccount(r),
    ),
    ingresses: objects(
      namespace,
      (r) => networking.listNamespacedIngress(r),
      (r) => networking.readNamespacedIngress(r),
    ),
    networkPolicies: objects(
      namespace,
      (r) => networking.listNamespacedNetworkPolicy(r),
      (r) => networking.readNamespacedNetworkPolicy(r),
    ),
    horizontalPodAutoscalers: objects(
      namespace,
      (r) => autoscaling.listNamespacedHorizontalPodAutoscaler(r),
      (r) => autoscaling.readNamespacedHorizontalPodAutoscaler(r),
    ),
    podDisruptionBudgets: objects(
      namespace,
      (r) => policy.listNamespacedPodDisruptionBudget(r),
      (r) => policy.readNamespacedPodDisruptionBudget(r),
    ),
    podMetrics: objects(
      namespace,
      (r) => clients.custom.listNamespacedCustomObject({ ...METRICS, ...r }) as Promise<MetricsList>,
      (r) => clients.custom.getNamespacedCustomObject({ ...METRICS, ...r }) as Promise<MetricsObject>,
    ),
    reviews: {
      selfSubjectRules: () => clients.authorization.createSelfSubjectRulesReview({ body: { spec: { namespace } } }),
      token: (token, audiences) =>
        clients.authentication.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, audiences: [...audiences] },
          },
        }),
      subjectAccess: (spec) =>
        clients.authorization.createSubjectAccessReview({
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
        }),
    },
    watch: clients.watch,
    requestCount: clients.requestCount,
  };
}
