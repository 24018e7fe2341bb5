/**
 * JSON Patch (RFC 6902) that adds the sidecar, built operation by operation — never by diffing whole pods,
 * which would rewrite fields another webhook owns. Missing maps and arrays are created before anything is
 * appended to them, and existing annotations are never replaced wholesale.
 */
import type { V1Pod } from '@kubernetes/client-node';
import {
  DEFAULT_CONTAINER_ANNOTATION,
  ENDPOINT_ANNOTATION,
  INJECTED_LABEL,
  SIDECAR_CONTAINER_NAME,
  STATUS_ANNOTATION,
} from '@podmcp/core';
import type { InjectorConfig } from './config.ts';
import type { InjectionPlan } from './decide.ts';
import { INJECTION_VERSION, renderSidecar } from './sidecar.ts';

export type PatchOperation = { op: 'add'; path: string; value: unknown };

/** RFC 6901: `~` must become `~0` before `/` becomes `~1`, or `~1` in a key would be misread. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

export interface InjectionStatus {
  readonly version: string;
  readonly native: boolean;
  readonly containers: readonly string[];
  readonly volumes: readonly string[];
  readonly configHash: string;
}

export function buildPatch(pod: V1Pod, plan: InjectionPlan, config: InjectorConfig): PatchOperation[] {
  const rendered = renderSidecar(plan, config);
  const status: InjectionStatus = {
    version: INJECTION_VERSION,
    native: plan.native,
    containers: [SIDECAR_CONTAINER_NAME],
    volumes: rendered.volumes.map((volume) => volume.name),
    configHash: rendered.configHash,
  };

  const annotations: Record<string, string> = {
    [STATUS_ANNOTATION]: JSON.stringify(status),
    [ENDPOINT_ANNOTATION]: `http://127.0.0.1:${plan.settings.sidecar.port}/mcp`,
  };
  const firstAppContainer = pod.spec?.containers?.[0]?.name;
  const existingAnnotations = pod.metadata?.annotations;
  if (firstAppContainer && existingAnnotations?.[DEFAULT_CONTAINER_ANNOTATION] === undefined) {
    // Keeps `kubectl logs` and `kubectl exec` on the app rather than on the sidecar.
    annotations[DEFAULT_CONTAINER_ANNOTATION] = firstAppContainer;
  }

  return [
    ...(pod.metadata ? [] : [add('/metadata', {})]),
    ...addToMap('/metadata/annotations', existingAnnotations, annotations),
    ...addToMap('/metadata/labels', pod.metadata?.labels, { [INJECTED_LABEL]: 'true' }),
    ...appendToArray('/spec/volumes', pod.spec?.volumes, rendered.volumes),
    ...(plan.native
      ? appendToArray('/spec/initContainers', pod.spec?.initContainers, [rendered.container])
      : appendToArray('/spec/containers', pod.spec?.containers, [rendered.container])),
  ];
}

function add(path: string, value: unknown): PatchOperation {
  return { op: 'add', path, value };
}

function addToMap(path: string, existing: object | undefined, entries: Record<string, string>): PatchOperation[] {
  if (existing === undefined) return [add(path, entries)];
  return Object.entries(entries).map(([key, value]) => add(`${path}/${escapePointerToken(key)}`, value));
}

function appendToArray(
  path: string,
  existing: readonly unknown[] | undefined,
  items: readonly unknown[],
): PatchOperation[] {
  if (existing === undefined) return [add(path, [...items])];
  return items.map((item) => add(`${path}/-`, item));
}
