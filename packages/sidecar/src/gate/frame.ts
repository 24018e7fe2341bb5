/**
 * Exit step, after redaction and before the budget: the answer's frames get their nonce. Renderings frame
 * untrusted text with a placeholder (they stay pure); here one random nonce per answer takes its place in the
 * text, in a failure's message, and in `_meta` beside the structured content's untrusted fields. Before
 * that, cluster text in the structured content loses any copy of the placeholder (and, in its untrusted
 * fields, anything that reads as a marker), so only the renderings' own markers carry the nonce. After
 * redaction, so no rule can touch a nonce; before the budget, so no cut can fall inside a placeholder.
 */
import { randomBytes } from 'node:crypto';
import type { ToolName } from '@podmcp/core';
import { DEFUSED, defuseMarkers, NONCE_PLACEHOLDER, sealFrames } from '../safety/frame-markers.ts';
import type { Answer, Step } from './call.ts';
import { rewordFailure } from './sanitise.ts';
import { resolvePointer, UNTRUSTED_FIELDS, UNTRUSTED_META_KEY, type UntrustedMeta } from './untrusted-fields.ts';

export type NonceSource = () => string;

/** 48 random bits per answer, as 12 hex digits: no earlier answer tells the next one's. */
export const randomNonce: NonceSource = () => randomBytes(6).toString('hex');

export function frameAnswer(answer: Answer, nonce: string, untrusted: readonly string[] = []): Answer {
  const structured =
    answer.structured === undefined ? undefined : defuseStructured(answer.structured, new Set(untrusted), '', false);
  const fields = untrusted.filter((pointer) => resolvePointer(structured, pointer) !== undefined);
  const meta: UntrustedMeta = { nonce, fields };
  return {
    structured,
    render: (value) => sealFrames(answer.render(value), nonce),
    clean: (text) => sealFrames(answer.clean(text), nonce),
    meta: fields.length > 0 ? { [UNTRUSTED_META_KEY]: meta } : undefined,
  };
}

function defuseStructured(value: unknown, untrusted: ReadonlySet<string>, pointer: string, inside: boolean): unknown {
  const cluster = inside || untrusted.has(pointer);
  if (typeof value === 'string') return cluster ? defuseMarkers(value) : value.replaceAll(NONCE_PLACEHOLDER, DEFUSED);
  if (Array.isArray(value)) {
    return value.map((item, index) => defuseStructured(item, untrusted, `${pointer}/${index}`, cluster));
  }
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      defuseStructured(item, untrusted, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, cluster),
    ]),
  );
}

/** The untrusted fields a tool declares; none for resources and prompts (text alone). */
export function untrustedFieldsOf(kind: string, name: string): readonly string[] {
  if (kind !== 'tool' || !Object.hasOwn(UNTRUSTED_FIELDS, name)) return [];
  return UNTRUSTED_FIELDS[name as ToolName] ?? [];
}

export function frame(nonces: NonceSource = randomNonce): Step {
  return async (call, next) => {
    await next();
    const nonce = nonces();
    if (call.answer) call.answer = frameAnswer(call.answer, nonce, untrustedFieldsOf(call.kind, call.name));
    if (call.failure) call.failure = rewordFailure(call.failure, (message) => sealFrames(message, nonce));
  };
}
