/**
 * Whatever an entry step or the run threw becomes the failure the agent reads: a ToolFailure as it is, a
 * Kubernetes error described (not found, forbidden, unreachable), anything else named with what was asked.
 * It sits inside the exit steps, so failures are sanitised, redacted and bounded like answers.
 */
import { httpStatusOf } from '@podmcp/core';
import { ToolFailure } from '../failure.ts';
import { describeKubeError } from '../kube/errors.ts';
import type { Step } from './call.ts';

export const recover: Step = async (call, next) => {
  try {
    await next();
  } catch (error) {
    call.answer = undefined;
    call.failure = describeKubeError(error, call.subject?.what ?? call.name);
    call.unexpected = isUnexpected(error, call.failure);
  }
};

/**
 * Neither a failure the code meant (a ToolFailure) nor one the API server answered: what the describer could
 * only call "failed". A protocol answer calls it an internal error rather than blame the agent's input.
 */
function isUnexpected(error: unknown, failure: ToolFailure): boolean {
  if (error instanceof ToolFailure || failure.kind !== 'invalid') return false;
  return httpStatusOf(error) === undefined;
}
