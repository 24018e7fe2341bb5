/**
 * rollback_deployment: `kubectl rollout undo` for one Deployment — the pod template of an earlier revision
 * (an older ReplicaSet) written back into the Deployment, guarded so a concurrent edit is not overwritten.
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
import { rollbackOutcome } from '../actions/outcomes.ts';
import { isUnappliedPatch, type JsonPatchOperation, rollbackPatch } from '../actions/patches.ts';
import { ownedReplicaSets, readDeployment } from '../actions/reads.ts';
import { chooseTarget, currentRevision, describeRevisions, type Revision, revisionsOf } from '../actions/revisions.ts';
import { type ActionTarget, resolveActionTarget, targetOf } from '../actions/targets.ts';
import { imageChanges, sameTemplate } from '../actions/templates.ts';
import type { ToolContext } from '../context.ts';
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
  run: defineAction({
    resolve: (args, context) =>
      resolveActionTarget(
        context,
        args.workload,
        ['Deployment'],
        (ref) =>
          `rollback_deployment rolls back Deployments only, and ${ref.kind} ${ref.name} is not one (StatefulSets and DaemonSets keep their history as ControllerRevisions, which podmcp does not roll back).`,
      ),
    read: async (target, _args, context) => ({
      target,
      deployment: (await readWorkload(context, target)).object as V1Deployment,
    }),
    check: checkRollback,
    send: ({ target, patch }, dryRun, context) => context.kube.deployments.patch(target.name, patch, 'json', dryRun),
    rejected: async (error, { target, generation }, context) => {
      if (!isUnappliedPatch(error)) return error;
      const now = await readDeployment(context, target.name).catch(() => undefined);
      if (now?.metadata?.generation !== generation) {
        return new ToolFailure(
          `Deployment ${target.name} changed while the rollback was prepared (its generation is no longer ${generation}), so nothing was changed. Look at it again and retry if the rollback is still wanted.`,
          'conflict',
        );
      }
      return new ToolFailure(
        `The API server could not apply the rollback patch to Deployment ${target.name}, so nothing was changed. Look at the Deployment and its ReplicaSets, then retry.`,
        'invalid',
      );
    },
    describe: describeRollback,
    event: ({ target, deployment, current, wanted }) => ({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name, uid: deployment.metadata?.uid ?? '' },
      reason: EVENT_REASONS.rollback,
      action: 'Rollback',
      summary: `Rolled back from ${fromText(current)} to revision ${wanted.revision} (ReplicaSet ${wanted.replicaSet})`,
    }),
    observe: async ({ target, wanted }, context) => ({
      verification: rollbackOutcome(await readDeployment(context, target.name), wanted.template, wanted.revision),
    }),
  }),
  render: (result) => renderAction(result),
});

interface Found {
  readonly target: ActionTarget;
  readonly deployment: V1Deployment;
}

interface Plan extends Found {
  readonly current: number | undefined;
  readonly wanted: Revision;
  /** The generation the patch's `test` pins, so a concurrent edit makes it fail. */
  readonly generation: number;
  readonly patch: JsonPatchOperation[];
}

/** Refuses a paused Deployment, a revision that does not exist or is already running; else the patch. */
async function checkRollback(
  { target, deployment }: Found,
  args: z.infer<typeof input>,
  context: ToolContext,
): Promise<Plan> {
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
  return { target, deployment, current, wanted, generation, patch: rollbackPatch(generation, wanted.template) };
}

function fromText(current: number | undefined): string {
  return current === undefined ? 'the current template' : `revision ${current}`;
}

function describeRollback({ target, deployment, current, wanted }: Plan) {
  const images = imageChanges(deployment.spec?.template, wanted.template);
  const from = fromText(current);
  const otherFields = images.length === 0 ? ' (same images; the templates differ in other fields)' : '';
  return {
    fields: {
      from_revision: current,
      to_revision: wanted.revision,
      replica_set: wanted.replicaSet,
      image_changes: images,
    },
    warnings: target.own
      ? [
          "This is the sidecar's own Deployment: its pods, this one included, are replaced by the rollback, and the connection drops when this pod terminates.",
        ]
      : [],
    changes: [
      { field: 'spec.template', before: from, after: `revision ${wanted.revision} (ReplicaSet ${wanted.replicaSet})` },
      ...images.map((change) => ({
        field: `image of ${change.container}`,
        before: change.before,
        after: change.after,
      })),
    ],
    summary: {
      dryRun: `Deployment ${target.name} would roll back from ${from} to revision ${wanted.revision}${otherFields}.`,
      applied: `Deployment ${target.name} rolled back from ${from} to revision ${wanted.revision}${otherFields}.`,
    },
  };
}
