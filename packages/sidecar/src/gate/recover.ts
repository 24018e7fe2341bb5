/**
 * Whatever an entry step or the run threw becomes the failure the agent reads: a ToolFailure as it is, a
 * Kubernetes error described (not found, forbidden, unreachable), anything else named with what was asked.
 * It sits inside the exit steps, so failures are sanitised, redacted and bounded like answers.
 */
import { describeKubeError } from '../kube/errors.ts';
import type { Step } from './call.ts';

export const recover: Step = async (call, next) => {
  try {
    await next();
  } catch (error) {
    call.answer = undefined;
    call.failure = describeKubeError(error, call.subject?.what ?? call.name);
  }
};
