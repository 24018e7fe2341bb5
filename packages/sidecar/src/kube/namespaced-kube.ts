/**
 * The sidecar's gateway to the Kubernetes API: one typed read or write for each endpoint the tools, actions,
 * resources, prompts and auth use, always in the sidecar's own namespace (no call takes one), each request
 * checked by the namespace guard before it is sent (sender.ts). Nothing outside kube/ talks to the client
 * library; what goes over the wire, and how, is decided here only.
 */
import {
  type CoreV1Event,
  type CoreV1EventList,
  type KubeConfig,
  type V1ConfigMap,
  type V1ConfigMapList,
  type V1CronJob,
  type V1CronJobList,
  type V1DaemonSet,
  type V1DaemonSetList,
  type V1Deployment,
  type V1DeploymentList,
  type V1EndpointSlice,
  type V1EndpointSliceList,
  type V1Endpoints,
  type V1EndpointsList,
  type V1Ingress,
  type V1IngressList,
  type V1Job,
  type V1JobList,
  type V1NetworkPolicy,
  type V1NetworkPolicyList,
  type V1PersistentVolumeClaim,
  type V1PersistentVolumeClaimList,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1PodDisruptionBudgetList,
  type V1PodList,
  type V1ReplicaSet,
  type V1ReplicaSetList,
  type V1Scale,
  type V1SelfSubjectRulesReview,
  type V1Service,
  type V1ServiceAccount,
  type V1ServiceAccountList,
  type V1ServiceList,
  type V1StatefulSet,
  type V1StatefulSetList,
  type V1SubjectAccessReview,
  type V1SubjectAccessReviewSpec,
  type V1TokenReview,
  type V2HorizontalPodAutoscaler,
  type V2HorizontalPodAutoscalerList,
  Watch,
} from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { poolFor } from '@podmcp/core';
import { createSender, type Query, type RequestObserver, type Sender } from './sender.ts';

export { NamespaceViolation, type RequestObserver } from './sender.ts';

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
  const sender = createSender(kubeConfig, namespace, observe);
  // Watch uses only the cluster and the per-request credentials of what it is given: the pool's watch agent.
  const watcher = new Watch(poolFor(kubeConfig).forWatch as KubeConfig);
  return {
    ...gatewayOver(sender),
    async watch(path, query, onEvent, onDone) {
      sender.admit('WATCH', path);
      return watcher.watch(path, query, (type, object) => onEvent(type, object), onDone);
    },
  };
}

const MERGE_PATCH = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

/** The list query as the API spells it. */
function listQuery(options: ListOptions = {}): Query {
  return {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    limit: options.limit,
    continue: options._continue,
  };
}

/** A typed list-and-read pair of one collection in the namespace (`base` + `/namespaces/<ns>/` + `plural`). */
function objects<T, L>(sender: Sender, base: string, plural: string, model: string): ObjectApi<T, L> {
  const path = `${base}/namespaces/${sender.namespace}/${plural}`;
  return {
    list: (options) => sender.json<L>({ method: 'GET', path, query: listQuery(options) }, `${model}List`),
    read: (name) => sender.json<T>({ method: 'GET', path: `${path}/${encodeURIComponent(name)}` }, model),
  };
}

/** A request body in its wire form (field names as the API spells them, times as text). */
const wire = (body: unknown, model: string): unknown => ObjectSerializer.serialize(body, model, '');

const CORE = '/api/v1';
const APPS = '/apis/apps/v1';
const BATCH = '/apis/batch/v1';

