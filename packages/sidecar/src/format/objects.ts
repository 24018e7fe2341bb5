/**
 * Namespaced objects as an agent should see them: the object itself, stripped of what only the machinery needs
 * (managedFields, uid, resourceVersion, the last-applied annotation, which can carry a Secret's data) and with
 * long strings capped; and how a pod uses its ConfigMaps. The one summary row per kind for lists is in
 * object-summaries.ts. Pure: plain objects in, plain objects out.
 */

import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { Json, JsonObject } from '../kube/wire.ts';
import { redactShapes } from '../safety/redact.ts';

export type { Json, JsonObject } from '../kube/wire.ts';

export type SummaryValue = string | number | boolean;
export type Summary = Record<string, SummaryValue>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Long strings (annotations, commands, embedded files) are cut here, with a marker. */
export const MAX_STRING_BYTES = 2048;
// Only the machinery reads these; lastTransitionTime stays, it dates the condition.
const NOISE_KEYS = new Set(['managedFields', 'uid', 'resourceVersion', 'selfLink', 'containerID']);
const CONDITION_NOISE = new Set(['lastProbeTime', 'lastHeartbeatTime', 'lastUpdateTime']);
const CONDITION = ' condition';
// Maps whose keys are chosen by users: a ConfigMap key or label may well be called "uid".
const USER_KEYED = new Set(['data', 'binaryData', 'labels', 'annotations', 'selector', 'matchLabels', 'nodeSelector']);

/** Cuts a string to `maxBytes` of UTF-8 with a marker that says how much is missing. */
export function capString(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const buffer = Buffer.from(text);
  let end = maxBytes;
  while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return `${buffer.subarray(0, end).toString()}…[truncated: ${bytes - end} more bytes]`;
}

/**
 * The object without machinery noise. Generation and observedGeneration only stay when they differ (then
 * they say the controller lags). Owner references keep kind and name. Nulls go; empty objects stay, because
 * an empty selector means "every pod".
 */
export function stripObject(object: JsonObject): JsonObject {
  const stripped = clean(object, undefined) as JsonObject;
  neatPodSpecs(stripped);
  const metadata = stripped.metadata;
  if (isObject(metadata)) {
    delete metadata.namespace;
    const annotations = metadata.annotations;
    if (isObject(annotations)) {
      delete annotations[LAST_APPLIED];
      if (Object.keys(annotations).length === 0) delete metadata.annotations;
    }
    const owners = metadata.ownerReferences;
    if (Array.isArray(owners)) {
      metadata.ownerReferences = owners.filter(isObject).map((owner) => ({
        kind: owner.kind ?? null,
        name: owner.name ?? null,
        ...(owner.controller === true ? { controller: true } : {}),
      }));
    }
    const status = stripped.status;
    const observed = isObject(status) ? status.observedGeneration : undefined;
    if (metadata.generation === observed || observed === undefined) {
      delete metadata.generation;
      if (isObject(status)) delete status.observedGeneration;
    }
  }
  return stripped;
}

function clean(value: Json, parent: string | undefined): Json | undefined {
  if (value === null) return undefined;
  // Redacted before the cut: a cut inside a credential leaves a fragment no rule recognises.
  if (typeof value === 'string') return capString(redactShapes(value), MAX_STRING_BYTES);
  if (Array.isArray(value)) {
    const itemParent = parent === 'conditions' ? CONDITION : undefined;
    return value.map((item) => clean(item, itemParent)).filter((item): item is Json => item !== undefined);
  }
  if (typeof value !== 'object') return value;
  const userKeyed = parent !== undefined && USER_KEYED.has(parent);
  const result: JsonObject = {};
  for (const [name, item] of Object.entries(value)) {
    if (!userKeyed && NOISE_KEYS.has(name)) continue;
    if (parent === CONDITION && CONDITION_NOISE.has(name)) continue;
    // ConfigMap values are capped by capConfigMapData, which says how to read more.
    const cleaned = parent === 'data' && typeof item === 'string' ? item : clean(item, name);
    if (cleaned !== undefined) result[name] = cleaned;
  }
  return result;
}

// What the API server fills in when a manifest leaves it out: it says nothing about this workload.
const POD_SPEC_DEFAULTS: Readonly<Record<string, Json>> = {
  dnsPolicy: 'ClusterFirst',
  schedulerName: 'default-scheduler',
  enableServiceLinks: true,
  preemptionPolicy: 'PreemptLowerPriority',
  priority: 0,
  terminationGracePeriodSeconds: 30,
  restartPolicy: 'Always',
};
const CONTAINER_DEFAULTS: Readonly<Record<string, Json>> = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};
const DEFAULT_TOLERATION_KEYS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
// The projected service-account token volume every pod gets (named kube-api-access-xxxxx).
const TOKEN_VOLUME = /^kube-api-access-[a-z0-9]+$/;

