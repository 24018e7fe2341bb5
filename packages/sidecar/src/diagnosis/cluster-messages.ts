/**
 * The cluster's own explanation of a pod's failure, picked from its events: the scheduler's reason for not
 * placing it, the registry's answer to a failing pull, and what the pod itself asks the scheduler for.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { cap } from './cluster-text.ts';

/**
 * What the scheduler weighs from the pod itself, to read beside its message: each container's requests (the
 * scheduler adds them up), the nodeSelector and whether it has a node affinity. Undefined when it asks for nothing.
 */
export function schedulingAsks(pod: V1Pod): string | undefined {
  const containers = pod.spec?.containers ?? [];
  const requests = containers.flatMap((container) => {
    const entries = Object.entries(container.resources?.requests ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return [];
    const text = entries.map(([resource, quantity]) => `${resource} ${quantity}`).join(', ');
    return [containers.length > 1 ? `${container.name}: ${text}` : text];
  });
  const parts: string[] = [];
  if (requests.length > 0) parts.push(`requests ${requests.join('; ')}`);
  const selector = Object.entries(pod.spec?.nodeSelector ?? {}).map(([key, value]) => `${key}=${value}`);
  if (selector.length > 0) parts.push(`nodeSelector ${selector.join(', ')}`);
  if (pod.spec?.affinity?.nodeAffinity) parts.push('a node affinity');
  return parts.length > 0 ? parts.join('; ') : undefined;
}

export function schedulingFailureMessage(pod: string, events: readonly CoreV1Event[]): string | undefined {
  return events.find(
    (item) =>
      item.involvedObject?.kind === 'Pod' && item.involvedObject.name === pod && item.reason === 'FailedScheduling',
  )?.message;
}

/**
 * The registry's own answer for a failing pull ("manifest unknown", "not found", "unauthorized"), chosen the
 * same way whatever order the events arrive in: the kubelet also writes "Error: ErrImagePull",
 * "Error: ImagePullBackOff" and "Back-off pulling image", which only repeat the state. Among the pod's pull
 * messages and the container's waiting message, the most specific wins, then the newest, then the text.
 */
export function pullFailureMessage(
  pod: string,
  container: string,
  image: string | undefined,
  waitingMessage: string | undefined,
  events: readonly CoreV1Event[],
): string | undefined {
  const candidates: Array<{ message: string; at: number }> = [];
  for (const item of events) {
    if (isPullMessageFor(item, pod, container, image))
      candidates.push({ message: item.message ?? '', at: eventTime(item) });
  }
  if (waitingMessage) candidates.push({ message: waitingMessage, at: 0 });
  const best = candidates.sort(
    (a, b) =>
      pullSpecificity(b.message) - pullSpecificity(a.message) ||
      b.at - a.at ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  )[0];
  return cap(best?.message);
}

/** An event about pulling this container's image (or any image, when it names none). */
function isPullMessageFor(item: CoreV1Event, pod: string, container: string, image: string | undefined): boolean {
  const message = item.message ?? '';
  if (item.involvedObject?.kind !== 'Pod' || item.involvedObject.name !== pod) return false;
  if (!/pull|image/i.test(message) || !/^(Failed|BackOff|ErrImagePull|InspectFailed)$/.test(item.reason ?? '')) {
    return false;
  }
  const fieldPath = item.involvedObject.fieldPath;
  if (fieldPath && !fieldPath.includes(`{${container}}`)) return false;
  return !(image && /"[^"]+"/.test(message) && !message.includes(image));
}

/** 2: the registry or runtime said why; 1: names the image but not why; 0: only the state's name. */
function pullSpecificity(message: string): number {
  if (/^(Error: )?(ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName)$/i.test(message.trim())) return 0;
  if (/^Back-off pulling image/i.test(message.trim())) return 1;
  return /failed to pull|not found|manifest unknown|unauthorized|denied|forbidden|no such host|timeout|x509|invalid/i.test(
    message,
  )
    ? 2
    : 1;
}

function eventTime(event: CoreV1Event): number {
  const at = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
  const time = at ? new Date(at as unknown as string).getTime() : 0;
  return Number.isFinite(time) ? time : 0;
}
