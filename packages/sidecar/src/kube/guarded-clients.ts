/**
 * The first step of every request the sidecar sends: the namespace guard, wired into the generated clients
 * and the watch, so nothing leaves unchecked. Only the gateway (namespaced-kube.ts) holds these clients;
 * the rest of the sidecar asks the gateway.
 */
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  type KubeConfig,
  NetworkingV1Api,
  PolicyV1Api,
  type RequestContext,
  type ResponseContext,
  Watch,
} from '@kubernetes/client-node';
import { poolFor } from '@podmcp/core';
import { checkRequest } from './namespace-guard.ts';

export class NamespaceViolation extends Error {
  override readonly name = 'NamespaceViolation';
}

export interface GuardedClients {
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly policy: PolicyV1Api;
  readonly networking: NetworkingV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly events: EventsV1Api;
  readonly authorization: AuthorizationV1Api;
  /** TokenReviews of remote MCP callers' tokens (the guard admits only ones that name their audiences). */
  readonly authentication: AuthenticationV1Api;
  /** metrics.k8s.io and other aggregated APIs. */
  readonly custom: CustomObjectsApi;
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

/** Optional observer of each request that passed the guard (metrics). */
export type RequestObserver = (method: string, path: string) => void;

export function createGuardedClients(
  kubeConfig: KubeConfig,
  namespace: string,
  observe?: RequestObserver,
): GuardedClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  let sent = 0;
  const guard = {
    async pre(context: RequestContext): Promise<RequestContext> {
      const method = context.getHttpMethod();
      const url = context.getUrl();
      const verdict = checkRequest(namespace, method, url, context.getBody());
      if (!verdict.allowed) throw new NamespaceViolation(`refused ${method} ${url}: ${verdict.reason}`);
      sent += 1;
      observe?.(method, new URL(url).pathname);
      return context;
    },
    async post(context: ResponseContext): Promise<ResponseContext> {
      return context;
    },
  };
  // Every client and watch shares the kubeconfig's one connection pool.
  const pool = poolFor(kubeConfig);
  const configuration = pool.configuration([guard]);
  // Watch uses only the cluster and the per-request credentials of what it is given.
  const watcher = new Watch(pool.forWatch as KubeConfig);
  return {
    namespace,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    batch: new BatchV1Api(configuration),
    autoscaling: new AutoscalingV2Api(configuration),
    policy: new PolicyV1Api(configuration),
    networking: new NetworkingV1Api(configuration),
    discovery: new DiscoveryV1Api(configuration),
    events: new EventsV1Api(configuration),
    authorization: new AuthorizationV1Api(configuration),
    authentication: new AuthenticationV1Api(configuration),
    custom: new CustomObjectsApi(configuration),
    async watch(path, query, onEvent, onDone) {
      const verdict = checkRequest(namespace, 'GET', new URL(path, cluster.server).toString());
      if (!verdict.allowed) throw new NamespaceViolation(`refused watch ${path}: ${verdict.reason}`);
      sent += 1;
      observe?.('WATCH', path);
      return watcher.watch(path, query, (type, object) => onEvent(type, object), onDone);
    },
    requestCount: () => sent,
  };
}
