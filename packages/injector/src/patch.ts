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
  return operations(shapeOf(pod), plan, {
    status: JSON.stringify(injectionStatus(plan, rendered)),
    container: rendered.container,
    volumes: rendered.volumes,
  });
}

/**
 * The same patch as `JSON.stringify(buildPatch(…))`, byte for byte. The sidecar a plan renders is encoded once
 * per plan (plans are shared by the pods of a workload), so this encodes only the few small operations that
 * depend on the pod, never the pod itself nor the sidecar again.
 */
export function encodePatch(pod: V1Pod, plan: InjectionPlan, config: InjectorConfig): string {
  return encodeOperations(shapeOf(pod), plan, encodedSidecar(plan, config));
}

/**
 * The patch as the AdmissionReview carries it (base64 of `encodePatch`). The operations read only the pod's
 * shape, so the pods of one workload, which share it, share one encoding.
 */
export function patchBase64(pod: V1Pod, plan: InjectionPlan, config: InjectorConfig): string {
  const encoded = encodedSidecar(plan, config);
  const shape = shapeOf(pod);
  const key = `${encoded.id} ${JSON.stringify(shape)}`;
  let patch = PATCHES.get(key);
  if (patch === undefined) {
    patch = Buffer.from(encodeOperations(shape, plan, encoded)).toString('base64');
    if (key.length <= MAX_PATCH_KEY_CHARS) {
      if (PATCHES.size >= MAX_PATCHES) PATCHES.clear();
      PATCHES.set(key, patch);
    }
  }
  return patch;
}

// One bound for all plans together (a patch is a few KiB), so ever-new annotations or container names cannot
// grow memory: at most this many patches are kept, whatever created them.
const PATCHES = new Map<string, string>();
const MAX_PATCHES = 256;
const MAX_PATCH_KEY_CHARS = 1024;

/** All the operations read of a pod: which maps and lists exist, and the app container `kubectl` should default to. */
interface PodShape {
  readonly metadata: boolean;
  readonly annotations: boolean;
  readonly labels: boolean;
  readonly volumes: boolean;
  readonly initContainers: boolean;
  readonly containers: boolean;
  readonly defaultContainer: string | undefined;
}

function shapeOf(pod: V1Pod): PodShape {
  const firstAppContainer = pod.spec?.containers?.[0]?.name;
  const annotations = pod.metadata?.annotations;
  return {
    metadata: Boolean(pod.metadata),
    annotations: annotations !== undefined,
    labels: pod.metadata?.labels !== undefined,
    volumes: pod.spec?.volumes !== undefined,
    initContainers: pod.spec?.initContainers !== undefined,
    containers: pod.spec?.containers !== undefined,
    // Keeps `kubectl logs` and `kubectl exec` on the app rather than on the sidecar, unless the pod chose.
    defaultContainer:
      firstAppContainer && annotations?.[DEFAULT_CONTAINER_ANNOTATION] === undefined ? firstAppContainer : undefined,
  };
}

/** What the operations place: the status annotation's text, the container and the volumes, as objects or encoded. */
interface Placed {
  readonly status: string;
  readonly container: unknown;
  readonly volumes: readonly unknown[];
}

function operations(shape: PodShape, plan: InjectionPlan, placed: Placed): PatchOperation[] {
  const annotations: Record<string, string> = {
    [STATUS_ANNOTATION]: placed.status,
    [ENDPOINT_ANNOTATION]: `http://127.0.0.1:${plan.settings.sidecar.port}/mcp`,
  };
  if (shape.defaultContainer) annotations[DEFAULT_CONTAINER_ANNOTATION] = shape.defaultContainer;

  return [
    ...(shape.metadata ? [] : [add('/metadata', {})]),
    ...addToMap('/metadata/annotations', shape.annotations, annotations),
    ...addToMap('/metadata/labels', shape.labels, { [INJECTED_LABEL]: 'true' }),
    ...appendToArray('/spec/volumes', shape.volumes, placed.volumes),
    ...(plan.native
      ? appendToArray('/spec/initContainers', shape.initContainers, [placed.container])
      : appendToArray('/spec/containers', shape.containers, [placed.container])),
  ];
}

function encodeOperations(shape: PodShape, plan: InjectionPlan, encoded: EncodedSidecar): string {
  const parts = operations(shape, plan, encoded).map(
    ({ op, path, value }) =>
      `{"op":${JSON.stringify(op)},"path":${JSON.stringify(path)},"value":${encodeValue(value)}}`,
  );
  return `[${parts.join(',')}]`;
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
  /** Never reused, so a patch kept for an encoding that is gone is never handed to another. */
  readonly id: number;
}

// Keyed by plan: a plan dies with the decision cache entry that handed it out, and its encoding with it.
const ENCODED = new WeakMap<InjectionPlan, EncodedSidecar>();
let nextEncodingId = 0;

function encodedSidecar(plan: InjectionPlan, config: InjectorConfig): EncodedSidecar {
  const cached = ENCODED.get(plan);
  if (cached?.config === config) return cached;
  const rendered = renderSidecar(plan, config);
  const encoded: EncodedSidecar = {
    config,
    status: JSON.stringify(injectionStatus(plan, rendered)),
    container: new Encoded(JSON.stringify(rendered.container)),
    volumes: rendered.volumes.map((volume) => new Encoded(JSON.stringify(volume))),
    id: nextEncodingId++,
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

function addToMap(path: string, exists: boolean, entries: Record<string, string>): PatchOperation[] {
  if (!exists) return [add(path, entries)];
  return Object.entries(entries).map(([key, value]) => add(`${path}/${escapePointerToken(key)}`, value));
}

function appendToArray(path: string, exists: boolean, items: readonly unknown[]): PatchOperation[] {
  if (!exists) return [add(path, [...items])];
  return items.map((item) => add(`${path}/-`, item));
}
