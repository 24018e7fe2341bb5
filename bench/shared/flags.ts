/** Command-line checks shared by the benchmarks: a usage error (exit 2) and a bounded number flag. */

export class UsageError extends Error {}

/** The values of a `parseArgs` call, its complaint about the command line turned into a UsageError. */
export function flagValues<Parsed extends { values: object }>(parse: () => Parsed): Parsed['values'] {
  try {
    return parse().values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function numberFlag(
  name: string,
  text: string | undefined,
  fallback: number,
  bounds: { min: number; max: number; integer?: boolean },
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const wholeEnough = !bounds.integer || Number.isInteger(value);
  if (text.trim() === '' || !Number.isFinite(value) || !wholeEnough || value < bounds.min || value > bounds.max) {
    const kind = bounds.integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
