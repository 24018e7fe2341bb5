/**
 * The API calls of `podmcp connect`, made with the user's own kubeconfig: find the workload and its pods,
 * list what exists when it is not there, ask whether the user may port-forward, and re-read the chosen pod.
 * Every failure becomes a ConnectError whose message says what to do.
 */
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1LabelSelector,
  type V1Pod,
} from '@kubernetes/client-node';
import { apiMessageOf, httpStatusOf, isNotFound, networkCodeOf, pooledApiClient } from '@podmcp/core';
import { CommandError } from '../command.ts';
import { describeTarget, TARGET_KINDS, type Target, type TargetKind } from './target.ts';

/** A problem the user fixes (RBAC, a wrong name, a missing sidecar); the command exits 1 with the message. */
export class ConnectError extends CommandError {
  override name = 'ConnectError';
}

export interface Workload {
  readonly kind: TargetKind;
  readonly name: string;
  /** kind/name as a user types it: deploy/checkout. */
  readonly display: string;
  readonly pods: readonly V1Pod[];
}

/** Turns a label selector into the `labelSelector` query string. */
export function selectorString(selector: V1LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    if (expression.operator === 'In') parts.push(`${expression.key} in (${values})`);
    else if (expression.operator === 'NotIn') parts.push(`${expression.key} notin (${values})`);
    else if (expression.operator === 'Exists') parts.push(expression.key);
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
  }
  return parts.join(',');
}

function apiFailure(what: string, namespace: string, error: unknown): ConnectError {
  const code = httpStatusOf(error);
  if (code === 401) {
    return new ConnectError(
      `the API server refused your credentials (401 Unauthorized) when asked to ${what}: log in again or pick another --context.`,
    );
  }
  if (code === 403) {
    return new ConnectError(
      `forbidden: your credentials may not ${what} in namespace ${namespace} (${apiMessageOf(error)}). ` +
        'podmcp connect needs get and list on pods and on the workload, and create on pods/portforward.',
    );
  }
  if (code === undefined) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a certificate error) is its cause.
    const cause = (error as { cause?: { message?: unknown } }).cause;
    const why = networkCodeOf(error) ?? cause?.message;
    const detail = typeof why === 'string' ? `${apiMessageOf(error)}: ${why}` : apiMessageOf(error);
    return new ConnectError(`cannot reach the API server to ${what} (${detail}). Check --kubeconfig and --context.`);
  }
  return new ConnectError(`could not ${what} (${code}): ${apiMessageOf(error)}`);
}

export class Cluster {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly authorization: AuthorizationV1Api;

  readonly namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.namespace = namespace;
    this.core = pooledApiClient(kubeConfig, CoreV1Api);
    this.apps = pooledApiClient(kubeConfig, AppsV1Api);
    this.authorization = pooledApiClient(kubeConfig, AuthorizationV1Api);
  }

  /** The workload and its current pods; a bare name is looked up kind by kind. */
  async workload(target: Target): Promise<Workload> {
    const kinds = target.kind === undefined ? TARGET_KINDS : [target.kind];
    for (const kind of kinds) {
      const pods = await this.podsOf(kind, target.name);
      if (pods !== undefined) return { kind, name: target.name, display: describeTarget(kind, target.name), pods };
    }
    const wanted = target.kind === undefined ? target.name : describeTarget(target.kind, target.name);
    throw new ConnectError(`${wanted} not found in namespace ${this.namespace}. ${await this.existing()}`);
  }

  /** Undefined when there is no such object. */
  private async podsOf(kind: TargetKind, name: string): Promise<V1Pod[] | undefined> {
    const { namespace } = this;
    const what = `read ${describeTarget(kind, name)}`;
    try {
      if (kind === 'pod') return [await this.core.readNamespacedPod({ namespace, name })];
      const workload =
        kind === 'deployment'
          ? await this.apps.readNamespacedDeployment({ namespace, name })
          : kind === 'statefulset'
            ? await this.apps.readNamespacedStatefulSet({ namespace, name })
            : await this.apps.readNamespacedDaemonSet({ namespace, name });
      const labelSelector = selectorString(workload.spec?.selector);
      if (labelSelector === '') return [];
      return await this.listPods(labelSelector);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      if (isNotFound(error)) return undefined;
      throw apiFailure(what, namespace, error);
    }
  }

  private async listPods(labelSelector: string): Promise<V1Pod[]> {
    try {
      return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector })).items;
    } catch (error) {
      throw apiFailure('list pods', this.namespace, error);
    }
  }

  /** What the namespace holds, for a "not found" message. Kinds the user may not list are left out. */
  private async existing(): Promise<string> {
    const { namespace } = this;
    const names: string[] = [];
    const listings: Array<[string, () => Promise<{ items: Array<{ metadata?: { name?: string } }> }>]> = [
      ['deploy', () => this.apps.listNamespacedDeployment({ namespace })],
      ['sts', () => this.apps.listNamespacedStatefulSet({ namespace })],
      ['ds', () => this.apps.listNamespacedDaemonSet({ namespace })],
    ];
    for (const [short, list] of listings) {
      try {
        for (const item of (await list()).items) names.push(`${short}/${item.metadata?.name ?? '?'}`);
      } catch {
        // Not allowed to list this kind: say what can be seen.
      }
    }
    const hint = 'Use -n NAMESPACE (or --context) for another namespace.';
    if (names.length === 0) return `It has no Deployments, StatefulSets or DaemonSets that you can list. ${hint}`;
    const shown = names.slice(0, 20).join(', ');
    return `Workloads there: ${shown}${names.length > 20 ? `, and ${names.length - 20} more` : ''}. ${hint}`;
  }

  /** The pod as it is now; undefined once it is gone. */
  async pod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace: this.namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw apiFailure(`read pod ${name}`, this.namespace, error);
    }
  }

  /**
   * Whether RBAC lets these credentials create pods/portforward here (SelfSubjectAccessReview, which every
   * authenticated user may ask). Undefined when the question itself could not be asked.
   */
  async mayPortForward(pod: string): Promise<boolean | undefined> {
    try {
      const review = await this.authorization.createSelfSubjectAccessReview({
        body: {
          spec: {
            resourceAttributes: {
              namespace: this.namespace,
              verb: 'create',
              resource: 'pods',
              subresource: 'portforward',
              name: pod,
            },
          },
        },
      });
      return review.status?.allowed === true;
    } catch {
      return undefined;
    }
  }
}

export function forbiddenToPortForward(namespace: string, pod: string, detail?: string): ConnectError {
  return new ConnectError(
    `forbidden to port-forward to pod ${pod} in namespace ${namespace}${detail ? ` (${detail})` : ''}: ` +
      `your credentials need RBAC permission to create pods/portforward there. Ask for a Role with ` +
      `{apiGroups: [""], resources: ["pods/portforward"], verbs: ["create"]} bound to you in ${namespace}; ` +
      `check with: kubectl auth can-i create pods/portforward -n ${namespace}`,
  );
}
