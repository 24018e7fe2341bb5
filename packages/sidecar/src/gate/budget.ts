/**
 * Exit step: the answer fits the byte budget. Structured content over the budget is refused with how to narrow
 * the request (cutting it would break its schema); the text is rendered from the clean structured content and
 * cut at the budget with a note saying so; a failure's message is cut to the budget too.
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
    ...(answer.meta ? { meta: answer.meta } : {}),
  };
}

/** Room kept for the note that says how much of a message was cut. */
const NOTE_BYTES = 48;

/**
 * A message within `maxBytes`, note included: an error may echo what the agent sent (a 1 MB argument name
 * must not come back as a 1 MB error). Cut after redaction, like any answer.
 */
export function boundMessage(message: string, maxBytes: number = RESULT_BUDGET_BYTES): string {
  if (Buffer.byteLength(message) <= maxBytes) return message;
  const cut = truncateHead(message, Math.max(0, maxBytes - NOTE_BYTES));
  return `${cut.text}\n[truncated: ${cut.omittedBytes} more bytes]`;
}

/** The first `chars` characters of an echoed name, marked when cut (never half a surrogate pair). */
export function clip(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(chars - 1)) ? chars - 1 : chars;
  return `${text.slice(0, end)}…`;
}

export function budget(maxBytes: number = RESULT_BUDGET_BYTES): Step {
  return async (call, next) => {
    await next();
    if (call.failure) {
      call.failure = rewordFailure(call.failure, (message) => boundMessage(message, maxBytes));
      return;
    }
    const answer = call.answer;
    if (!answer) return;
    let fitted: Reply | ToolFailure;
    try {
      fitted = fitAnswer(answer, maxBytes);
    } catch (error) {
      // The rendering failed: its message is cleaned like the text it replaces.
      fitted = rewordFailure(describeKubeError(error, call.subject?.what ?? call.name), answer.clean);
    }
    if (fitted instanceof ToolFailure)
      call.failure = rewordFailure(fitted, (message) => boundMessage(message, maxBytes));
    else call.reply = fitted;
  };
}
