/**
 * Verification of an applied action: run its outcome check within the bounded wait and turn whatever was
 * last seen into one verdict for the answer, including when the API server could not be read afterwards.
 */

import type { ToolContext } from '../context.ts';
import { describeKubeError } from '../kube/errors.ts';
import type { Verification } from './contract.ts';
import { isSettled } from './outcomes.ts';
import { type Observation, observe, type WaitOptions } from './wait.ts';

export async function verifyOutcome(
  context: ToolContext,
  check: () => Promise<Verification>,
  options: Partial<WaitOptions> = {},
): Promise<Verification> {
  const observation = await observe(check, isSettled, { signal: context.signal, ...options });
  return finalVerdict(observation);
}

/** Pure: the verdict from the last observation of a bounded wait. */
export function finalVerdict(observation: Observation<Verification>): Verification {
  const { value, error, cancelled } = observation;
  const suffix = cancelled
    ? ' (the caller cancelled the wait)'
    : value && !isSettled(value)
      ? ' when the wait ended'
      : '';
  if (value === undefined) {
    const reason =
      error === undefined ? 'no reading was taken' : describeKubeError(error, 'the changed object').message;
    return {
      state: 'not-observed',
      detail: `the change was made but its outcome could not be read: ${reason}${suffix}`,
    };
  }
  return { state: value.state, detail: `${value.detail}${suffix}` };
}
