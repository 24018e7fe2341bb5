/**
 * Golden pairs: each `golden/X.yaml` pod goes through the webhook path (AdmissionReview in, JSON Patch out),
 * the patch is applied, and the resulting object (plus admission warnings) is compared with
 * `golden/X.injected.yaml`. Set UPDATE_GOLDEN=1 to rewrite them (refused under CI); a golden without an input fails.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { updatingGoldens } from '../../../test/ci.ts';
import { review } from '../src/admission.ts';
import { defaultInjectorConfig } from '../src/config.ts';
import { injectManifests } from '../src/manifests.ts';
import { admissionReview, applyReview } from './fixtures.ts';

const dir = new URL('./golden/', import.meta.url);
const files = readdirSync(dir);
const inputs = files.filter((file) => file.endsWith('.yaml') && !file.endsWith('.injected.yaml'));
const config = defaultInjectorConfig();
const cluster = { nativeSidecars: true };
const update = updatingGoldens();

describe('golden injections', () => {
  test('every golden output has its input', () => {
    const orphans = files
      .filter((file) => file.endsWith('.injected.yaml'))
      .filter((file) => !inputs.includes(file.replace('.injected.yaml', '.yaml')));
    assert.deepEqual(orphans, []);
  });

  for (const input of inputs) {
    const goldenName = input.replace('.yaml', '.injected.yaml');
    const pod = parse(readFileSync(new URL(input, dir), 'utf8')) as V1Pod;

    test(`${input}: webhook patch applied equals ${goldenName}`, () => {
      const answer = review(admissionReview(pod), config, cluster).review;
      assert.equal(answer.response.allowed, true);
      const actual = { warnings: answer.response.warnings ?? [], pod: applyReview(pod, answer) };
      const goldenUrl = new URL(goldenName, dir);
      if (update) writeFileSync(goldenUrl, stringify(actual, { lineWidth: 0 }));
      assert.deepEqual(actual, parse(readFileSync(goldenUrl, 'utf8')));
    });

    test(`${input}: injecting the injected pod changes nothing`, () => {
      const injected = applyReview(pod, review(admissionReview(pod), config, cluster).review);
      const again = review(admissionReview(injected), config, cluster);
      assert.equal(again.review.response.allowed, true);
      assert.equal(again.review.response.patch, undefined);
      assert.equal(again.outcome.reason, 'already-injected');
    });

    test(`${input}: offline inject gives the same pod as the webhook`, () => {
      const viaWebhook = applyReview(pod, review(admissionReview(pod), config, cluster).review);
      const offline = injectManifests(stringify(pod), config, cluster);
      assert.deepEqual(parse(offline.output), viaWebhook);
    });
  }
});
