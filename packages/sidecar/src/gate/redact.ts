/**
 * Exit step: secrets leave no answer and no error message. The structured content is redacted by field name
 * and by shape, then the text is rendered from it and redacted again — all before anything is cut to the
 * budget, so a cut can never fall inside a credential the rules would have matched.
 */
import { outsideMarkers } from '../safety/frame-markers.ts';
import type { Redactor } from '../safety/redact.ts';
import { stripControlDeep } from '../safety/sanitize.ts';
import type { Answer, Step } from './call.ts';
import { rewordFailure } from './sanitise.ts';

export function redactAnswer(answer: Answer, redactor: Redactor): Answer {
  return {
    structured: answer.structured === undefined ? undefined : redactor.value(answer.structured),
    render: (structured) => outsideMarkers(answer.render(structured), redactor.text),
    clean: (text) => outsideMarkers(answer.clean(text), redactor.text),
  };
}

/**
 * The exit for what leaves outside a call (resource listings, completion values: names read from the
 * cluster): the same stripping and redaction as an answer's structured content.
 */
export function cleanListing<T>(value: T, redactor: Redactor): T {
  return redactor.value(stripControlDeep(value));
}

export function redact(redactor: Redactor): Step {
  return async (call, next) => {
    await next();
    if (call.answer) call.answer = redactAnswer(call.answer, redactor);
    if (call.failure) call.failure = rewordFailure(call.failure, redactor.text);
  };
}
