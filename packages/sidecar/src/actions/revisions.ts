/**
 * A Deployment's revision history as the Deployment controller keeps it: one ReplicaSet per pod template,
 * numbered by its deployment.kubernetes.io/revision annotation (older ones pruned past revisionHistoryLimit).
 * Picks the revision to roll back to and lists them when the asked-for one does not exist. Pure.
 */
import type { V1Deployment, V1ObjectMeta, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { formatAge } from '../format/age.ts';
import { imagesOf, sameTemplate } from './templates.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface Revision {
  readonly revision: number;
  readonly replicaSet: string;
  readonly images: readonly string[];
  readonly created: Date | undefined;
  readonly replicas: number;
  readonly template: V1PodTemplateSpec;
}

export function parseRevision(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,18}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Whether `metadata` names `ownerUid` as its controller. */
export function isControlledBy(metadata: V1ObjectMeta | undefined, ownerUid: string | undefined): boolean {
  if (!ownerUid) return false;
  return (metadata?.ownerReferences ?? []).some((owner) => owner.controller === true && owner.uid === ownerUid);
}

/** The Deployment's own ReplicaSets with a readable revision, newest first. */
export function revisionsOf(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): Revision[] {
  const revisions: Revision[] = [];
  for (const set of replicaSets) {
    if (!isControlledBy(set.metadata, deployment.metadata?.uid)) continue;
    const revision = parseRevision(set.metadata?.annotations?.[REVISION_ANNOTATION]);
    const template = set.spec?.template;
    if (revision === undefined || !template) continue;
    revisions.push({
      revision,
      replicaSet: set.metadata?.name ?? '',
      images: imagesOf(template).map((entry) => `${entry.container}=${entry.image}`),
      created: set.metadata?.creationTimestamp,
      replicas: set.status?.replicas ?? 0,
      template,
    });
  }
  return revisions.sort((a, b) => b.revision - a.revision);
}

/**
 * The revision the Deployment runs now: the one whose template is the Deployment's (authoritative even before
 * the controller has caught up), else the Deployment's own revision annotation.
 */
export function currentRevision(deployment: V1Deployment, revisions: readonly Revision[]): number | undefined {
  const matching = revisions.find((entry) => sameTemplate(entry.template, deployment.spec?.template));
  return matching?.revision ?? parseRevision(deployment.metadata?.annotations?.[REVISION_ANNOTATION]);
}

export type TargetChoice =
  | { readonly ok: true; readonly target: Revision }
  | { readonly ok: false; readonly problem: 'unknown' | 'current' | 'no-previous'; readonly message: string };

/** `toRevision` undefined means the previous one: the highest revision below the current one. */
export function chooseTarget(
  revisions: readonly Revision[],
  current: number | undefined,
  toRevision: number | undefined,
): TargetChoice {
  if (toRevision !== undefined) {
    const target = revisions.find((entry) => entry.revision === toRevision);
    if (!target) return { ok: false, problem: 'unknown', message: `revision ${toRevision} does not exist` };
    if (toRevision === current) {
      return { ok: false, problem: 'current', message: `revision ${toRevision} is the one it runs now` };
    }
    return { ok: true, target };
  }
  // Without a known current revision, the newest is taken to be current (what kubectl assumes too).
  const previous = current === undefined ? revisions[1] : revisions.find((entry) => entry.revision < current);
  if (!previous) {
    return {
      ok: false,
      problem: 'no-previous',
      message:
        current === undefined
          ? 'it has no earlier revision'
          : `revision ${current} is its oldest remaining revision (older ones are pruned past spec.revisionHistoryLimit)`,
    };
  }
  return { ok: true, target: previous };
}

/** One line per revision, newest first: number, ReplicaSet, images, age, pods. */
export function describeRevisions(revisions: readonly Revision[], current: number | undefined, now: Date): string[] {
  return revisions.map(
    (entry) =>
      `revision ${entry.revision}${entry.revision === current ? ' (current)' : ''}: ReplicaSet ${entry.replicaSet}, ${entry.images.join(' ') || 'no containers'}, created ${formatAge(entry.created, now)} ago, ${entry.replicas} pod(s)`,
  );
}
