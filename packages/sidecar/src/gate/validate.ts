/**
 * Entry steps that check the call itself: something answers to its name (`known`, first of all, so a call of
 * nothing costs no rate-limit token), and its arguments fit the subject's schema (`validate`), which also
 * resolves what an action would act on.
 */
import { ToolFailure } from '../failure.ts';
import type { Step } from './call.ts';

export const known: Step = async (call, next) => {
  if (call.subject === undefined) throw new ToolFailure(call.unknown, 'not-found');
  await next();
};

export const validate: Step = async (call, next) => {
  const subject = call.subject;
  if (subject === undefined) throw new ToolFailure(call.unknown, 'not-found');
  const parsed = subject.parse(call.arguments ?? {});
  if (!parsed.ok) throw new ToolFailure(parsed.message, 'invalid');
  call.input = parsed.input;
  call.target = subject.target ? await subject.target(parsed.input, call.context) : undefined;
  await next();
};
