/**
 * How an action reaches the API server: the exact request first as a server-side dry run (admission, RBAC and
 * validation all run, nothing is stored), then, unless only a preview was asked for, the same request for real.
 * A dry run that fails stops the action before anything changes.
 */
import type { DryRun } from '../kube/namespaced-kube.ts';

export type { DryRun };

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
