/**
 * delete_pod: delete one pod so its controller replaces it (the classic fix for a stuck pod). Pods nothing
 * recreates need an explicit confirmation; the deletion is pinned to the pod's uid so a same-named
 * replacement is never hit by mistake.
 */
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { actionHints, actionInputFields, actionOutputFields, renderAction } from '../actions/contract.ts';
import { defineAction } from '../actions/define-action.ts';
import { EVENT_REASONS } from '../actions/event.ts';
import { deletionOutcome } from '../actions/outcomes.ts';
import { podsControlledBy, readPodIfExists } from '../actions/reads.ts';
import { targetLabel } from '../actions/targets.ts';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { formatAge } from '../format/age.ts';
import { podStatus } from '../format/pods.ts';
import { readWorkload, type WorkloadKind } from '../kube/workloads.ts';
import { defineTool } from './definition.ts';

const DEFAULT_GRACE_SECONDS = 30;
const OWNER_KINDS: readonly WorkloadKind[] = ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'];

const input = z
  .object({
    name: boundedText(253, 1)
      .refine(
        (name) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name),
        'must be a pod name (lowercase letters, digits, "-", ".") or "self"',
      )
      .describe('Pod name, or "self".'),
    grace_period_seconds: z.number().int().min(1).max(3600).optional().describe("Default: the pod's own grace period."),
    allow_unowned: z.boolean().default(false).describe('Required for a pod no controller recreates.'),
    ...actionInputFields,
  })
  .strict();

const output = z.object({
  ...actionOutputFields,
  pod: z.string(),
  owner: z.string().optional(),
  grace_period_seconds: z.number(),
  replacement: z.string().optional(),
});

export const deletePod = defineTool({
  name: 'delete_pod',
  title: 'Delete a pod',
  description:
    'Deletes one pod so its controller recreates it: the fix for one stuck pod. A pod without a controller needs allow_unowned. Not an eviction: PodDisruptionBudgets are not consulted.',
  input,
  output,
  hints: actionHints({ idempotent: false }),
  target: (args, context) => targetLabel({ kind: 'Pod', name: podNameOf(context, args.name) }),
  run: defineAction({
    resolve: (args, context) => {
      const name = podNameOf(context, args.name);
      return { name, own: name === context.self.podName, label: targetLabel({ kind: 'Pod', name }) };
    },
    read: async (target, _args, context) => {
      const pod = await readPodIfExists(context, target.name);
      if (!pod) throw await podNotFound(context, target.name);
      return { target, pod };
    },
    check: checkDeletion,
    // Everything goes in the DeleteOptions body: when a DELETE has a body, the API server ignores the query
    // parameters, dryRun included. The precondition pins the deletion to this pod, so a StatefulSet's
    // same-named replacement is never deleted by mistake.
    send: ({ target, uid, requestedGrace }, dryRun, context) =>
      context.kube.pods.delete(target.name, { uid, gracePeriodSeconds: requestedGrace, dryRun }),
    describe: describeDeletion,
    event: ({ target, uid, grace, owner }) => ({
      object: { apiVersion: 'v1', kind: 'Pod', name: target.name, uid },
      reason: EVENT_REASONS.delete,
      action: 'Delete',
      summary: `Pod deleted with a ${grace} s grace period${owner ? ` (${targetLabel(owner)} recreates it)` : ''}`,
    }),
    observe: observeDeletion,
  }),
  render: (result) => renderAction(result),
});

interface PodTarget {
  readonly name: string;
  /** The sidecar's own pod. */
  readonly own: boolean;
  readonly label: string;
}

interface Found {
  readonly target: PodTarget;
  readonly pod: V1Pod;
}

interface Plan extends Found {
  readonly uid: string;
  readonly owner: V1OwnerReference | undefined;
  /** The grace period the caller asked for; absent means the pod's own. */
  readonly requestedGrace: number | undefined;
  readonly grace: number;
  readonly selector: string | undefined;
  /** The controller's pods before the deletion, so the replacement can be told apart. */
  readonly existing: readonly V1Pod[];
}

/** Refuses a pod already terminating, and one nothing recreates unless allow_unowned says so. */
async function checkDeletion({ target, pod }: Found, args: z.infer<typeof input>, context: ToolContext): Promise<Plan> {
  const name = target.name;
  const deleting = pod.metadata?.deletionTimestamp;
  if (deleting) {
    const finalizers = pod.metadata?.finalizers ?? [];
    throw new ToolFailure(
      `Pod ${name} is already terminating (deletion requested ${formatAge(deleting, context.now())} ago${finalizers.length > 0 ? `; finalizers ${finalizers.join(', ')} hold it` : ''}). Deleting it again changes nothing; wait for it, or look at its events if it stays.`,
      'conflict',
    );
  }
  const owner = pod.metadata?.ownerReferences?.find((reference) => reference.controller === true);
  if (!owner && !args.allow_unowned) {
    throw new ToolFailure(
      `Pod ${name} has no controller (no ownerReference with controller: true), so nothing recreates it: deleting it removes it for good. If that is intended, call again with allow_unowned: true.`,
      'refused',
    );
  }
  const grace = args.grace_period_seconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  // The controller's pods now, so the replacement can be told apart from pods that already existed.
  const selector = owner ? await ownerSelector(context, owner, pod) : undefined;
  const existing = owner ? await podsControlledBy(context, owner.uid, selector) : [];
  const uid = pod.metadata?.uid ?? '';
  return { target, pod, uid, owner, requestedGrace: args.grace_period_seconds, grace, selector, existing };
}

