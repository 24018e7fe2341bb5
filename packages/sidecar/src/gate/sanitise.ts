/**
 * Exit step: terminal escapes and invisible controls leave no answer and no error message, in the structured
 * content and in the text alike (the text is rendered from the stripped data, then stripped again).
 */
import { ToolFailure } from '../failure.ts';
import { stripControl, stripControlDeep } from '../safety/sanitize.ts';
import type { Answer, Step } from './call.ts';

export function sanitiseAnswer(answer: Answer): Answer {
  return {
    structured: stripControlDeep(answer.structured),
    render: (structured) => stripControl(answer.render(structured)),
    clean: (text) => stripControl(answer.clean(text)),
  };
}

export const sanitise: Step = async (call, next) => {
  await next();
  if (call.answer) call.answer = sanitiseAnswer(call.answer);
  if (call.failure) call.failure = rewordFailure(call.failure, stripControl);
};

/** The same failure with its message passed through `transform`. */
export function rewordFailure(failure: ToolFailure, transform: (message: string) => string): ToolFailure {
  const message = transform(failure.message);
  return message === failure.message ? failure : new ToolFailure(message, failure.kind, failure.retryAfterSeconds);
}
