/**
 * Namespaced objects as an agent should see them: one compact summary row per kind for lists (what `kubectl
 * get -o wide` would show, plus the one fact that explains the classic failure — a Service's endpoint
 * counts, a PVC's phase, an HPA's failing condition), and the object itself, stripped of what only the
 * machinery needs (managedFields, uid, resourceVersion, the last-applied annotation, which can carry a
 * Secret's data) and with long strings capped. Pure: plain objects in, plain objects out.
 */

import type {
  V1ConfigMap,
  V1EndpointSlice,
  V1Endpoints,
  V1Ingress,
  V1LabelSelector,
  V1NetworkPolicy,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1Service,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
  V2MetricStatus,
  V2MetricTarget,
} from '@kubernetes/client-node';
import { parseQuantity } from '@podmcp/core';
import { formatAge } from './age.ts';
import { imagesOf } from './workloads.ts';

export type SummaryValue = string | number | boolean;
export type Summary = Record<string, SummaryValue>;

/** What JSON carries: the wire form of an object after serialization. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

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
  if (typeof value === 'string') return capString(value, MAX_STRING_BYTES);
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

function isObject(value: unknown): value is JsonObject {
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
    const text = typeof value === 'string' ? value : JSON.stringify(value);
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

export function selectorText(selector: V1LabelSelector | Readonly<Record<string, string>> | undefined): string {
  if (!selector) return '(none)';
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const labels = isLabelSelector
    ? ((selector as V1LabelSelector).matchLabels ?? {})
    : (selector as Readonly<Record<string, string>>);
  const parts = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  if (isLabelSelector) {
    for (const expression of (selector as V1LabelSelector).matchExpressions ?? []) {
      parts.push(
        `${expression.key} ${expression.operator}${expression.values ? ` (${expression.values.join(',')})` : ''}`,
      );
    }
  }
  return parts.length > 0 ? parts.join(',') : '(all pods)';
}

function listText(items: readonly string[], max: number): string {
  if (items.length === 0) return '';
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, +${items.length - max} more`;
}

function base(metadata: { name?: string; creationTimestamp?: Date } | undefined, now: Date): Summary {
  return { name: metadata?.name ?? '?', age: formatAge(metadata?.creationTimestamp, now) };
}

export interface EndpointCounts {
  readonly ready: number;
  readonly notReady: number;
}

/**
 * Ready and not-ready endpoints per Service, from its EndpointSlices. An endpoint in two slices (dual stack)
 * counts once, by the pod it points at.
 */
export function endpointCountsByService(slices: readonly V1EndpointSlice[]): Map<string, EndpointCounts> {
  const seen = new Map<string, Map<string, boolean>>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!service) continue;
    let endpoints = seen.get(service);
    if (!endpoints) {
      endpoints = new Map();
      seen.set(service, endpoints);
    }
    for (const endpoint of slice.endpoints ?? []) {
      const id = endpoint.targetRef?.name ?? endpoint.addresses.join(',');
      // Absent "ready" means ready, per the EndpointSlice API.
      const ready = endpoint.conditions?.ready !== false;
      endpoints.set(id, (endpoints.get(id) ?? false) || ready);
    }
  }
  const counts = new Map<string, EndpointCounts>();
  for (const [service, endpoints] of seen) {
    const ready = [...endpoints.values()].filter(Boolean).length;
    counts.set(service, { ready, notReady: endpoints.size - ready });
  }
  return counts;
}

