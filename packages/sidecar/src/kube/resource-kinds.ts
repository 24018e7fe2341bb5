/**
 * The namespaced kinds get_resources reads — exactly what the shipped read-only Role grants, Secrets never —
 * and for each how to list a page, read one object in its wire form, and fetch what its list rows need besides
 * (a Service's EndpointSlices). How a kind is shown is format/resource-rows.ts. Also the kinds people ask for
 * that podmcp deliberately does not serve, each with the reason and where to look instead.
 */
import type { KubernetesObject, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { ToolFailure } from '../failure.ts';
import type { NamespacedKube, ObjectApi } from './namespaced-kube.ts';
import type { JsonObject } from './wire.ts';

export interface ListQuery {
  readonly labelSelector?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface ListPage {
  readonly items: readonly unknown[];
  readonly next?: string | undefined;
}

export interface ResourceKind<Name extends string = string> {
  /** The canonical argument value: plural, lower case. */
  readonly name: Name;
  readonly kind: string;
  /** Short names, as kubectl knows them (svc, cm, pvc, …). */
  readonly aliases: readonly string[];
  list(kube: NamespacedKube, query: ListQuery): Promise<ListPage>;
  read(kube: NamespacedKube, name: string): Promise<unknown>;
  /** An object as read or listed, in its wire form (field names as the API spells them, times as strings). */
  toWire(object: unknown): JsonObject;
  /** Related objects the list rows of `items` need (a Service's EndpointSlices); none for most kinds. */
  related(kube: NamespacedKube, items: readonly unknown[]): Promise<readonly unknown[]>;
}

interface Page<T> {
  readonly items: T[];
  readonly metadata?: { readonly _continue?: string | undefined } | undefined;
}

/** One typed list-and-read pair of the gateway, erased to ResourceKind. */
function typed<T extends KubernetesObject, Name extends string>(definition: {
  readonly name: Name;
  readonly kind: string;
  readonly model: string;
  readonly aliases: readonly string[];
  readonly api: (kube: NamespacedKube) => ObjectApi<T, Page<T>>;
  readonly related?: (kube: NamespacedKube, items: readonly T[]) => Promise<readonly unknown[]>;
}): ResourceKind<Name> {
  return {
    name: definition.name,
    kind: definition.kind,
    aliases: definition.aliases,
    async list(kube, query) {
      const page = await definition.api(kube).list({
        labelSelector: query.labelSelector,
        limit: query.limit,
        _continue: query.cursor,
      });
      return { items: page.items, next: page.metadata?._continue || undefined };
    },
    read: (kube, name) => definition.api(kube).read(name),
    // The generated models rename a few fields (`from` → `_from`) and hold Dates; the serializer restores both.
    toWire: (object) => ObjectSerializer.serialize(object, definition.model, '') as JsonObject,
    related: async (kube, items) => (definition.related ? definition.related(kube, items as readonly T[]) : []),
  };
}

/** The EndpointSlices of the listed Services, for their ready/not-ready counts. */
async function serviceEndpointSlices(kube: NamespacedKube, services: readonly V1Service[]): Promise<V1EndpointSlice[]> {
  const names = services.map((service) => service.metadata?.name ?? '').filter((name) => name !== '');
  if (names.length === 0) return [];
  const list = await kube.endpointSlices.list({
    labelSelector: `kubernetes.io/service-name in (${names.join(',')})`,
    limit: 500,
  });
  return list.items;
}

/**
 * metrics.k8s.io exists only when metrics-server (or another adapter) is installed; its absence is a fact
 * about the cluster, answered as such.
 */
function metricsFailure(error: unknown, podName?: string): unknown {
  const code = (error as { code?: unknown }).code;
  const body = (error as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  if (code === 404 && podName && /"name"\s*:\s*"/.test(text)) {
    return new ToolFailure(
      `No metrics for pod "${podName}" yet: metrics-server has none for it (it samples running pods every 15-60 s; new, pending or finished pods have none). List all with kind podmetrics and no name.`,
      'not-found',
    );
  }
  if (code === 404) {
    return new ToolFailure(
      'metrics-server is not installed in this cluster (the metrics.k8s.io API does not exist), so live CPU and memory usage is unavailable. Use the requests and limits of the pods (get_resources kind pods with a name) and the app metrics (inspect_app aspect metrics) instead, or ask a cluster administrator to install metrics-server.',
      'not-found',
    );
  }
  if (code === 503) {
    return new ToolFailure(
      'The metrics.k8s.io API is registered but not answering (503): metrics-server is down or still starting. Retry in a minute; if it persists, a cluster administrator should check the metrics-server pods and its APIService.',
      'unreachable',
    );
  }
  return error;
}

const podMetrics: ResourceKind<'podmetrics'> = {
  name: 'podmetrics',
  kind: 'PodMetrics',
  aliases: ['top'],
  async list(kube, query) {
    try {
      const page = await kube.podMetrics.list({
        labelSelector: query.labelSelector,
        limit: query.limit,
        _continue: query.cursor,
      });
      return { items: page.items ?? [], next: page.metadata?.continue || undefined };
    } catch (error) {
      throw metricsFailure(error);
    }
  },
  async read(kube, name) {
    try {
      return (await kube.podMetrics.read(name)) as JsonObject;
    } catch (error) {
      throw metricsFailure(error, name);
    }
  },
  toWire: (object) => object as JsonObject,
  related: async () => [],
};

export const RESOURCE_KINDS = [
  typed({
    name: 'services',
    kind: 'Service',
    model: 'V1Service',
    aliases: ['svc'],
    api: (kube) => kube.services,
    related: serviceEndpointSlices,
  }),
  typed({
    name: 'endpoints',
    kind: 'Endpoints',
    model: 'V1Endpoints',
    aliases: ['ep'],
    api: (kube) => kube.endpoints,
  }),
  typed({
    name: 'endpointslices',
    kind: 'EndpointSlice',
    model: 'V1EndpointSlice',
    aliases: ['eps'],
    api: (kube) => kube.endpointSlices,
  }),
  typed({
    name: 'configmaps',
    kind: 'ConfigMap',
    model: 'V1ConfigMap',
    aliases: ['cm'],
    api: (kube) => kube.configMaps,
  }),
  typed({
    name: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    model: 'V1PersistentVolumeClaim',
    aliases: ['pvc'],
    api: (kube) => kube.persistentVolumeClaims,
  }),
  typed({
    name: 'serviceaccounts',
    kind: 'ServiceAccount',
    model: 'V1ServiceAccount',
    aliases: ['sa'],
    api: (kube) => kube.serviceAccounts,
  }),
  typed({
    name: 'ingresses',
    kind: 'Ingress',
    model: 'V1Ingress',
    aliases: ['ing'],
    api: (kube) => kube.ingresses,
  }),
  typed({
    name: 'networkpolicies',
    kind: 'NetworkPolicy',
    model: 'V1NetworkPolicy',
    aliases: ['netpol'],
    api: (kube) => kube.networkPolicies,
  }),
  typed({
    name: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    model: 'V2HorizontalPodAutoscaler',
    aliases: ['hpa'],
    api: (kube) => kube.horizontalPodAutoscalers,
  }),
  typed({
    name: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    model: 'V1PodDisruptionBudget',
    aliases: ['pdb'],
    api: (kube) => kube.podDisruptionBudgets,
  }),
  typed({
    name: 'replicasets',
    kind: 'ReplicaSet',
    model: 'V1ReplicaSet',
    aliases: ['rs'],
    api: (kube) => kube.replicaSets,
  }),
  typed({
    name: 'pods',
    kind: 'Pod',
    model: 'V1Pod',
    aliases: ['po'],
    api: (kube) => kube.pods,
  }),
  typed({
    name: 'deployments',
    kind: 'Deployment',
    model: 'V1Deployment',
    aliases: ['deploy'],
    api: (kube) => kube.deployments,
  }),
  typed({
    name: 'statefulsets',
    kind: 'StatefulSet',
    model: 'V1StatefulSet',
    aliases: ['sts'],
    api: (kube) => kube.statefulSets,
  }),
  typed({
    name: 'daemonsets',
    kind: 'DaemonSet',
    model: 'V1DaemonSet',
    aliases: ['ds'],
    api: (kube) => kube.daemonSets,
  }),
  typed({
    name: 'jobs',
    kind: 'Job',
    model: 'V1Job',
    aliases: [],
    api: (kube) => kube.jobs,
  }),
  typed({
    name: 'cronjobs',
    kind: 'CronJob',
    model: 'V1CronJob',
    aliases: ['cj'],
    api: (kube) => kube.cronJobs,
  }),
  podMetrics,
] as const;

export type ResourceKindName = (typeof RESOURCE_KINDS)[number]['name'];

// Besides the canonical plural and the short names: the singular, the kind itself, and plural short names.
const BY_NAME = new Map<string, ResourceKind<ResourceKindName>>(
  RESOURCE_KINDS.flatMap((kind) =>
    [
      kind.name,
      kind.name.replace(/s$/, ''),
      kind.kind.toLowerCase(),
      ...kind.aliases,
      ...kind.aliases.map((alias) => `${alias}s`),
    ].map((name) => [name, kind] as const),
  ),
);

/** The advertised argument values: canonical names and short names. */
export const KIND_ARGUMENTS: readonly string[] = RESOURCE_KINDS.flatMap((kind) => [kind.name, ...kind.aliases]);

/** Kinds asked for that podmcp does not serve, and why (with where to look instead). */
const REFUSED: ReadonlyArray<readonly [readonly string[], (namespace: string) => string, 'refused' | 'invalid']> = [
  [
    ['secret', 'secrets'],
    () =>
      "podmcp never reads Secrets: they are not a kind here, the sidecar refuses every Secret request, and its Role does not grant them. To check that a Secret a pod needs exists, look at the pod's events (list_events): a missing one shows as FailedMount or CreateContainerConfigError. Pod specs name the Secrets they use (get_resources kind pods with a name).",
    'refused',
  ],
  [
    [
      'node',
      'nodes',
      'no',
      'namespace',
      'namespaces',
      'ns',
      'persistentvolume',
      'persistentvolumes',
      'pv',
      'storageclass',
      'storageclasses',
      'sc',
      'clusterrole',
      'clusterroles',
      'clusterrolebinding',
      'clusterrolebindings',
      'customresourcedefinition',
      'customresourcedefinitions',
      'crd',
      'crds',
      'ingressclass',
      'ingressclasses',
      'priorityclass',
      'priorityclasses',
      'apiservice',
      'apiservices',
    ],
    (namespace) =>
      `that kind is cluster-scoped; podmcp serves namespace ${namespace} only. A pod's node and its PersistentVolumeClaims' volumes are named in get_resources kind pods / pvc.`,
    'refused',
  ],
  [['event', 'events', 'ev'], () => 'events have their own tool: call list_events.', 'invalid'],
  [['log', 'logs'], () => 'logs have their own tool: call get_pod_logs.', 'invalid'],
];

export type KindLookup = { readonly kind: ResourceKind<ResourceKindName> } | { readonly failure: ToolFailure };

/** Resolves what the agent typed (any case, singular, plural or short name) to a kind, or a failure to show. */
export function lookupKind(text: string, namespace: string): KindLookup {
  const wanted = text.trim().toLowerCase();
  const kind = BY_NAME.get(wanted);
  if (kind) return { kind };
  for (const [names, reason, failureKind] of REFUSED) {
    if (names.includes(wanted)) return { failure: new ToolFailure(reason(namespace), failureKind) };
  }
  return {
    failure: new ToolFailure(
      `Unknown or unsupported kind "${text}". Supported: ${RESOURCE_KINDS.map(
        (item) => `${item.name}${item.aliases.length > 0 ? ` (${item.aliases.join(', ')})` : ''}`,
      ).join(', ')}.`,
      'invalid',
    ),
  };
}
