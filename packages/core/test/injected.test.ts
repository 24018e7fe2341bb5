import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { STATUS_ANNOTATION } from '../src/annotations.ts';
import { isInjected, SIDECAR_CONTAINER_NAME, sidecarContainerOf } from '../src/injected.ts';

function pod(options: { status?: boolean; init?: string[]; containers?: string[] }): V1Pod {
  return {
    metadata: { name: 'web', annotations: options.status ? { [STATUS_ANNOTATION]: '{}' } : {} },
    spec: {
      initContainers: (options.init ?? []).map((name) => ({ name })),
      containers: (options.containers ?? ['app']).map((name) => ({ name })),
    },
  };
}

describe('isInjected', () => {
  test('the status annotation and the container, regular or native, make an injected pod', () => {
    assert.equal(isInjected(pod({ status: true, containers: ['app', SIDECAR_CONTAINER_NAME] })), true);
    assert.equal(isInjected(pod({ status: true, init: [SIDECAR_CONTAINER_NAME] })), true);
  });

  test('either alone does not: a copied status hides no missing sidecar, a same-named container is not ours', () => {
    assert.equal(isInjected(pod({ status: true })), false);
    assert.equal(isInjected(pod({ containers: ['app', SIDECAR_CONTAINER_NAME] })), false);
  });

  test('sidecarContainerOf finds the container wherever it was placed', () => {
    assert.equal(sidecarContainerOf(pod({ init: [SIDECAR_CONTAINER_NAME] }))?.name, SIDECAR_CONTAINER_NAME);
    assert.equal(sidecarContainerOf(pod({})), undefined);
  });
});
