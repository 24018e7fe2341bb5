/**
 * scale_workload: set a Deployment's or StatefulSet's replica count through the scale subresource, within
 * this sidecar's max-replicas limit, with an explicit confirmation for scaling to zero.
 */
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { annotationKey } from '@podmcp/core';
import { z } from 'zod';
import {
  actionHints,
  actionInputFields,
  actionOutputFields,
  renderAction,
  workloadField,
} from '../actions/contract.ts';
import { type ActionDetails, defineAction, NothingToChange } from '../actions/define-action.ts';
import { EVENT_REASONS } from '../actions/event.ts';
import { scaleOutcome } from '../actions/outcomes.ts';
import { scalePatch } from '../actions/patches.ts';
import { readDeployment, readStatefulSet } from '../actions/reads.ts';
import { type ActionTarget, resolveActionTarget, targetOf } from '../actions/targets.ts';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { readWorkload } from '../kube/workloads.ts';
import { defineTool } from './definition.ts';

const MAX_REPLICAS_ANNOTATION = annotationKey('max-replicas');

const input = z
  .object({
    workload: workloadField('Deployment or StatefulSet'),
    replicas: z.number().int().min(0).max(1000).describe('Count to set.'),
    allow_zero: z.boolean().default(false).describe('Required to scale to 0.'),
    ...actionInputFields,
  })
  .strict();

const output = z.object({
  ...actionOutputFields,
  replicas_before: z.number(),
  replicas_after: z.number(),
  ready: z.number().optional(),
});

type Scalable = V1Deployment | V1StatefulSet;

export const scaleWorkload = defineTool({
  name: 'scale_workload',
  title: 'Scale a Deployment or StatefulSet',
  description:
    "Sets a Deployment's or StatefulSet's replicas, up to this sidecar's limit; 0 needs allow_zero. An HPA overrides a manual count.",
  input,
  output,
  hints: actionHints({ idempotent: true }),
  target: (args, context) => targetOf(context, args.workload),
  run: defineAction({
    resolve: async (args, context) => {
      const target = await resolveActionTarget(
        context,
        args.workload,
        ['Deployment', 'StatefulSet'],
        (ref) =>
          `scale_workload scales Deployments and StatefulSets only, and ${ref.kind} ${ref.name} is not one (a DaemonSet runs one pod per node; Jobs and CronJobs are not scaled).`,
      );
      const limit = context.settings.maxReplicas;
      if (args.replicas > limit) {
        throw new ToolFailure(
          `replicas ${args.replicas} is above this sidecar's limit of ${limit} (annotation ${MAX_REPLICAS_ANNOTATION} on the workload that runs it). Ask for ${limit} or fewer, or have an administrator raise ${MAX_REPLICAS_ANNOTATION}.`,
          'refused',
        );
      }
      return target;
    },
    read: async (target, args, context) => {
      const workload = (await readWorkload(context, target)).object as Scalable;
      const before = workload.spec?.replicas ?? 1;
      const warnings = [
        ...scaleWarnings(target, before, args.replicas),
        ...(await autoscalerWarnings(context, target)),
      ];
      return { target, workload, before, warnings };
    },
    check: (found, args) => {
      const { target, before } = found;
      if (before === args.replicas) {
        return new NothingToChange(
          `${target.kind} ${target.name} already has ${before} replica(s); nothing to change.`,
          details(found, args.replicas),
        );
      }
      if (args.replicas === 0 && !args.allow_zero) {
        throw new ToolFailure(
          `Scaling ${target.label} to 0 stops all of its pods (${before} now)${target.own ? ', this sidecar included' : ''}. If that is intended, call again with allow_zero: true.`,
          'invalid',
        );
      }
      return { ...found, replicas: args.replicas };
    },
    send: ({ target, replicas }, dryRun, context) => {
      const api = target.kind === 'Deployment' ? context.kube.deployments : context.kube.statefulSets;
      return api.patchScale(target.name, scalePatch(replicas), dryRun);
    },
    describe: (plan, preview) => {
      const { target, before, replicas } = plan;
      const direction = replicas > before ? 'up' : 'down';
      return {
        ...details(plan, replicas),
        changes: [
          { field: 'spec.replicas', before: String(before), after: String(preview.spec?.replicas ?? replicas) },
        ],
        summary: {
          dryRun: `${target.kind} ${target.name} would be scaled ${direction} from ${before} to ${replicas} replica(s).`,
          applied: `${target.kind} ${target.name} scaled ${direction} from ${before} to ${replicas} replica(s).`,
        },
      };
    },
    event: ({ target, workload, before, replicas }) => ({
      object: { apiVersion: 'apps/v1', kind: target.kind, name: target.name, uid: workload.metadata?.uid ?? '' },
      reason: EVENT_REASONS.scale,
      action: 'Scale',
      summary: `Scaled from ${before} to ${replicas} replicas`,
    }),
    observe: async ({ target, replicas }, context) => {
      const current: Scalable =
        target.kind === 'Deployment'
          ? await readDeployment(context, target.name)
          : await readStatefulSet(context, target.name);
      return { verification: scaleOutcome(current, replicas), fields: { ready: current.status?.readyReplicas ?? 0 } };
    },
  }),
  render: (result) => renderAction(result),
});

interface ScaleFound {
  readonly before: number;
  readonly warnings: string[];
}

/** What the answer says before anything is sent: the counts and the warnings. */
function details(
  found: ScaleFound,
  replicas: number,
): ActionDetails<{ replicas_before: number; replicas_after: number }> {
  return { fields: { replicas_before: found.before, replicas_after: replicas }, warnings: found.warnings };
}

function scaleWarnings(target: ActionTarget, before: number, after: number): string[] {
  const warnings: string[] = [];
  if (target.own && after === 0) {
    warnings.push(
      "This is the sidecar's own workload: at 0 replicas this sidecar stops too, and podmcp is unreachable until someone scales it up again (kubectl scale).",
    );
  } else if (target.own && after < before) {
    warnings.push(
      "This is the sidecar's own workload: this pod may be one of those removed, which drops the connection.",
    );
  }
  if (target.kind === 'StatefulSet' && after < before) {
    const removed = Array.from(
      { length: Math.min(before - after, 5) },
      (_, index) => `${target.name}-${before - 1 - index}`,
    );
    warnings.push(
      `A StatefulSet removes its highest-numbered pods first, one at a time: ${removed.join(', ')}${before - after > 5 ? ', …' : ''}. Their PersistentVolumeClaims are kept.`,
    );
  }
  return warnings;
}

/** An autoscaler on the workload undoes a manual count; say so rather than let the agent discover it later. */
async function autoscalerWarnings(context: ToolContext, target: ActionTarget): Promise<string[]> {
  try {
    const list = await context.kube.horizontalPodAutoscalers.list();
    return list.items
      .filter((hpa) => hpa.spec?.scaleTargetRef.kind === target.kind && hpa.spec.scaleTargetRef.name === target.name)
      .map(
        (hpa) =>
          `HorizontalPodAutoscaler ${hpa.metadata?.name} manages ${target.label} (min ${hpa.spec?.minReplicas ?? 1}, max ${hpa.spec?.maxReplicas}): it will move the count back within its range.`,
      );
  } catch {
    // Only a hint: a failed read must not block the action.
    return [];
  }
}
