/**
 * What a CI run changes for the tests, in one place: a suite that cannot run fails instead of skipping, and
 * goldens are compared, never rewritten. A CI run is `CI` set to a true-ish value, as CI services set it.
 */

/** Whether this is a CI run: `CI` set to a true-ish value (`true`, `1`, `yes`, `on`, any case). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1|yes|on)$/i.test((env.CI ?? '').trim());
}

/** A suite that cannot run, under CI. */
export class SuiteCannotRunError extends Error {
  override name = 'SuiteCannotRunError';
}

/**
 * Skips locally, fails under CI: returns the reason (for node:test's `skip` or `t.skip`) when this is not a CI
 * run, and throws it otherwise.
 */
export function skipOrFail(reason: string, env: NodeJS.ProcessEnv = process.env): string {
  if (isCi(env)) throw new SuiteCannotRunError(`${reason} (under CI this is a failure, not a skip)`);
  process.stderr.write(`[e2e] skipped: ${reason}\n`);
  return reason;
}

/** Whether golden files are to be rewritten (UPDATE_GOLDEN=1); refused under CI, where a rewrite always passes. */
export function updatingGoldens(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.UPDATE_GOLDEN !== '1') return false;
  if (isCi(env)) throw new Error('UPDATE_GOLDEN=1 under CI: goldens are compared in CI, never rewritten');
  return true;
}