function describeDeletion(plan: Plan, _preview: unknown, _args: unknown, context: ToolContext) {
  const { target, pod, owner, grace, existing } = plan;
  const name = target.name;
  const ownerLabel = owner ? targetLabel(owner) : undefined;
  return {
    fields: { pod: name, owner: ownerLabel, grace_period_seconds: grace },
    warnings: deleteWarnings(target.own, grace, owner, existing.length),
    changes: [
      {
        field: `pod ${name}`,
        before: `${podStatus(pod)}${pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ''}, age ${formatAge(pod.metadata?.creationTimestamp, context.now())}`,
        after: `deleted with a ${grace} s grace period; ${owner ? `${ownerLabel} creates a replacement` : 'not recreated'}`,
      },
    ],
    summary: { dryRun: `Pod ${name} would be deleted.`, applied: `Pod ${name} deleted.` },
  };
}

/** The deleted pod and its controller's pods are independent reads: one round trip per reading, not two. */
async function observeDeletion({ target, uid, owner, selector, existing }: Plan, context: ToolContext) {
  const [podRead, podsRead] = await Promise.allSettled([
    readPodIfExists(context, target.name),
    owner ? podsControlledBy(context, owner.uid, selector) : undefined,
  ]);
  // A failed read of the pod is reported first.
  if (podRead.status === 'rejected') throw podRead.reason;
  if (podsRead.status === 'rejected') throw podsRead.reason;
  const before = new Set(existing.map((item) => item.metadata?.uid));
  const replacement = podsRead.value?.find(
    (item) => !before.has(item.metadata?.uid) && !item.metadata?.deletionTimestamp,
  );
  return {
    verification: deletionOutcome({ deletedUid: uid, current: podRead.value, replacement, owned: owner !== undefined }),
    fields: { replacement: replacement?.metadata?.name },
  };
}

function podNameOf(context: ToolContext, name: string): string {
  if (name !== 'self') return name;
  if (!context.self.podName) {
    throw new ToolFailure(
      'This sidecar does not run in a pod, so "self" names no pod. Give the pod\'s name.',
      'invalid',
    );
  }
  return context.self.podName;
}

async function podNotFound(context: ToolContext, name: string): Promise<ToolFailure> {
  const names = await context.kube.pods
    .list({ limit: 50 })
    .then((list) => list.items.map((item) => item.metadata?.name ?? '').filter((item) => item !== ''))
    .catch(() => []);
  return new ToolFailure(
    `Pod ${name} does not exist in namespace ${context.kube.namespace} (it may have been replaced already). ${
      names.length > 0
        ? `Pods here: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`
        : 'There are no pods here.'
    }`,
    'not-found',
  );
}

/** The owner's own pod selector when it is a workload podmcp knows, else the pod's labels. */
async function ownerSelector(context: ToolContext, owner: V1OwnerReference, pod: V1Pod): Promise<string | undefined> {
  const kind = OWNER_KINDS.find((candidate) => candidate === owner.kind);
  if (kind) {
    const selector = await readWorkload(context, { kind, name: owner.name })
      .then((workload) => workload.podSelector)
      .catch(() => undefined);
    if (selector) return selector;
  }
  const labels = Object.entries(pod.metadata?.labels ?? {}).map(([key, value]) => `${key}=${value}`);
  return labels.length > 0 ? labels.join(',') : undefined;
}

function deleteWarnings(own: boolean, grace: number, owner: V1OwnerReference | undefined, siblings: number): string[] {
  const warnings: string[] = [];
  if (own) {
    warnings.push(
      `This is the sidecar's own pod: this connection drops when it terminates (within ${grace} s). Reconnect to the replacement.`,
    );
  }
  if (owner && siblings <= 1 && owner.kind !== 'DaemonSet') {
    warnings.push(`It is the only pod of ${owner.kind} ${owner.name}: nothing serves until the replacement is ready.`);
  }
  if (owner?.kind === 'Job') {
    warnings.push('It belongs to a Job: the Job may count the deleted pod as a failure against its backoffLimit.');
  }
  return warnings;
}