export function serviceSummary(service: V1Service, endpoints: EndpointCounts | undefined, now: Date): Summary {
  const spec = service.spec;
  const type = spec?.type ?? 'ClusterIP';
  const ports = (spec?.ports ?? []).map((port) => {
    const target = port.targetPort !== undefined && String(port.targetPort) !== String(port.port);
    return `${port.name ? `${port.name}:` : ''}${port.port}/${port.protocol ?? 'TCP'}${target ? `→${port.targetPort}` : ''}${port.nodePort ? ` node:${port.nodePort}` : ''}`;
  });
  const external = (service.status?.loadBalancer?.ingress ?? []).map((item) => item.ip ?? item.hostname ?? '');
  const summary: Summary = {
    ...base(service.metadata, now),
    type,
    cluster_ip: spec?.clusterIP ?? '',
    ports: listText(ports, 6),
    selector: spec?.selector ? selectorText(spec.selector) : '(none: endpoints are managed by hand)',
  };
  if (type === 'ExternalName') summary.external_name = spec?.externalName ?? '';
  if (external.length > 0) summary.external = listText(external, 3);
  if (type !== 'ExternalName') {
    const counts = endpoints ?? { ready: 0, notReady: 0 };
    summary.ready_endpoints = counts.ready;
    summary.not_ready_endpoints = counts.notReady;
    if (counts.ready === 0 && spec?.selector) {
      summary.problem =
        counts.notReady > 0
          ? 'no ready endpoints: the selected pods are not ready'
          : 'no endpoints: no pod matches the selector (check labels) or none is running';
    }
  }
  return summary;
}

export function endpointsSummary(endpoints: V1Endpoints, now: Date): Summary {
  let ready = 0;
  let notReady = 0;
  const addresses: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const ports = (subset.ports ?? []).map((port) => port.port);
    ready += subset.addresses?.length ?? 0;
    notReady += subset.notReadyAddresses?.length ?? 0;
    for (const address of subset.addresses ?? []) addresses.push(`${address.ip}:${ports.join(',')}`);
  }
  return { ...base(endpoints.metadata, now), ready, not_ready: notReady, addresses: listText(addresses, 5) };
}

export function endpointSliceSummary(slice: V1EndpointSlice, now: Date): Summary {
  const list = slice.endpoints ?? [];
  const ready = list.filter((endpoint) => endpoint.conditions?.ready !== false).length;
  return {
    ...base(slice.metadata, now),
    service: slice.metadata?.labels?.['kubernetes.io/service-name'] ?? '',
    address_type: slice.addressType,
    ready,
    not_ready: list.length - ready,
    ports: listText(
      (slice.ports ?? []).map(
        (port) => `${port.name ? `${port.name}:` : ''}${port.port ?? '?'}/${port.protocol ?? 'TCP'}`,
      ),
      6,
    ),
  };
}

export function configMapSummary(configMap: V1ConfigMap, now: Date): Summary {
  const entries = [
    ...Object.entries(configMap.data ?? {}).map(([key, value]) => [key, Buffer.byteLength(value)] as const),
    ...Object.entries(configMap.binaryData ?? {}).map(
      ([key, value]) => [`${key} (binary)`, Math.floor((value.length * 3) / 4)] as const,
    ),
  ];
  const total = entries.reduce((sum, [, size]) => sum + size, 0);
  return {
    ...base(configMap.metadata, now),
    key_count: entries.length,
    keys: listText(
      entries.map(([key, size]) => `${key} (${formatBytes(size)})`),
      12,
    ),
    size: formatBytes(total),
    ...(configMap.immutable ? { immutable: true } : {}),
  };
}

const ACCESS_MODES: Readonly<Record<string, string>> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

export function pvcSummary(claim: V1PersistentVolumeClaim, now: Date): Summary {
  const phase = claim.status?.phase ?? 'Unknown';
  const summary: Summary = {
    ...base(claim.metadata, now),
    phase,
    capacity: claim.status?.capacity?.storage ?? '',
    requested: claim.spec?.resources?.requests?.storage ?? '',
    storage_class: claim.spec?.storageClassName ?? '(default)',
    access_modes: (claim.spec?.accessModes ?? []).map((mode) => ACCESS_MODES[mode] ?? mode).join(','),
    volume: claim.spec?.volumeName ?? '',
  };
  const trouble = (claim.status?.conditions ?? []).find((item) => item.status === 'True');
  if (trouble) summary.condition = `${trouble.type}${trouble.message ? `: ${trouble.message}` : ''}`;
  if (phase === 'Pending') {
    summary.problem =
      'not bound yet: no matching PersistentVolume, or the storage class provisions on first use (WaitForFirstConsumer); list_events shows why';
  }
  if (phase === 'Lost') summary.problem = 'its PersistentVolume is gone; pods using it cannot start';
  return summary;
}

