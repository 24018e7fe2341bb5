import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import {
  isUnappliedPatch,
  RESTARTED_AT_ANNOTATION,
  restartPatch,
  rollbackPatch,
  scalePatch,
} from '../src/actions/patches.ts';

const template = (image: string): V1PodTemplateSpec => ({
  metadata: {
    labels: { app: 'web', 'pod-template-hash': '5d8f9c' },
    creationTimestamp: new Date('2025-01-01T00:00:00Z'),
  },
  spec: { containers: [{ name: 'app', image }] },
});

describe('restartPatch', () => {
  test('sets only the restartedAt annotation of the pod template, with millisecond precision', () => {
    const patch = restartPatch(new Date('2025-03-04T05:06:07.089Z'));
    assert.deepEqual(patch, {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2025-03-04T05:06:07.089Z' } } } },
    });
    assert.equal(RESTARTED_AT_ANNOTATION, 'kubectl.kubernetes.io/restartedAt');
  });
});

describe('scalePatch', () => {
  test('is a merge patch on spec.replicas only', () => {
    assert.deepEqual(scalePatch(5), { spec: { replicas: 5 } });
    assert.deepEqual(scalePatch(0), { spec: { replicas: 0 } });
  });
});

describe('rollbackPatch', () => {
  test('tests the generation first, then replaces the template', () => {
    const patch = rollbackPatch(7, template('app:1.0'));
    assert.equal(patch.length, 2);
    assert.deepEqual(patch[0], { op: 'test', path: '/metadata/generation', value: 7 });
    assert.equal(patch[1]?.op, 'replace');
    assert.equal(patch[1]?.path, '/spec/template');
  });

  test('the restored template has no pod-template-hash label and no creationTimestamp, as plain JSON', () => {
    const value = rollbackPatch(1, template('app:1.0'))[1]?.value as Record<string, Record<string, unknown>>;
    assert.deepEqual(value.metadata, { labels: { app: 'web' } });
    assert.deepEqual(value.spec, { containers: [{ name: 'app', image: 'app:1.0' }] });
    assert.equal(JSON.stringify(value), JSON.stringify(JSON.parse(JSON.stringify(value))));
  });

  test('does not modify the ReplicaSet template it copies', () => {
    const source = template('app:1.0');
    rollbackPatch(1, source);
    assert.equal(source.metadata?.labels?.['pod-template-hash'], '5d8f9c');
  });
});

describe('isUnappliedPatch', () => {
  test("recognises the API server's answer to a JSON patch whose test failed", () => {
    // The body a kube-apiserver returns for a failed `test` operation (seen in the e2e suite).
    const body =
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}\n';
    assert.equal(isUnappliedPatch({ code: 422, body }), true);
    assert.equal(isUnappliedPatch({ code: 422, body: { message: 'testing value /metadata/generation failed' } }), true);
  });

  test('validation errors and other codes are not mistaken for it', () => {
    assert.equal(
      isUnappliedPatch({
        code: 422,
        body: '{"message":"Deployment.apps \\"web\\" is invalid: spec.template.spec.containers: Required value"}',
      }),
      false,
    );
    assert.equal(isUnappliedPatch({ code: 409, body: '{"message":"test failed"}' }), false);
    assert.equal(isUnappliedPatch(new Error('test failed')), false);
    assert.equal(isUnappliedPatch(null), false);
  });
});
