/**
 * rollback_deployment: `kubectl rollout undo` for one Deployment — the pod template of an earlier revision
 * (an older ReplicaSet) written back into the Deployment, guarded so a concurrent edit is not overwritten.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import { dryRunThenApply, jsonPatch } from '../actions/apply.ts';
import {
  actionHints,
  actionInputFields,
  actionOutputFields,
  renderAction,
  workloadField,
} from '../actions/contract.ts';
import { EVENT_REASONS, recordActionEvent } from '../actions/event.ts';
import { rollbackOutcome } from '../actions/outcomes.ts';
import { isUnappliedPatch, rollbackPatch } from '../actions/patches.ts';
import { ownedReplicaSets, readDeployment } from '../actions/reads.ts';
import { chooseTarget, currentRevision, describeRevisions, revisionsOf } from '../actions/revisions.ts';
import { resolveActionTarget, targetOf } from '../actions/targets.ts';
import { imageChanges, sameTemplate } from '../actions/templates.ts';
import { verifyOutcome } from '../actions/verify.ts';
import { ToolFailure } from '../failure.ts';
import { readWorkload } from '../kube/workloads.ts';
import { defineTool } from './definition.ts';

const input = z
  .object({
    workload: workloadField('Deployment'),
    to_revision: z.number().int().min(1).max(1_000_000_000).optional().describe('Default: the previous revision.'),
    ...actionInputFields,
  })
  .strict();

const output = z.object({
  ...actionOutputFields,
  from_revision: z.number().optional(),
  to_revision: z.number(),
  replica_set: z.string(),
  image_changes: z.array(z.object({ container: z.string(), before: z.string(), after: z.string() })),
});

export const rollbackDeployment = defineTool({
  name: 'rollback_deployment',
  title: 'Roll back a Deployment',
  description:
    'Rolls a Deployment back to the previous revision or to_revision (kubectl rollout undo); an unknown revision lists the available ones.',
  input,
  output,
  hints: actionHints({ idempotent: false }),
  target: (args, context) => targetOf(context, args.workload),
  async run(args, context) {
    const target = await resolveActionTarget(
      context,
      args.workload,
      ['Deployment'],
      (ref) =>
        `rollback_deployment rolls back Deployments only, and ${ref.kind} ${ref.name} is not one (StatefulSets and DaemonSets keep their history as ControllerRevisions, which podmcp does not roll back).`,
    );
    const deployment = (await readWorkload(context, target)).object as V1Deployment;
    if (deployment.spec?.paused) {
      throw new ToolFailure(
        `Deployment ${target.name} is paused (spec.paused: true); a paused Deployment is not rolled back (kubectl refuses too). Resume it first (kubectl rollout resume deployment/${target.name}).`,
        'conflict',
      );
    }
    const revisions = revisionsOf(deployment, await ownedReplicaSets(context, deployment));
    const current = currentRevision(deployment, revisions);
    const choice = chooseTarget(revisions, current, args.to_revision);
    const listing = () =>
      revisions.length > 0
        ? `Revisions of Deployment ${target.name}:\n${describeRevisions(revisions, current, context.now()).join('\n')}`
        : `Deployment ${target.name} has no ReplicaSets with a revision yet.`;
    if (!choice.ok) {
      const next =
        choice.problem === 'unknown'
          ? 'Call again with one of these as to_revision, or omit it for the previous revision.'
          : choice.problem === 'current'
            ? 'Pick another revision, or omit to_revision for the previous one.'
            : 'There is nothing earlier to roll back to.';
      throw new ToolFailure(
        `Cannot roll back Deployment ${target.name}: ${choice.message}.\n${listing()}\n${next}`,
        choice.problem === 'unknown' ? 'not-found' : 'conflict',
      );
    }
    const wanted = choice.target;
    if (sameTemplate(wanted.template, deployment.spec?.template)) {
      throw new ToolFailure(
        `Deployment ${target.name} already runs the pod template of revision ${wanted.revision}; nothing to roll back.\n${listing()}`,
        'conflict',
      );
    }
    const generation = deployment.metadata?.generation ?? 0;
    const request = {
      name: target.name,
      namespace: context.kube.namespace,
      body: rollbackPatch(generation, wanted.template),
    };
    let outcome: Awaited<ReturnType<typeof dryRunThenApply<V1Deployment>>>;
    try {
      outcome = await dryRunThenApply(
        (dryRun) => context.kube.apps.patchNamespacedDeployment({ ...request, dryRun }, jsonPatch()),
        args.dry_run,
      );
    } catch (error) {
      if (!isUnappliedPatch(error)) throw error;
      const now = await readDeployment(context, target.name).catch(() => undefined);
      if (now?.metadata?.generation !== generation) {
        throw new ToolFailure(
          `Deployment ${target.name} changed while the rollback was prepared (its generation is no longer ${generation}), so nothing was changed. Look at it again and retry if the rollback is still wanted.`,
          'conflict',
        );
      }
      throw new ToolFailure(
        `The API server could not apply the rollback patch to Deployment ${target.name}, so nothing was changed. Look at the Deployment and its ReplicaSets, then retry.`,
        'invalid',
      );
    }
    const images = imageChanges(deployment.spec?.template, wanted.template);
    const from = current === undefined ? 'the current template' : `revision ${current}`;
    const base = {
      dry_run: args.dry_run,
      target: target.label,
      from_revision: current,
      to_revision: wanted.revision,
      replica_set: wanted.replicaSet,
      image_changes: images,
      warnings: target.own
        ? [
            "This is the sidecar's own Deployment: its pods, this one included, are replaced by the rollback, and the connection drops when this pod terminates.",
          ]
        : [],
      changes: [
        {
          field: 'spec.template',
          before: from,
          after: `revision ${wanted.revision} (ReplicaSet ${wanted.replicaSet})`,
        },
        ...images.map((change) => ({
          field: `image of ${change.container}`,
          before: change.before,
          after: change.after,
        })),
      ],
    };
    const otherFields = images.length === 0 ? ' (same images; the templates differ in other fields)' : '';
    if (!outcome.applied) {
      return {
        ...base,
        applied: false,
        summary: `Deployment ${target.name} would roll back from ${from} to revision ${wanted.revision}${otherFields}.`,
      };
    }
    const event = await recordActionEvent(
      context,
      {
        object: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name, uid: deployment.metadata?.uid ?? '' },
        reason: EVENT_REASONS.rollback,
        action: 'Rollback',
        summary: `Rolled back from ${from} to revision ${wanted.revision} (ReplicaSet ${wanted.replicaSet})`,
      },
      args.reason,
    );
    const verification = await verifyOutcome(context, async () =>
      rollbackOutcome(await readDeployment(context, target.name), wanted.template, wanted.revision),
    );
    return {
      ...base,
      applied: true,
      summary: `Deployment ${target.name} rolled back from ${from} to revision ${wanted.revision}${otherFields}.`,
      verification,
      event,
    };
  },
  render: (result) => renderAction(result),
});
