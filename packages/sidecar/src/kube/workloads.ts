/**
 * Workloads by the names people use (`deploy/web`, `statefulset/db`, `web`, `self`): parse a reference,
 * read the object, and find its pods through its selector. Shared by every tool that defaults to "this
 * workload".
 */
import type {
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1LabelSelector,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { ToolFailure } from '../failure.ts';
import { describeKubeError } from './errors.ts';
import type { NamespacedKube, ObjectApi } from './namespaced-kube.ts';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'ReplicaSet';

const KIND_ALIASES: Readonly<Record<string, WorkloadKind>> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  deployments: 'Deployment',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  ds: 'DaemonSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  job: 'Job',
  jobs: 'Job',
  cj: 'CronJob',
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
  rs: 'ReplicaSet',
  replicaset: 'ReplicaSet',
  replicasets: 'ReplicaSet',
};

export const WORKLOAD_REFERENCE_HELP = '"self", "KIND/NAME" (deploy, sts, ds, job, cronjob, rs) or a Deployment name';

export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly name: string;
}

export type ParsedReference = { readonly self: true } | ({ readonly self: false } & WorkloadRef);

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Pure: `deploy/web` → Deployment web; `web` → Deployment web; `self` → self. */
export function parseWorkloadReference(text: string): ParsedReference | { readonly error: string } {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'self') return { self: true };
  const slash = trimmed.indexOf('/');
  const kindText = slash >= 0 ? trimmed.slice(0, slash).toLowerCase() : 'deployment';
  const name = slash >= 0 ? trimmed.slice(slash + 1) : trimmed;
  const kind = KIND_ALIASES[kindText];
  if (!kind) return { error: `unknown workload kind "${kindText}"; use ${WORKLOAD_REFERENCE_HELP}` };
  if (!NAME.test(name)) return { error: `"${name}" is not a valid object name` };
  return { self: false, kind, name };
}

/** What reading a workload needs: the namespaced API. */
export interface KubeAccess {
  readonly kube: NamespacedKube;
}

/** What resolving "self" needs: this sidecar's own workload, as its self locator finds it. */
export interface OwnWorkload {
  readonly self: { workload(): Promise<{ readonly kind: string; readonly name: string } | undefined> };
}

/** Resolves a reference (default: this workload) to a concrete kind and name. */
export async function resolveWorkloadRef(context: OwnWorkload, reference: string | undefined): Promise<WorkloadRef> {
  const parsed = parseWorkloadReference(reference ?? 'self');
  if ('error' in parsed) throw new ToolFailure(`workload: ${parsed.error}`, 'invalid');
  if (!parsed.self) return { kind: parsed.kind, name: parsed.name };
  const own = await context.self.workload();
  if (!own) {
    throw new ToolFailure(
      'This sidecar does not know its own workload (it is not running in a pod owned by a workload). Name one, e.g. "deploy/web".',
      'invalid',
    );
  }
  const kind = KIND_ALIASES[own.kind.toLowerCase()];
  if (!kind) throw new ToolFailure(`This pod is owned by a ${own.kind}, which podmcp does not manage.`, 'invalid');
  return { kind, name: own.name };
}

export interface ResolvedWorkload extends WorkloadRef {
  /** The object as read from the API server. */
  readonly object: WorkloadObject;
  /** Label selector for its pods (undefined for a CronJob, whose pods belong to its Jobs). */
  readonly podSelector: string | undefined;
}

export type WorkloadObject = V1Deployment | V1StatefulSet | V1DaemonSet | V1ReplicaSet | V1Job | V1CronJob;

export async function readWorkload(context: KubeAccess, ref: WorkloadRef): Promise<ResolvedWorkload> {
  const { kube } = context;
  let object: WorkloadObject;
  try {
    object = await workloadApi(kube, ref.kind).read(ref.name);
  } catch (error) {
    const failure = describeKubeError(error, `${ref.kind} "${ref.name}"`);
    if (failure.kind === 'not-found') {
      const existing = await namesOf(context, ref.kind).catch(() => []);
      throw new ToolFailure(
        `${ref.kind} "${ref.name}" does not exist in namespace ${kube.namespace}. ${
          existing.length > 0
            ? `Existing ${ref.kind}s: ${existing.slice(0, 20).join(', ')}${existing.length > 20 ? ', …' : ''}.`
            : `There are no ${ref.kind}s here.`
        }`,
        'not-found',
      );
    }
    throw failure;
  }
  const spec = object.spec;
  const selector = spec && 'selector' in spec ? (spec.selector as V1LabelSelector | undefined) : undefined;
  return { ...ref, object, podSelector: selector ? labelSelectorText(selector) : undefined };
}

async function namesOf(context: KubeAccess, kind: WorkloadKind): Promise<string[]> {
  const list = await workloadApi(context.kube, kind).list({ limit: 100 });
  return list.items.map((item) => item.metadata?.name ?? '').filter((name) => name !== '');
}

/** The gateway's list-and-read pair for a workload kind. */
function workloadApi(kube: NamespacedKube, kind: WorkloadKind): ObjectApi<WorkloadObject, { items: WorkloadObject[] }> {
  switch (kind) {
    case 'Deployment':
      return kube.deployments;
    case 'StatefulSet':
      return kube.statefulSets;
    case 'DaemonSet':
      return kube.daemonSets;
    case 'ReplicaSet':
      return kube.replicaSets;
    case 'Job':
      return kube.jobs;
    case 'CronJob':
      return kube.cronJobs;
  }
}

/** Pure: a LabelSelector object as the query-string form the API takes. */
export function labelSelectorText(selector: V1LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    switch (expression.operator) {
      case 'In':
        parts.push(`${expression.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${expression.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(expression.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${expression.key}`);
        break;
    }
  }
  return parts.join(',');
}
