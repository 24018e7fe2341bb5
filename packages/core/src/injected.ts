/**
 * The names the injector gives what it adds to a pod, and how anyone tells an injected pod apart. The CLI
 * looks for the container, the sidecar names itself in log advice, and the injector renders and checks them:
 * one definition, so the three cannot drift apart.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { STATUS_ANNOTATION } from './annotations.ts';

export const SIDECAR_CONTAINER_NAME = 'podmcp';
export const TMP_VOLUME = 'podmcp-tmp';
export const TOKEN_VOLUME = 'podmcp-token';
export const PROMETHEUS_TOKEN_VOLUME = 'podmcp-prometheus-token';
export const SIDECAR_VOLUME_NAMES = [TMP_VOLUME, TOKEN_VOLUME, PROMETHEUS_TOKEN_VOLUME] as const;
export const HEALTH_PORT_NAME = 'podmcp-health';
export const MCP_PORT_NAME = 'podmcp-mcp';

/** The sidecar container, among the init containers (native sidecar) or the regular ones. */
export function sidecarContainerOf(pod: V1Pod): V1Container | undefined {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return all.find((container) => container.name === SIDECAR_CONTAINER_NAME);
}

/**
 * Injected means the status annotation and the container are both there; the status alone (e.g. copied by
 * hand) would otherwise hide a missing sidecar. This is what makes reinvocation a no-op.
 */
export function isInjected(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[STATUS_ANNOTATION] !== undefined && sidecarContainerOf(pod) !== undefined;
}
