/**
 * Which pod of a workload `podmcp connect` forwards to, decided from plain V1Pod objects: the pod must carry
 * the sidecar the injector added (its `podmcp.dev/status` annotation and the `podmcp` container), must not be
 * terminating, and its sidecar must be ready. The MCP port is read from the `podmcp.dev/endpoint` annotation
 * the injector writes. No API calls here, so every rule is unit-tested.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  annotationKey,
  DEFAULT_MCP_PORT,
  ENDPOINT_ANNOTATION,
  isInjected,
  SIDECAR_CONTAINER_NAME,
  STATUS_ANNOTATION,
  sidecarContainerOf,
} from '@podmcp/core';
import { CommandError } from '../command.ts';

/** The annotation a user sets on the pod template to ask for the sidecar. */
export const INJECT_ANNOTATION = annotationKey('inject');

export interface ChosenPod {
  readonly name: string;
  readonly uid: string | undefined;
  /** The sidecar's MCP port inside the pod. */
  readonly port: number;
}

/** Why no pod could be chosen; the message says what to do. */
export class NoPodError extends CommandError {
  override name = 'NoPodError';
  readonly reason: 'no-pods' | 'not-injected' | 'not-ready';

  constructor(reason: 'no-pods' | 'not-injected' | 'not-ready', message: string) {
    super(message);
    this.reason = reason;
  }
}

function sidecarStatus(pod: V1Pod): V1ContainerStatus | undefined {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return all.find((status) => status.name === SIDECAR_CONTAINER_NAME);
}

/**
 * Ready to serve MCP: running, not terminating, and the sidecar container ready (its readiness probe is
 * "serving MCP"). Where the kubelet reports no status for it, the pod's Ready condition stands in.
 */
export function isSidecarReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return false;
  if (pod.status?.phase !== 'Running') return false;
  const status = sidecarStatus(pod);
  if (status !== undefined) return status.ready === true;
  return (
    pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false
  );
}

/** The MCP port from `podmcp.dev/endpoint` (http://127.0.0.1:PORT/mcp), else the container's PODMCP_PORT. */
export function mcpPort(pod: V1Pod): number {
  const endpoint = pod.metadata?.annotations?.[ENDPOINT_ANNOTATION];
  if (endpoint !== undefined) {
    try {
      const port = Number(new URL(endpoint).port);
      if (Number.isInteger(port) && port > 0 && port <= 65535) return port;
    } catch {
      // An unreadable annotation falls through to the container's settings.
    }
  }
  const env = sidecarContainerOf(pod)?.env?.find((variable) => variable.name === 'PODMCP_PORT')?.value;
  const fromEnv = Number(env);
  if (env !== undefined && Number.isInteger(fromEnv) && fromEnv > 0 && fromEnv <= 65535) return fromEnv;
  return DEFAULT_MCP_PORT;
}

export interface ChooseOptions {
  /** How the workload is named in messages, e.g. deploy/checkout. */
  readonly target: string;
  readonly namespace: string;
  /** Pods that just failed: chosen only when nothing else is ready. */
  readonly avoid?: ReadonlySet<string>;
}

/**
 * A ready, injected pod: one not in `avoid` if there is one, then the oldest (the one least likely to be
 * replaced by a rollout in progress), then by name, so the choice is stable.
 */
export function choosePod(pods: readonly V1Pod[], options: ChooseOptions): ChosenPod {
  const { target, namespace } = options;
  if (pods.length === 0) {
    throw new NoPodError(
      'no-pods',
      `${target} in namespace ${namespace} has no pods. Scale it up or wait for its pods to be created, then run podmcp connect again.`,
    );
  }
  const injected = pods.filter(isInjected);
  if (injected.length === 0) {
    const count = pods.length === 1 ? 'its pod does' : `none of its ${pods.length} pods does`;
    throw new NoPodError(
      'not-injected',
      `${target} in namespace ${namespace} has no podmcp sidecar injected: ${count} not carry the ${STATUS_ANNOTATION} ` +
        `annotation and the ${SIDECAR_CONTAINER_NAME} container. Annotate its pod template with ${INJECT_ANNOTATION}: "true" ` +
        `(and check that the podmcp webhook runs in this cluster), let the pods restart, then run podmcp connect again.`,
    );
  }
  const ready = injected.filter(isSidecarReady);
  if (ready.length === 0) {
    const states = injected.map((pod) => `${pod.metadata?.name ?? '?'} (${podState(pod)})`).join(', ');
    throw new NoPodError(
      'not-ready',
      `${target} in namespace ${namespace} has no pod whose podmcp sidecar is ready: ${states}. ` +
        `Wait for the rollout (kubectl rollout status), or look at the sidecar: kubectl logs -n ${namespace} POD -c ${SIDECAR_CONTAINER_NAME}.`,
    );
  }
  const avoid = options.avoid ?? new Set<string>();
  const preferred = ready.filter((pod) => !avoid.has(pod.metadata?.name ?? ''));
  const [pod] = (preferred.length > 0 ? preferred : ready).toSorted(oldestFirst);
  if (pod === undefined) throw new Error('unreachable: a ready pod was found');
  return { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid, port: mcpPort(pod) };
}

function podState(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'terminating';
  if (pod.status?.phase !== 'Running') return pod.status?.phase ?? 'Pending';
  return 'sidecar not ready';
}

function oldestFirst(a: V1Pod, b: V1Pod): number {
  const at = creation(a);
  const bt = creation(b);
  if (at !== bt) return at - bt;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

function creation(pod: V1Pod): number {
  const value = pod.metadata?.creationTimestamp;
  if (value === undefined) return Number.POSITIVE_INFINITY;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}
