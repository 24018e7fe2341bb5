/**
 * How an action reaches the API server: the exact request first as a server-side dry run (admission, RBAC and
 * validation all run, nothing is stored), then, unless only a preview was asked for, the same request for real.
 * A dry run that fails stops the action before anything changes.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export type DryRun = 'All' | undefined;

export interface TwoPhase<T> {
  readonly preview: T;
  /** Undefined when only the dry run was asked for. */
  readonly applied: T | undefined;
}

export async function dryRunThenApply<T>(
  send: (dryRun: DryRun) => Promise<T>,
  previewOnly: boolean,
): Promise<TwoPhase<T>> {
  const preview = await send('All');
  if (previewOnly) return { preview, applied: undefined };
  return { preview, applied: await send(undefined) };
}

/** Request options for a merge patch (the generated client defaults to JSON patch); fresh per request. */
export function mergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

/** Request options for a JSON patch, said explicitly rather than left to the client's default. */
export function jsonPatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
}
