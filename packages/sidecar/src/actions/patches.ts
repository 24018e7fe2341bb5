/**
 * The exact request bodies the actions send, built from plain objects so they can be checked without a
 * cluster. Each is as small as the change: a restart touches one annotation, a scale one number, a rollback
 * the pod template only.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { withoutHashLabel } from './templates.ts';

/** What `kubectl rollout restart` sets; a changed template makes the Deployment controller roll every pod. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Merge patch for a restart. Millisecond precision: two restarts in one second must still differ. */
export function restartPatch(restartedAt: Date) {
  return {
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt.toISOString() } } } },
  };
}

/** Merge patch for the scale subresource. */
export function scalePatch(replicas: number) {
  return { spec: { replicas } };
}

export type JsonPatchOperation =
  | { readonly op: 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown };

/**
 * JSON patch that puts a previous ReplicaSet's pod template back into the Deployment (what
 * `kubectl rollout undo` does), guarded by a `test` on metadata.generation: generation changes only when the
 * spec changes, so a concurrent edit of the Deployment makes the patch fail instead of being overwritten,
 * while the controller's status writes (which change resourceVersion all the time) do not.
 */
export function rollbackPatch(currentGeneration: number, target: V1PodTemplateSpec): JsonPatchOperation[] {
  return [
    { op: 'test', path: '/metadata/generation', value: currentGeneration },
    { op: 'replace', path: '/spec/template', value: toJson(withoutHashLabel(target)) },
  ];
}

/** Plain JSON (dates as text, absent fields dropped) so the patch carries exactly what the API serves. */
function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * True when the API server could not apply a JSON patch to the object — which is how a failed `test` shows:
 * a bare 422 "the server rejected our request due to an error in our request" that does not say which
 * operation failed. Validation errors (422 "… is invalid: …") are not this. The caller confirms by reading
 * the object again.
 */
export function isUnappliedPatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 422) return false;
  const body = (error as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return /rejected our request due to an error in our request|test(ing value)? .*failed|test operation/i.test(text);
}
