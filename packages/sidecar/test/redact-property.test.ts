/**
 * A generator, not a list: random secrets planted in random places and encodings inside random text, through
 * the redactor's text and value paths. Whatever the planting, no fragment of 8 characters or more of the
 * secret survives — nor after the redacted answer is cut at any length, as the answer budget does — and
 * redacting twice gives the same answer as once. The planting arbitraries live in redact-plantings.ts for
 * the end-to-end version over every tool, resource and prompt.
 */
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createRedactor } from '../src/safety/redact.ts';
import {
  assertNoSecretFragment,
  filler,
  plantedWorld,
  type StructuredPlanting,
  structuredPlanting,
  type TextPlanting,
  textPlanting,
} from './redact-plantings.ts';

const redactor = createRedactor();
const SEPARATORS = [' ', '\n', ' | ', '\t'] as const;

const document = fc
  .tuple(filler, textPlanting, filler, fc.constantFrom(...SEPARATORS))
  .map(([before, planting, after, separator]) => ({
    planting,
    innocent: `${before}${separator}${after}`,
    text: `${before}${separator}${planting.text}${separator}${after}`,
  }));

/** The planted text as a Kubernetes object would carry it: an annotation, a ConfigMap value, a log line. */
function inObject(planting: TextPlanting, text: string, structured: StructuredPlanting) {
  return {
    metadata: { name: 'web', annotations: { 'example.com/note': text, 'example.com/owner': 'team-a' } },
    spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:v1.2', ...structured.container }] },
    data: { 'app.conf': planting.text, 'log-level': 'debug', ...structured.data },
  };
}

/** Every cut of an answer the budget could make: the head and the tail at random lengths. */
function cuts(output: string, at: number): string[] {
  const length = at % (output.length + 1);
  return [output.slice(0, length), output.slice(length)];
}

describe('no fragment of a planted secret survives redaction', () => {
  test('text: a secret in any notation, URL, token shape or encoding, inside random text', () => {
    fc.assert(
      fc.property(document, fc.nat(), ({ planting, innocent, text }, at) => {
        const context = `(${planting.kind}, ${planting.encoding})`;
        const once = redactor.text(text);
        assertNoSecretFragment(once, planting.secret, innocent, context);
        if (planting.encoding.startsWith('base64')) {
          const encoded = Buffer.from(planting.secret).toString('base64');
          assertNoSecretFragment(once, encoded.slice(0, -4), innocent, `${context}, its base64`);
        }
        for (const cut of cuts(once, at)) assertNoSecretFragment(cut, planting.secret, innocent, `${context}, cut`);
        if (redactor.text(once) !== once) throw new Error(`redacting twice differs ${context}:\n${once}`);
      }),
      { numRuns: 1000 },
    );
  });

  test('values: argv pairs, env pairs, credential-named keys and planted text in a Kubernetes object', () => {
    fc.assert(
      fc.property(document, structuredPlanting, fc.nat(), ({ planting, innocent, text }, structured, at) => {
        const object = inObject(planting, text, structured);
        const context = `(${planting.kind}, ${planting.encoding}; ${structured.kind})`;
        const outputs = [
          JSON.stringify(redactor.value(object)),
          // A manifest rendered to text and redacted as text, as a resource is: compact and pretty JSON.
          redactor.text(JSON.stringify(object)),
          redactor.text(JSON.stringify(object, null, 2)),
        ];
        for (const output of outputs) {
          assertNoSecretFragment(output, planting.secret, innocent, context);
          assertNoSecretFragment(output, structured.secret, innocent, context);
          for (const cut of cuts(output, at)) assertNoSecretFragment(cut, structured.secret, innocent, context);
        }
        const world = plantedWorld(planting, structured);
        const { secrets: _secrets, ...objects } = world;
        const worldText = redactor.text(JSON.stringify(objects, null, 2));
        for (const secret of world.secrets) assertNoSecretFragment(worldText, secret, innocent, `${context}, world`);
        assertNoSecretFragment(JSON.stringify(redactor.value(objects)), structured.secret, innocent, context);
        const redacted = redactor.value(object);
        if (JSON.stringify(redactor.value(redacted)) !== JSON.stringify(redacted)) {
          throw new Error(`redacting a value twice differs ${context}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
