/**
 * One compact summary row per kind for lists: what `kubectl get -o wide` would show, plus the one fact that
 * explains the classic failure (a Service's endpoint counts, a PVC's phase, an HPA's failing condition). Pure:
 * plain objects in, plain objects out.
 */

import type {
  V1ConfigMap,
  V1EndpointSlice,
  V1Endpoints,
  V1Ingress,
  V1LabelSelector,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
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
import { formatBytes, isObject, type JsonObject, type Summary } from './objects.ts';
import { imagesOf } from './workloads.ts';

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
