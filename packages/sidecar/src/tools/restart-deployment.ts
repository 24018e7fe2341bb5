/**
 * restart_deployment: `kubectl rollout restart` for one Deployment in this namespace — dry run first, then
 * the change, an Event on the Deployment, and a bounded look at whether the rollout started.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import {
  actionHints,
  actionInputFields,
  actionOutputFields,
  renderAction,
  workloadField,
} from '../actions/contract.ts';
import { defineAction } from '../actions/define-action.ts';
import { EVENT_REASONS } from '../actions/event.ts';
import { restartOutcome } from '../actions/outcomes.ts';
import { RESTARTED_AT_ANNOTATION, restartPatch } from '../actions/patches.ts';
import { ownedReplicaSets, readDeployment } from '../actions/reads.ts';
import { resolveActionTarget, targetOf } from '../actions/targets.ts';
import { ToolFailure } from '../failure.ts';
import { readWorkload } from '../kube/workloads.ts';
import { defineTool } from './definition.ts';

const input = z
  .object({
    workload: workloadField('Deployment'),
    ...actionInputFields,
  })
  .strict();

const output = z.object({
  ...actionOutputFields,
  restarted_at: z.string(),
  pods: z.number(),
  strategy: z.string(),
});

export const restartDeployment = defineTool({
  name: 'restart_deployment',
  title: 'Restart a Deployment',
  description:
    'Rolling restart of a Deployment (kubectl rollout restart); replaces its pods, this one too when it is its own. For StatefulSet or DaemonSet pods use delete_pod.',
  input,
  output,
  hints: actionHints({ idempotent: false }),
  target: (args, context) => targetOf(context, args.workload),
  run: defineAction({
    resolve: (args, context) =>
      resolveActionTarget(
        context,
        args.workload,
        ['Deployment'],
        (ref) =>
          `restart_deployment restarts Deployments only, and ${ref.kind} ${ref.name} is not one: the sidecar's Role may patch Deployments but not StatefulSets or DaemonSets. To replace one of its pods, use delete_pod.`,
      ),
    read: async (target, _args, context) => ({
      target,
      deployment: (await readWorkload(context, target)).object as V1Deployment,
    }),
    check: ({ target, deployment }, _args, context) => {
      if (deployment.spec?.paused) {
        throw new ToolFailure(
          `Deployment ${target.name} is paused (spec.paused: true), so a restart would not roll out until it is resumed. Resume it first (kubectl rollout resume deployment/${target.name}); podmcp does not resume rollouts.`,
          'conflict',
        );
      }
      return { target, deployment, restartedAt: context.now() };
    },
    send: ({ target, restartedAt }, dryRun, context) =>
      context.kube.deployments.patch(target.name, restartPatch(restartedAt), 'merge', dryRun),
    describe: ({ target, deployment, restartedAt }, preview) => {
      const value = restartedAt.toISOString();
      const pods = deployment.spec?.replicas ?? 1;
      const strategy = strategyText(deployment);
      return {
        fields: { restarted_at: value, pods, strategy },
        warnings: restartWarnings(deployment, target.own),
        changes: [
          {
            field: `spec.template.metadata.annotations["${RESTARTED_AT_ANNOTATION}"]`,
            before: deployment.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? '(unset)',
            after: preview.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? value,
          },
          {
            field: 'metadata.generation',
            before: String(deployment.metadata?.generation ?? '?'),
            after: String(preview.metadata?.generation ?? '?'),
          },
        ],
        summary: {
          dryRun: `Deployment ${target.name} would be restarted: ${pods} pod(s) replaced (${strategy}).`,
          applied: `Deployment ${target.name} restarted: ${pods} pod(s) being replaced (${strategy}).`,
        },
      };
    },
    event: ({ target, restartedAt }, applied) => ({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name, uid: applied.metadata?.uid ?? '' },
      reason: EVENT_REASONS.restart,
      action: 'Restart',
      summary: `Rolling restart requested (restartedAt ${restartedAt.toISOString()})`,
    }),
    observe: async ({ target, restartedAt }, context) => {
      const current = await readDeployment(context, target.name);
      return {
        verification: restartOutcome(current, await ownedReplicaSets(context, current), restartedAt.toISOString()),
      };
    },
  }),
  render: (result) => renderAction(result),
});

function strategyText(deployment: V1Deployment): string {
  const strategy = deployment.spec?.strategy;
  if (strategy?.type === 'Recreate') return 'Recreate: all pods stop, then new ones start';
  const rolling = strategy?.rollingUpdate;
  return `RollingUpdate, maxUnavailable ${rolling?.maxUnavailable ?? '25%'}, maxSurge ${rolling?.maxSurge ?? '25%'}`;
}

function restartWarnings(deployment: V1Deployment, own: boolean): string[] {
  const warnings: string[] = [];
  if (own) {
    warnings.push(
      "This is the sidecar's own Deployment: this pod is replaced too, and the connection drops when it terminates. Reconnect afterwards.",
    );
  }
  if (deployment.spec?.strategy?.type === 'Recreate') {
    warnings.push(
      'The strategy is Recreate: every pod stops before new ones start, so the workload is down meanwhile.',
    );
  }
  if ((deployment.spec?.replicas ?? 1) === 0) {
    warnings.push('It has 0 replicas: the template changes, but there is no pod to replace.');
  }
  return warnings;
}
