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
import { INJECTION_VERSION, type RenderedSidecar, renderSidecar } from './sidecar.ts';

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
  return operations(pod, plan, {
    status: JSON.stringify(injectionStatus(plan, rendered)),
    container: rendered.container,
    volumes: rendered.volumes,
  });
}

/**
 * The same patch as `JSON.stringify(buildPatch(…))`, byte for byte, for the webhook's answer. The sidecar a plan
 * renders is encoded once per plan (plans are shared by the pods of a workload), so an admission encodes only
 * the few small operations that depend on the pod, never the pod itself nor the sidecar again.
 */
export function encodePatch(pod: V1Pod, plan: InjectionPlan, config: InjectorConfig): string {
  const encoded = encodedSidecar(plan, config);
  const parts = operations(pod, plan, {
    status: encoded.status,
    container: encoded.container,
    volumes: encoded.volumes,
  }).map(
    ({ op, path, value }) =>
      `{"op":${JSON.stringify(op)},"path":${JSON.stringify(path)},"value":${encodeValue(value)}}`,
  );
  return `[${parts.join(',')}]`;
}

/** What the operations place: the status annotation's text, the container and the volumes, as objects or encoded. */
interface Placed {
  readonly status: string;
  readonly container: unknown;
  readonly volumes: readonly unknown[];
}

function operations(pod: V1Pod, plan: InjectionPlan, placed: Placed): PatchOperation[] {
  const annotations: Record<string, string> = {
    [STATUS_ANNOTATION]: placed.status,
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
    ...appendToArray('/spec/volumes', pod.spec?.volumes, placed.volumes),
    ...(plan.native
      ? appendToArray('/spec/initContainers', pod.spec?.initContainers, [placed.container])
      : appendToArray('/spec/containers', pod.spec?.containers, [placed.container])),
  ];
}

function injectionStatus(plan: InjectionPlan, rendered: RenderedSidecar): InjectionStatus {
  return {
    version: INJECTION_VERSION,
    native: plan.native,
    containers: [SIDECAR_CONTAINER_NAME],
    volumes: rendered.volumes.map((volume) => volume.name),
    configHash: rendered.configHash,
  };
}

/** JSON text already encoded; encodeValue writes it as is. */
class Encoded {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

interface EncodedSidecar extends Placed {
  readonly config: InjectorConfig;
  readonly container: Encoded;
  readonly volumes: readonly Encoded[];
}

// Keyed by plan: a plan dies with the decision cache entry that handed it out, and its encoding with it.
const ENCODED = new WeakMap<InjectionPlan, EncodedSidecar>();

function encodedSidecar(plan: InjectionPlan, config: InjectorConfig): EncodedSidecar {
  const cached = ENCODED.get(plan);
  if (cached?.config === config) return cached;
  const rendered = renderSidecar(plan, config);
  const encoded: EncodedSidecar = {
    config,
    status: JSON.stringify(injectionStatus(plan, rendered)),
    container: new Encoded(JSON.stringify(rendered.container)),
    volumes: rendered.volumes.map((volume) => new Encoded(JSON.stringify(volume))),
  };
  ENCODED.set(plan, encoded);
  return encoded;
}

/** JSON.stringify, except that encoded parts are written as they are (arrays hold them as items). */
function encodeValue(value: unknown): string {
  if (value instanceof Encoded) return value.json;
  if (Array.isArray(value)) return `[${value.map(encodeValue).join(',')}]`;
  return JSON.stringify(value);
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
