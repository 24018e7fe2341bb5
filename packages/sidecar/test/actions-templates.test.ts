import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonical, imageChanges, imagesOf, sameTemplate, withoutHashLabel } from '../src/actions/templates.ts';

const deploymentTemplate: V1PodTemplateSpec = {
  metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: { containers: [{ name: 'app', image: 'app:1.0', env: [{ name: 'MODE', value: 'x' }] }] },
};

// What the Deployment controller stores in a ReplicaSet: same template, plus the hash label, keys in any order.
const replicaSetTemplate: V1PodTemplateSpec = {
  spec: { containers: [{ env: [{ value: 'x', name: 'MODE' }], image: 'app:1.0', name: 'app' }] },
  metadata: {
    annotations: { team: 'a' },
    labels: { 'pod-template-hash': 'abc123', app: 'web' },
    creationTimestamp: undefined,
  },
};

describe('sameTemplate', () => {
  test('a ReplicaSet template equals its Deployment template despite the hash label and key order', () => {
    assert.equal(sameTemplate(deploymentTemplate, replicaSetTemplate), true);
  });

  test('a different image, env value or annotation is a different template', () => {
    const other = structuredClone(replicaSetTemplate);
    (other.spec?.containers[0] as { image: string }).image = 'app:2.0';
    assert.equal(sameTemplate(deploymentTemplate, other), false);
    const annotated = structuredClone(deploymentTemplate);
    annotated.metadata = { ...annotated.metadata, annotations: { team: 'b' } };
    assert.equal(sameTemplate(deploymentTemplate, annotated), false);
  });

  test('a missing template never matches', () => {
    assert.equal(sameTemplate(undefined, deploymentTemplate), false);
    assert.equal(sameTemplate(deploymentTemplate, undefined), false);
  });
});

describe('withoutHashLabel', () => {
  test('drops the hash label and creationTimestamp and keeps everything else', () => {
    const stripped = withoutHashLabel({
      ...replicaSetTemplate,
      metadata: { ...replicaSetTemplate.metadata, creationTimestamp: new Date(0) },
    });
    assert.deepEqual(stripped.metadata, { annotations: { team: 'a' }, labels: { app: 'web' } });
    assert.equal(stripped.spec, replicaSetTemplate.spec);
  });
});

describe('canonical', () => {
  test('sorts keys, writes dates as text and drops null and undefined', () => {
    assert.deepEqual(canonical({ b: 1, a: [{ d: null, c: new Date('2025-01-01T00:00:00Z') }], e: undefined }), {
      a: [{ c: '2025-01-01T00:00:00.000Z' }],
      b: 1,
    });
    assert.deepEqual(Object.keys(canonical({ b: 1, a: 2 }) as object), ['a', 'b']);
  });
});

describe('images', () => {
  const before: V1PodTemplateSpec = {
    spec: {
      initContainers: [{ name: 'migrate', image: 'migrate:1' }],
      containers: [
        { name: 'app', image: 'app:2.0' },
        { name: 'proxy', image: 'proxy:1' },
      ],
    },
  };
  const after: V1PodTemplateSpec = {
    spec: {
      initContainers: [{ name: 'migrate', image: 'migrate:1' }],
      containers: [
        { name: 'app', image: 'app:1.0' },
        { name: 'cache', image: 'cache:3' },
      ],
    },
  };

  test('imagesOf lists init containers (prefixed) and containers', () => {
    assert.deepEqual(imagesOf(before), [
      { container: 'init/migrate', image: 'migrate:1' },
      { container: 'app', image: 'app:2.0' },
      { container: 'proxy', image: 'proxy:1' },
    ]);
    assert.deepEqual(imagesOf(undefined), []);
  });

  test('imageChanges shows changed, removed and added containers only', () => {
    assert.deepEqual(imageChanges(before, after), [
      { container: 'app', before: 'app:2.0', after: 'app:1.0' },
      { container: 'proxy', before: 'proxy:1', after: '(none)' },
      { container: 'cache', before: '(none)', after: 'cache:3' },
    ]);
    assert.deepEqual(imageChanges(before, before), []);
  });
});
