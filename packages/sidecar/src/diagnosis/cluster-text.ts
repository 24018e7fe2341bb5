/**
 * Free text from the cluster made fit to quote in a diagnosis: flattened and cut, so one long condition or
 * event message cannot crowd out the verdict.
 */
import type { Condition } from './model.ts';

/** Free text from the cluster inside a diagnosis (condition and event messages) is cut to this. */
export const MESSAGE_CHARS = 240;

export function cap(text: string | undefined, chars = MESSAGE_CHARS): string | undefined {
  if (text === undefined) return undefined;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return undefined;
  return flat.length > chars ? `${flat.slice(0, chars)}…` : flat;
}

/** Conditions as the cluster states them; an empty reason is no reason, messages are cut. */
export function conditionsOf(
  conditions: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }> | undefined,
): Condition[] {
  return (conditions ?? []).map((condition) => ({
    type: condition.type,
    status: condition.status,
    reason: condition.reason || undefined,
    message: cap(condition.message),
  }));
}