export function serviceAccountSummary(account: V1ServiceAccount, now: Date): Summary {
  return {
    ...base(account.metadata, now),
    automount_token: account.automountServiceAccountToken ?? true,
    image_pull_secrets: listText(
      (account.imagePullSecrets ?? []).map((item) => item.name ?? '?'),
      5,
    ),
  };
}

export function ingressSummary(ingress: V1Ingress, now: Date): Summary {
  const rules: string[] = [];
  for (const rule of ingress.spec?.rules ?? []) {
    for (const path of rule.http?.paths ?? []) {
      const service = path.backend.service;
      const backend = service
        ? `${service.name}:${service.port?.name ?? service.port?.number ?? '?'}`
        : (path.backend.resource?.kind ?? '?');
      rules.push(`${rule.host ?? '*'}${path.path ?? '/'}→${backend}`);
    }
  }
  const fallback = ingress.spec?.defaultBackend?.service;
  if (fallback) rules.push(`default→${fallback.name}:${fallback.port?.name ?? fallback.port?.number ?? '?'}`);
  const addresses = (ingress.status?.loadBalancer?.ingress ?? []).map((item) => item.ip ?? item.hostname ?? '');
  return {
    ...base(ingress.metadata, now),
    class: ingress.spec?.ingressClassName ?? ingress.metadata?.annotations?.['kubernetes.io/ingress.class'] ?? '',
    rules: listText(rules, 6),
    tls_hosts: listText(
      (ingress.spec?.tls ?? []).flatMap((item) => item.hosts ?? []),
      5,
    ),
    address: listText(addresses, 3),
  };
}

export function networkPolicySummary(policy: V1NetworkPolicy, now: Date): Summary {
  const spec = policy.spec;
  const types = spec?.policyTypes ?? ['Ingress', ...(spec?.egress ? ['Egress'] : [])];
  const ingress = spec?.ingress ?? [];
  const egress = spec?.egress ?? [];
  const effects: string[] = [];
  // A listed direction without rules denies all of it: the classic "why can nothing reach my pod".
  if (types.includes('Ingress'))
    effects.push(ingress.length === 0 ? 'denies all ingress' : `${ingress.length} ingress rule(s)`);
  if (types.includes('Egress'))
    effects.push(egress.length === 0 ? 'denies all egress' : `${egress.length} egress rule(s)`);
  return {
    ...base(policy.metadata, now),
    pod_selector: selectorText(spec?.podSelector),
    policy_types: types.join(','),
    effect: effects.join('; '),
  };
}

function targetText(target: V2MetricTarget | undefined): string {
  if (!target) return '?';
  if (target.averageUtilization !== undefined) return `${target.averageUtilization}%`;
  return target.averageValue ?? target.value ?? '?';
}

function currentText(status: V2MetricStatus | undefined): string {
  const current =
    status?.resource?.current ??
    status?.containerResource?.current ??
    status?.pods?.current ??
    status?.object?.current ??
    status?.external?.current;
  if (!current) return '<unknown>';
  if (current.averageUtilization !== undefined) return `${current.averageUtilization}%`;
  return current.averageValue ?? current.value ?? '<unknown>';
}