/** Removes server-filled defaults from every pod spec inside an object (pods, templates, job templates). */
function neatPodSpecs(value: Json): void {
  if (Array.isArray(value)) {
    for (const item of value) neatPodSpecs(item);
    return;
  }
  if (!isObject(value)) return;
  if (Array.isArray(value.containers)) neatPodSpec(value);
  for (const [key, item] of Object.entries(value)) if (key !== 'data') neatPodSpecs(item);
}

function neatPodSpec(spec: JsonObject): void {
  dropDefaults(spec, POD_SPEC_DEFAULTS);
  if (spec.serviceAccount === spec.serviceAccountName) delete spec.serviceAccount;
  if (isEmptyObject(spec.securityContext)) delete spec.securityContext;
  if (Array.isArray(spec.tolerations)) {
    spec.tolerations = spec.tolerations.filter(
      (toleration) =>
        !(
          isObject(toleration) &&
          typeof toleration.key === 'string' &&
          DEFAULT_TOLERATION_KEYS.has(toleration.key) &&
          toleration.effect === 'NoExecute' &&
          toleration.tolerationSeconds === 300
        ),
    );
    if (spec.tolerations.length === 0) delete spec.tolerations;
  }
  const tokenVolumes = new Set<string>();
  if (Array.isArray(spec.volumes)) {
    spec.volumes = spec.volumes.filter((volume) => {
      const isToken = isObject(volume) && typeof volume.name === 'string' && TOKEN_VOLUME.test(volume.name);
      if (isToken) tokenVolumes.add(String(volume.name));
      return !isToken;
    });
    if (spec.volumes.length === 0) delete spec.volumes;
  }
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      if (!isObject(container)) continue;
      dropDefaults(container, CONTAINER_DEFAULTS);
      if (isEmptyObject(container.resources)) delete container.resources;
      if (Array.isArray(container.volumeMounts)) {
        container.volumeMounts = container.volumeMounts.filter(
          (mount) => !(isObject(mount) && tokenVolumes.has(String(mount.name))),
        );
        if (container.volumeMounts.length === 0) delete container.volumeMounts;
      }
    }
  }
}

