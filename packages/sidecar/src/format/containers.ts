/** Which container of a pod a log read means, and whether it has a previous instance to read. */
import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULT_CONTAINER_ANNOTATION, SIDECAR_CONTAINER_NAME } from '@podmcp/core';

export interface ContainerChoice {
  readonly container: string;
  /** Every container of the pod: app containers, then init containers, then ephemeral ones. */
  readonly containers: readonly string[];
  /** Set when none was named and the pod has several: which one was picked, why, and the others. */
  readonly note?: string;
}

/** Picks the container to read: the one named, else the default-container annotation, else the first app container. */
export function chooseContainer(pod: V1Pod, requested: string | undefined): ContainerChoice | { error: string } {
  const podName = pod.metadata?.name ?? '?';
  const app = (pod.spec?.containers ?? []).map((container) => container.name);
  const init = (pod.spec?.initContainers ?? []).map((container) => container.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((container) => container.name);
  const containers = [...app, ...init, ...ephemeral];
  if (requested !== undefined) {
    if (containers.includes(requested)) return { container: requested, containers };
    return {
      error: `Pod ${podName} has no container "${requested}". Its containers: ${describeContainers(app, init, ephemeral)}.`,
    };
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  let container: string | undefined;
  let why: string;
  if (annotated && containers.includes(annotated)) {
    container = annotated;
    why = `the pod's ${DEFAULT_CONTAINER_ANNOTATION} annotation`;
  } else {
    container = app.find((name) => name !== SIDECAR_CONTAINER_NAME) ?? app[0] ?? containers[0];
    why = 'the first app container';
  }
  if (container === undefined) return { error: `Pod ${podName} has no containers.` };
  const others = containers.filter((name) => name !== container);
  return others.length === 0
    ? { container, containers }
    : {
        container,
        containers,
        note: `Read container ${container} (${why}); the pod also has ${others.join(', ')}: pass container to read another.`,
      };
}

function describeContainers(app: readonly string[], init: readonly string[], ephemeral: readonly string[]): string {
  return [
    app.join(', '),
    init.length > 0 ? `init: ${init.join(', ')}` : '',
    ephemeral.length > 0 ? `ephemeral: ${ephemeral.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
}

/** Whether the container has a previous instance the kubelet can still serve the log of. */
export function hasPreviousInstance(pod: V1Pod, container: string): boolean {
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const status = statuses.find((item) => item.name === container);
  if (!status) return false;
  return (status.restartCount ?? 0) > 0 || status.lastState?.terminated !== undefined;
}
