/**
 * Exit step: the answer fits the byte budget. Structured content over the budget is refused with how to narrow
 * the request (cutting it would break its schema); the text is rendered from the clean structured content and
 * cut at the budget with a note saying so.
 */
import { ToolFailure } from '../failure.ts';
import { describeKubeError } from '../kube/errors.ts';
import { byteLength, RESULT_BUDGET_BYTES, truncateHead } from '../output/budget.ts';
import type { Answer, Reply, Step } from './call.ts';
import { rewordFailure } from './sanitise.ts';

export function fitAnswer(answer: Answer, maxBytes: number = RESULT_BUDGET_BYTES): Reply | ToolFailure {
  const { structured } = answer;
  const structuredBytes = structured === undefined ? 0 : byteLength(structured);
  if (structuredBytes > maxBytes) {
    return new ToolFailure(
      `The answer would be ${structuredBytes} bytes, above the ${maxBytes}-byte budget. Narrow the request (a smaller limit, a filter, or a single name).`,
      'invalid',
    );
  }
  const rendered = truncateHead(answer.render(structured), maxBytes);
  const complete = structured === undefined ? '' : '; the structured result is complete';
  const text = rendered.truncated
    ? `${rendered.text}\n[truncated: ${rendered.omittedBytes} more bytes${complete}]`
    : rendered.text;
  return {
    text,
    structured: structured as Record<string, unknown> | undefined,
    bytes: Buffer.byteLength(text) + structuredBytes,
  };
}

export function budget(maxBytes: number = RESULT_BUDGET_BYTES): Step {
  return async (call, next) => {
    await next();
    const answer = call.answer;
    if (call.failure || !answer) return;
    let fitted: Reply | ToolFailure;
    try {
      fitted = fitAnswer(answer, maxBytes);
    } catch (error) {
      // The rendering failed: its message is cleaned like the text it replaces.
      fitted = rewordFailure(describeKubeError(error, call.subject?.what ?? call.name), answer.clean);
    }
    if (fitted instanceof ToolFailure) call.failure = fitted;
    else call.reply = fitted;
  };
}
