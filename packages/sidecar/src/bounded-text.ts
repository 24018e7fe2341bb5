/**
 * Input pieces whose limits are checked, not declared. A length bound protects the sidecar and tells a model
 * nothing it needs to choose or call a tool, yet a declared one is re-read with the catalogue on every turn.
 */
import { z } from 'zod';

/** A string of `min`..`max` characters; the bound is enforced on every call and left out of the JSON Schema. */
export function boundedText(max: number, min = 0) {
  return z.string().refine((text) => text.length >= min && text.length <= max, {
    message: min > 0 ? `must be ${min}-${max} characters` : `must be at most ${max} characters`,
  });
}