export function hpaSummary(hpa: V2HorizontalPodAutoscaler, now: Date): Summary {
  const spec = hpa.spec;
  const status = hpa.status;
  const metrics = (spec?.metrics ?? []).map((metric, index) => {
    const name =
      metric.resource?.name ??
      metric.containerResource?.name ??
      metric.pods?.metric.name ??
      metric.object?.metric.name ??
      metric.external?.metric.name ??
      metric.type;
    const target =
      metric.resource?.target ??
      metric.containerResource?.target ??
      metric.pods?.target ??
      metric.object?.target ??
      metric.external?.target;
    return `${name} ${currentText(status?.currentMetrics?.[index])}/${targetText(target)}`;
  });
  const summary: Summary = {
    ...base(hpa.metadata, now),
    target: `${spec?.scaleTargetRef.kind ?? '?'}/${spec?.scaleTargetRef.name ?? '?'}`,
    min: spec?.minReplicas ?? 1,
    max: spec?.maxReplicas ?? 0,
    current: status?.currentReplicas ?? 0,
    desired: status?.desiredReplicas ?? 0,
    metrics: listText(metrics, 4),
  };
  const problems = (status?.conditions ?? [])
    .filter(
      (item) =>
        ((item.type === 'AbleToScale' || item.type === 'ScalingActive') && item.status === 'False') ||
        (item.type === 'ScalingLimited' && item.status === 'True'),
    )
    .map((item) => `${item.type}=${item.status} (${item.reason ?? ''})${item.message ? `: ${item.message}` : ''}`);
  if (problems.length > 0) summary.problem = problems.join('; ');
  return summary;
}

export function pdbSummary(budget: V1PodDisruptionBudget, now: Date): Summary {
  const spec = budget.spec;
  const status = budget.status;
  const summary: Summary = {
    ...base(budget.metadata, now),
    selector: selectorText(spec?.selector),
    ...(spec?.minAvailable !== undefined ? { min_available: String(spec.minAvailable) } : {}),
    ...(spec?.maxUnavailable !== undefined ? { max_unavailable: String(spec.maxUnavailable) } : {}),
    current_healthy: status?.currentHealthy ?? 0,
    desired_healthy: status?.desiredHealthy ?? 0,
    expected_pods: status?.expectedPods ?? 0,
    disruptions_allowed: status?.disruptionsAllowed ?? 0,
  };
  if ((status?.disruptionsAllowed ?? 0) === 0 && (status?.expectedPods ?? 0) > 0) {
    summary.problem = 'no disruption allowed now: node drains and evictions of these pods will wait';
  }
  return summary;
}

export function replicaSetSummary(replicaSet: V1ReplicaSet, now: Date): Summary {
  const owner = replicaSet.metadata?.ownerReferences?.find((ref) => ref.controller);
  return {
    ...base(replicaSet.metadata, now),
    desired: replicaSet.spec?.replicas ?? 1,
    current: replicaSet.status?.replicas ?? 0,
    ready: replicaSet.status?.readyReplicas ?? 0,
    revision: replicaSet.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '',
    owner: owner ? `${owner.kind}/${owner.name}` : '',
    images: imagesOf(replicaSet.spec?.template?.spec?.containers).join(', '),
  };
}

/** PodMetrics (metrics.k8s.io) as `kubectl top pod` shows them, with the per-container split. */
export function podMetricsSummary(metrics: JsonObject, now: Date): Summary {
  const metadata = isObject(metrics.metadata) ? metrics.metadata : {};
  const containers = (Array.isArray(metrics.containers) ? metrics.containers : []).filter(isObject);
  let cpu = 0;
  let memory = 0;
  const parts = containers.map((container) => {
    const usage = isObject(container.usage) ? container.usage : {};
    const containerCpu = parseQuantity(String(usage.cpu ?? '0')) ?? 0;
    const containerMemory = parseQuantity(String(usage.memory ?? '0')) ?? 0;
    cpu += containerCpu;
    memory += containerMemory;
    return `${String(container.name)} ${formatCpu(containerCpu)}/${formatMemory(containerMemory)}`;
  });
  const timestamp = typeof metrics.timestamp === 'string' ? metrics.timestamp : undefined;
  return {
    name: String(metadata.name ?? '?'),
    cpu: formatCpu(cpu),
    memory: formatMemory(memory),
    containers: listText(parts, 6),
    ...(timestamp ? { sampled: `${formatAge(timestamp, now)} ago` } : {}),
    ...(typeof metrics.window === 'string' ? { window: metrics.window } : {}),
  };
}

export function formatCpu(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
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