// long: one entry per endpoint the sidecar uses, each a few lines; split, the table would be harder to read whole.
function gatewayOver(sender: Sender): Omit<NamespacedKube, 'watch'> {
  const { namespace } = sender;
  const item = (base: string, plural: string, name: string, sub = '') =>
    `${base}/namespaces/${namespace}/${plural}/${encodeURIComponent(name)}${sub}`;
  const scale = (plural: string) => (name: string, body: object, dryRun: DryRun) =>
    sender.json<V1Scale>(
      { method: 'PATCH', path: item(APPS, plural, name, '/scale'), query: { dryRun }, body, contentType: MERGE_PATCH },
      'V1Scale',
    );
  return {
    namespace,
    pods: {
      ...objects<V1Pod, V1PodList>(sender, CORE, 'pods', 'V1Pod'),
      log: (name, options) =>
        sender.text({ method: 'GET', path: item(CORE, 'pods', name, '/log'), query: { ...options } }),
      delete: (name, { uid, gracePeriodSeconds, dryRun }) =>
        sender.json<V1Pod>(
          {
            method: 'DELETE',
            path: item(CORE, 'pods', name),
            body: wire(
              { preconditions: { uid }, gracePeriodSeconds, dryRun: dryRun ? [dryRun] : undefined },
              'V1DeleteOptions',
            ),
          },
          'V1Pod',
        ),
    },
    events: {
      list: (options) =>
        sender.json<CoreV1EventList>(
          { method: 'GET', path: `${CORE}/namespaces/${namespace}/events`, query: listQuery(options) },
          'CoreV1EventList',
        ),
      create: (event) =>
        sender.json<CoreV1Event>(
          { method: 'POST', path: `${CORE}/namespaces/${namespace}/events`, body: wire(event, 'CoreV1Event') },
          'CoreV1Event',
        ),
    },
    deployments: {
      ...objects<V1Deployment, V1DeploymentList>(sender, APPS, 'deployments', 'V1Deployment'),
      patch: (name, body, kind, dryRun) =>
        sender.json<V1Deployment>(
          {
            method: 'PATCH',
            path: item(APPS, 'deployments', name),
            query: { dryRun },
            body,
            contentType: kind === 'merge' ? MERGE_PATCH : JSON_PATCH,
          },
          'V1Deployment',
        ),
      patchScale: scale('deployments'),
    },
    statefulSets: {
      ...objects<V1StatefulSet, V1StatefulSetList>(sender, APPS, 'statefulsets', 'V1StatefulSet'),
      patchScale: scale('statefulsets'),
    },
    daemonSets: objects(sender, APPS, 'daemonsets', 'V1DaemonSet'),
    replicaSets: objects(sender, APPS, 'replicasets', 'V1ReplicaSet'),
    jobs: objects(sender, BATCH, 'jobs', 'V1Job'),
    cronJobs: objects(sender, BATCH, 'cronjobs', 'V1CronJob'),
    configMaps: objects(sender, CORE, 'configmaps', 'V1ConfigMap'),
    services: objects(sender, CORE, 'services', 'V1Service'),
    endpoints: objects(sender, CORE, 'endpoints', 'V1Endpoints'),
    endpointSlices: objects(sender, '/apis/discovery.k8s.io/v1', 'endpointslices', 'V1EndpointSlice'),
    persistentVolumeClaims: objects(sender, CORE, 'persistentvolumeclaims', 'V1PersistentVolumeClaim'),
    serviceAccounts: objects(sender, CORE, 'serviceaccounts', 'V1ServiceAccount'),
    ingresses: objects(sender, '/apis/networking.k8s.io/v1', 'ingresses', 'V1Ingress'),
    networkPolicies: objects(sender, '/apis/networking.k8s.io/v1', 'networkpolicies', 'V1NetworkPolicy'),
    horizontalPodAutoscalers: objects(
      sender,
      '/apis/autoscaling/v2',
      'horizontalpodautoscalers',
      'V2HorizontalPodAutoscaler',
    ),
    podDisruptionBudgets: objects(sender, '/apis/policy/v1', 'poddisruptionbudgets', 'V1PodDisruptionBudget'),
    // Not among the client library's models: the JSON as it came.
    podMetrics: {
      list: (options) =>
        sender.json<MetricsList>(
          { method: 'GET', path: `${METRICS}/namespaces/${namespace}/pods`, query: listQuery(options) },
          undefined,
        ),
      read: (name) => sender.json<MetricsObject>({ method: 'GET', path: item(METRICS, 'pods', name) }, undefined),
    },
    reviews: {
      selfSubjectRules: () =>
        sender.json<V1SelfSubjectRulesReview>(
          {
            method: 'POST',
            path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
            body: wire({ spec: { namespace } }, 'V1SelfSubjectRulesReview'),
          },
          'V1SelfSubjectRulesReview',
        ),
      token: (token, audiences) =>
        sender.json<V1TokenReview>(
          {
            method: 'POST',
            path: '/apis/authentication.k8s.io/v1/tokenreviews',
            body: wire(
              {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenReview',
                spec: { token, audiences: [...audiences] },
              },
              'V1TokenReview',
            ),
          },
          'V1TokenReview',
        ),
      subjectAccess: (spec) =>
        sender.json<V1SubjectAccessReview>(
          {
            method: 'POST',
            path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
            body: wire(
              { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
              'V1SubjectAccessReview',
            ),
          },
          'V1SubjectAccessReview',
        ),
    },
    requestCount: sender.requestCount,
  };
}

const METRICS = '/apis/metrics.k8s.io/v1beta1';
