/**
 * How each kind get_resources serves is shown: the table columns of a list (header and summary field) and the
 * summary row of each object. Which kinds exist and how they are read is kube/resource-kinds.ts; the compiler
 * checks that every kind there has its rows here. Pure: objects (and the related objects a kind fetched) in,
 * rows out.
 */
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ResourceKindName } from '../kube/resource-kinds.ts';
import {
  configMapSummary,
  endpointCountsByService,
  endpointSliceSummary,
  endpointsSummary,
  hpaSummary,
  ingressSummary,
  networkPolicySummary,
  pdbSummary,
  podMetricsSummary,
  pvcSummary,
  replicaSetSummary,
  serviceAccountSummary,
  serviceSummary,
} from './object-summaries.ts';
import type { JsonObject, Summary } from './objects.ts';
import { podRow } from './pods.ts';
import {
  cronJobRow,
  daemonSetRow,
  deploymentRow,
  jobRow,
  statefulSetRow,
  type WorkloadRow,
  workloadStatusText,
} from './workloads.ts';

export interface ResourceRows {
  /** Table columns for the text rendering of a list: header and summary field. */
  readonly columns: ReadonlyArray<readonly [string, string]>;
  /** List rows for objects as read or listed, given the related objects their kind fetched. */
  summarize(items: readonly unknown[], now: Date, related: readonly unknown[]): Summary[];
}

/** One row per object, from a function of one typed object. */
function rows<T>(row: (item: T, now: Date) => Summary): ResourceRows['summarize'] {
  return (items, now) => (items as readonly T[]).map((item) => row(item, now));
}

const AGE: readonly [string, string] = ['AGE', 'age'];
const WORKLOAD_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['NAME', 'name'],
  ['STATUS', 'status_text'],
  ['IMAGES', 'images'],
  AGE,
];

/** A workload kind: list_deployments's row flattened for the generic table (images joined, one status column). */
function workloadRows<T>(row: (item: T, now: Date) => WorkloadRow): ResourceRows {
  return { columns: WORKLOAD_COLUMNS, summarize: rows((item: T, now) => workloadSummary(row(item, now))) };
}

function workloadSummary(row: WorkloadRow): Summary {
  const summary: Summary = { status_text: workloadStatusText(row) };
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined) continue;
    summary[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return summary;
}

function definedOnly(row: object): Summary {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) as Summary;
}

/** Services with the ready/not-ready counts of their EndpointSlices. */
function serviceRows(services: readonly V1Service[], slices: readonly V1EndpointSlice[], now: Date): Summary[] {
  const counts = endpointCountsByService(slices);
  return services.map((service) => serviceSummary(service, counts.get(service.metadata?.name ?? ''), now));
}

export const RESOURCE_ROWS = {
  services: {
    columns: [
      ['NAME', 'name'],
      ['TYPE', 'type'],
      ['CLUSTER-IP', 'cluster_ip'],
      ['PORTS', 'ports'],
      ['READY', 'ready_endpoints'],
      ['NOT-READY', 'not_ready_endpoints'],
      ['SELECTOR', 'selector'],
    ],
    summarize: (items, now, related) =>
      serviceRows(items as readonly V1Service[], related as readonly V1EndpointSlice[], now),
  },
  endpoints: {
    columns: [
      ['NAME', 'name'],
      ['READY', 'ready'],
      ['NOT-READY', 'not_ready'],
      ['ADDRESSES', 'addresses'],
    ],
    summarize: rows(endpointsSummary),
  },
  endpointslices: {
    columns: [
      ['NAME', 'name'],
      ['SERVICE', 'service'],
      ['TYPE', 'address_type'],
      ['READY', 'ready'],
      ['NOT-READY', 'not_ready'],
      ['PORTS', 'ports'],
    ],
    summarize: rows(endpointSliceSummary),
  },
  configmaps: {
    columns: [['NAME', 'name'], ['KEYS', 'keys'], ['SIZE', 'size'], AGE],
    summarize: rows(configMapSummary),
  },
  persistentvolumeclaims: {
    columns: [
      ['NAME', 'name'],
      ['PHASE', 'phase'],
      ['CAPACITY', 'capacity'],
      ['REQUESTED', 'requested'],
      ['CLASS', 'storage_class'],
      ['ACCESS', 'access_modes'],
      ['VOLUME', 'volume'],
    ],
    summarize: rows(pvcSummary),
  },
  serviceaccounts: {
    columns: [['NAME', 'name'], ['AUTOMOUNT', 'automount_token'], ['PULL-SECRETS', 'image_pull_secrets'], AGE],
    summarize: rows(serviceAccountSummary),
  },
  ingresses: {
    columns: [['NAME', 'name'], ['CLASS', 'class'], ['RULES', 'rules'], ['ADDRESS', 'address'], AGE],
    summarize: rows(ingressSummary),
  },
  networkpolicies: {
    columns: [['NAME', 'name'], ['POD-SELECTOR', 'pod_selector'], ['EFFECT', 'effect'], AGE],
    summarize: rows(networkPolicySummary),
  },
  horizontalpodautoscalers: {
    columns: [
      ['NAME', 'name'],
      ['TARGET', 'target'],
      ['METRICS', 'metrics'],
      ['MIN', 'min'],
      ['MAX', 'max'],
      ['CURRENT', 'current'],
      ['DESIRED', 'desired'],
    ],
    summarize: rows(hpaSummary),
  },
  poddisruptionbudgets: {
    columns: [
      ['NAME', 'name'],
      ['SELECTOR', 'selector'],
      ['HEALTHY', 'current_healthy'],
      ['WANTED', 'desired_healthy'],
      ['ALLOWED', 'disruptions_allowed'],
    ],
    summarize: rows(pdbSummary),
  },
  replicasets: {
    columns: [
      ['NAME', 'name'],
      ['DESIRED', 'desired'],
      ['CURRENT', 'current'],
      ['READY', 'ready'],
      ['REVISION', 'revision'],
      ['OWNER', 'owner'],
      AGE,
    ],
    summarize: rows(replicaSetSummary),
  },
  pods: {
    columns: [
      ['NAME', 'name'],
      ['READY', 'ready'],
      ['STATUS', 'status'],
      ['RESTARTS', 'restarts'],
      ['AGE', 'age'],
      ['NODE', 'node'],
    ],
    summarize: rows((pod: V1Pod, now) => definedOnly(podRow(pod, now))),
  },
  deployments: workloadRows(deploymentRow),
  statefulsets: workloadRows(statefulSetRow),
  daemonsets: workloadRows(daemonSetRow),
  jobs: workloadRows(jobRow),
  cronjobs: workloadRows(cronJobRow),
  podmetrics: {
    columns: [
      ['NAME', 'name'],
      ['CPU', 'cpu'],
      ['MEMORY', 'memory'],
      ['CONTAINERS', 'containers'],
    ],
    summarize: rows((item: JsonObject, now) => podMetricsSummary(item, now)),
  },
} satisfies Record<ResourceKindName, ResourceRows>;