function dropDefaults(object: JsonObject, defaults: Readonly<Record<string, Json>>): void {
  for (const [key, value] of Object.entries(defaults)) if (object[key] === value) delete object[key];
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ConfigMapCaps {
  /** Each value is cut at this size. */
  readonly perValueBytes: number;
  /** Values stop being included once this much is shown; the rest are named with their size. */
  readonly totalBytes: number;
  /** Only this key's value (cut at totalBytes). */
  readonly key?: string | undefined;
}

/**
 * A stripped ConfigMap with its values capped (binaryData only as sizes). `key` narrows to one value, for
 * when the capped answer said a value was cut or left out.
 */
export function capConfigMapData(object: JsonObject, caps: ConfigMapCaps): JsonObject {
  const data = isObject(object.data) ? object.data : {};
  const binary = isObject(object.binaryData) ? object.binaryData : {};
  const capped: JsonObject = {};
  let shown = 0;
  const entries = Object.entries(data).filter(([name]) => caps.key === undefined || name === caps.key);
  for (const [name, value] of entries) {
    const text = redactShapes(typeof value === 'string' ? value : JSON.stringify(value));
    const size = Buffer.byteLength(text);
    if (caps.key !== undefined) {
      capped[name] = capString(text, caps.totalBytes);
      continue;
    }
    if (shown >= caps.totalBytes) {
      capped[name] = `[omitted: ${formatBytes(size)}; call again with key "${name}"]`;
      continue;
    }
    const cut = size > caps.perValueBytes;
    capped[name] = cut
      ? `${capString(text, caps.perValueBytes)} (call again with key "${name}" for up to ${formatBytes(caps.totalBytes)})`
      : text;
    shown += Math.min(size, caps.perValueBytes);
  }
  const result: JsonObject = { ...object, data: capped };
  delete result.binaryData;
  const binaryEntries = Object.entries(binary).filter(([name]) => caps.key === undefined || name === caps.key);
  if (binaryEntries.length > 0) {
    result.binaryData = Object.fromEntries(
      binaryEntries.map(([name, value]) => [
        name,
        `[binary, ${formatBytes(Math.floor((String(value).length * 3) / 4))}; not shown]`,
      ]),
    );
  }
  return result;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}

/** How a pod uses one ConfigMap. */
export interface ConfigMapUse {
  readonly name: string;
  /** `volume config at /etc/app (app)`, `env LOG_LEVEL (app)`, `envFrom (app)`. */
  readonly uses: string[];
  /** Every reference is optional: the pod starts without it. */
  readonly optional: boolean;
  /** Mounted as files that the kubelet refreshes in place (a volume without subPath). */
  readonly refreshed: boolean;
  /** Read only at container start: environment variables and subPath mounts. */
  readonly atStartOnly: boolean;
}

/**
 * The ConfigMaps a pod depends on — volumes (also inside projected volumes), env valueFrom and envFrom —
 * and how, because that decides whether a change reaches the running pod. kube-root-ca.crt is left out: every
 * pod mounts it through its service-account volume.
 */
export function configMapUses(pod: V1Pod): ConfigMapUse[] {
  const uses = new Map<string, { uses: string[]; optional: boolean[]; refreshed: boolean; atStartOnly: boolean }>();
  const note = (name: string, use: string, optional: boolean | undefined, refreshed: boolean) => {
    if (name === 'kube-root-ca.crt') return;
    let entry = uses.get(name);
    if (!entry) {
      entry = { uses: [], optional: [], refreshed: false, atStartOnly: false };
      uses.set(name, entry);
    }
    entry.uses.push(use);
    entry.optional.push(optional === true);
    if (refreshed) entry.refreshed = true;
    else entry.atStartOnly = true;
  };
  const volumes = new Map<string, string[]>();
  for (const volume of pod.spec?.volumes ?? []) {
    const names = [
      ...(volume.configMap?.name ? [volume.configMap.name] : []),
      ...(volume.projected?.sources ?? []).flatMap((source) => (source.configMap?.name ? [source.configMap.name] : [])),
    ];
    if (names.length > 0) volumes.set(volume.name, names);
  }
  const optionalVolume = new Map<string, boolean>();
  for (const volume of pod.spec?.volumes ?? []) {
    if (volume.configMap) optionalVolume.set(volume.name, volume.configMap.optional === true);
  }
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const mounted = new Set<string>();
  for (const container of containers) {
    for (const mount of container.volumeMounts ?? []) {
      for (const name of volumes.get(mount.name) ?? []) {
        mounted.add(mount.name);
        const where = `${mount.mountPath}${mount.subPath ? ` (subPath ${mount.subPath})` : ''}`;
        note(
          name,
          `volume ${mount.name} at ${where} (${container.name})`,
          optionalVolume.get(mount.name),
          !mount.subPath,
        );
      }
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.configMapKeyRef;
      if (ref?.name) note(ref.name, `env ${variable.name} (${container.name})`, ref.optional, false);
    }
    for (const source of container.envFrom ?? []) {
      const ref = source.configMapRef;
      if (ref?.name) note(ref.name, `envFrom (${container.name})`, ref.optional, false);
    }
  }
  // A volume no container mounts still has to exist for the pod to start.
  for (const [volume, names] of volumes) {
    if (mounted.has(volume)) continue;
    for (const name of names) note(name, `volume ${volume} (not mounted)`, optionalVolume.get(volume), true);
  }
  return [...uses.entries()].map(([name, entry]) => ({
    name,
    uses: entry.uses,
    optional: entry.optional.every(Boolean),
    refreshed: entry.refreshed,
    atStartOnly: entry.atStartOnly,
  }));
}

/** How many Secrets a pod references (it cannot be checked; the count says there is more to it). */
export function secretReferenceCount(pod: V1Pod): number {
  const names = new Set<string>();
  for (const volume of pod.spec?.volumes ?? []) {
    if (volume.secret?.secretName) names.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) if (source.secret?.name) names.add(source.secret.name);
  }
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const variable of container.env ?? []) {
      if (variable.valueFrom?.secretKeyRef?.name) names.add(variable.valueFrom.secretKeyRef.name);
    }
    for (const source of container.envFrom ?? []) if (source.secretRef?.name) names.add(source.secretRef.name);
  }
  return names.size;
}

/**
 * When an object's content last changed, and by which field manager: the newest managedFields time (every
 * write records one), else its creation. Second precision, as the API server stores them.
 */
export function lastChange(metadata: V1ObjectMeta | undefined): { at: Date; by?: string } | undefined {
  let latest: { at: Date; by?: string } | undefined = metadata?.creationTimestamp
    ? { at: new Date(metadata.creationTimestamp) }
    : undefined;
  for (const entry of metadata?.managedFields ?? []) {
    if (!entry.time) continue;
    const at = new Date(entry.time);
    if (!latest || at.getTime() > latest.at.getTime()) {
      latest = entry.manager ? { at, by: `${entry.manager}${entry.operation ? ` (${entry.operation})` : ''}` } : { at };
    }
  }
  return latest;
}

/** What a ConfigMap change since the pod started means for the running pod. */
export function changeEffect(use: ConfigMapUse): string {
  const effects: string[] = [];
  if (use.atStartOnly) effects.push('env vars and subPath files keep the old values until the pod restarts');
  if (use.refreshed)
    effects.push('mounted files are refreshed by the kubelet within about a minute, but the app must re-read them');
  return effects.join('; ');
}
