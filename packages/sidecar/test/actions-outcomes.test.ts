import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Deployment, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import {
  deletionOutcome,
  deploymentRollout,
  isSettled,
  restartOutcome,
  rollbackOutcome,
  scaleOutcome,
} from '../src/actions/outcomes.ts';
import { RESTARTED_AT_ANNOTATION } from '../src/actions/patches.ts';

const STAMP = '2025-06-01T12:00:00.000Z';

function deployment(
  status: V1Deployment['status'],
  options: { generation?: number; replicas?: number; restartedAt?: string; image?: string } = {},
): V1Deployment {
  return {
    metadata: { name: 'web', uid: 'uid-web', generation: options.generation ?? 2 },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: {
          labels: { app: 'web' },
          annotations: options.restartedAt ? { [RESTARTED_AT_ANNOTATION]: options.restartedAt } : undefined,
        },
        spec: { containers: [{ name: 'app', image: options.image ?? 'app:1.0' }] },
      },
    },
    status,
  };
}

const rolledOut = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };

describe('deploymentRollout (as kubectl rollout status)', () => {
  test('not observed until observedGeneration reaches generation', () => {
    assert.equal(deploymentRollout(deployment({ ...rolledOut, observedGeneration: 1 })).state, 'not-observed');
  });
  test('in progress while pods are updated, old ones terminate, or updated ones are not yet available', () => {
    assert.match(deploymentRollout(deployment({ ...rolledOut, updatedReplicas: 1 })).detail, /1 of 2 pods updated/);
    assert.match(
      deploymentRollout(deployment({ ...rolledOut, replicas: 3 })).detail,
      /1 old pod\(s\) still terminating/,
    );
    assert.match(
      deploymentRollout(deployment({ ...rolledOut, availableReplicas: 1 })).detail,
      /1 of 2 updated pods available/,
    );
  });
  test('complete when every pod is updated and available', () => {
    assert.equal(deploymentRollout(deployment(rolledOut)).state, 'complete');
  });
  test('failed when the progress deadline is exceeded', () => {
    const stuck = deployment({
      ...rolledOut,
      updatedReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet web-x has timed out',
        },
      ],
    });
    const verdict = deploymentRollout(stuck);
    assert.equal(verdict.state, 'failed');
    assert.match(verdict.detail, /progress deadline.*timed out/);
  });
});

describe('restartOutcome', () => {
  const newSet: V1ReplicaSet = {
    metadata: {
      name: 'web-new',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }],
    },
    spec: {
      selector: {},
      template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: STAMP } } },
    },
  };
  const foreignSet: V1ReplicaSet = {
    ...newSet,
    metadata: { ...newSet.metadata, name: 'web-foreign', ownerReferences: [] },
  };

  test('in progress once a ReplicaSet with the new restartedAt exists and pods are being replaced', () => {
    const verdict = restartOutcome(
      deployment({ ...rolledOut, updatedReplicas: 1 }, { restartedAt: STAMP }),
      [newSet],
      STAMP,
    );
    assert.equal(verdict.state, 'in-progress');
    assert.match(verdict.detail, /new ReplicaSet web-new; 1 of 2 pods updated/);
  });
  test('complete when that rollout finished', () => {
    assert.equal(restartOutcome(deployment(rolledOut, { restartedAt: STAMP }), [newSet], STAMP).state, 'complete');
  });
  test('not observed while no ReplicaSet of the Deployment carries the value', () => {
    const verdict = restartOutcome(deployment(rolledOut, { restartedAt: STAMP }), [foreignSet], STAMP);
    assert.equal(verdict.state, 'not-observed');
  });
  test('failed when the template no longer carries our value', () => {
    const verdict = restartOutcome(deployment(rolledOut, { restartedAt: 'later' }), [], STAMP);
    assert.equal(verdict.state, 'failed');
    assert.match(verdict.detail, /something else changed/);
  });
});

describe('scaleOutcome', () => {
  const statefulSet = (replicas: number, status: V1StatefulSet['status']): V1StatefulSet => ({
    metadata: { name: 'db', generation: 3 },
    spec: { replicas, selector: {}, serviceName: 'db', template: {} },
    status,
  });

  test('complete when as many pods exist and are ready as asked for', () => {
    const verdict = scaleOutcome(statefulSet(3, { observedGeneration: 3, replicas: 3, readyReplicas: 3 }), 3);
    assert.deepEqual(verdict, { state: 'complete', detail: '3 of 3 pods ready' });
  });
  test('in progress while pods are added or removed, with the ready count', () => {
    assert.equal(
      scaleOutcome(statefulSet(5, { observedGeneration: 3, replicas: 4, readyReplicas: 3 }), 5).detail,
      'spec.replicas is 5; 4 pod(s) exist, 3 ready',
    );
    assert.equal(
      scaleOutcome(statefulSet(1, { observedGeneration: 3, replicas: 3, readyReplicas: 3 }), 1).detail,
      'spec.replicas is 1; 2 pod(s) still being removed, 3 ready',
    );
  });
  test('not observed before the controller saw the new count', () => {
    assert.equal(scaleOutcome(statefulSet(3, { observedGeneration: 2, replicas: 1 }), 3).state, 'not-observed');
  });
  test('failed when spec.replicas is not what was set (an autoscaler moved it)', () => {
    const verdict = scaleOutcome(deployment(rolledOut, { replicas: 4 }), 6);
    assert.equal(verdict.state, 'failed');
    assert.match(verdict.detail, /HorizontalPodAutoscaler/);
  });
});

describe('deletionOutcome', () => {
  const pod = (uid: string, deleting = false, name = 'web-1'): V1Pod => ({
    metadata: { name, uid, deletionTimestamp: deleting ? new Date() : undefined },
    status: { phase: 'Pending' },
  });

  test('owned pod: complete once it is gone or terminating and a replacement exists', () => {
    const verdict = deletionOutcome({
      deletedUid: 'a',
      current: pod('a', true),
      replacement: pod('b', false, 'web-2'),
      owned: true,
    });
    assert.deepEqual(verdict, {
      state: 'complete',
      detail: 'the pod is terminating; replacement web-2 created (Pending)',
    });
  });
  test('owned pod: in progress without a replacement yet', () => {
    const verdict = deletionOutcome({ deletedUid: 'a', current: undefined, replacement: undefined, owned: true });
    assert.equal(verdict.state, 'in-progress');
    assert.match(verdict.detail, /the pod is gone; its controller has not created a replacement yet/);
  });
  test("a StatefulSet's same-named pod with a new uid counts as the old one gone", () => {
    const verdict = deletionOutcome({ deletedUid: 'a', current: pod('b'), replacement: pod('b'), owned: true });
    assert.equal(verdict.state, 'complete');
    assert.match(verdict.detail, /^the pod is gone/);
  });
  test('unowned pod: complete when gone, in progress while terminating', () => {
    assert.equal(
      deletionOutcome({ deletedUid: 'a', current: undefined, replacement: undefined, owned: false }).state,
      'complete',
    );
    assert.equal(
      deletionOutcome({ deletedUid: 'a', current: pod('a', true), replacement: undefined, owned: false }).state,
      'in-progress',
    );
  });
  test('not observed while the same pod shows no deletion', () => {
    assert.equal(
      deletionOutcome({ deletedUid: 'a', current: pod('a'), replacement: undefined, owned: true }).state,
      'not-observed',
    );
  });
});

describe('rollbackOutcome', () => {
  const target = {
    metadata: { labels: { app: 'web', 'pod-template-hash': 'old' } },
    spec: { containers: [{ name: 'app', image: 'app:1.0' }] },
  };
  test("follows the rollout once the Deployment's template is the target revision's", () => {
    const verdict = rollbackOutcome(deployment({ ...rolledOut, updatedReplicas: 0 }), target, 1);
    assert.equal(verdict.state, 'in-progress');
    assert.match(verdict.detail, /^template of revision 1 in place; 0 of 2 pods updated/);
    assert.equal(rollbackOutcome(deployment(rolledOut), target, 1).state, 'complete');
  });
  test('failed when the template is something else', () => {
    assert.equal(rollbackOutcome(deployment(rolledOut, { image: 'app:3.0' }), target, 1).state, 'failed');
  });
});

describe('isSettled', () => {
  test('only complete and failed end the wait early', () => {
    assert.equal(isSettled({ state: 'complete', detail: '' }), true);
    assert.equal(isSettled({ state: 'failed', detail: '' }), true);
    assert.equal(isSettled({ state: 'in-progress', detail: '' }), false);
    assert.equal(isSettled({ state: 'not-observed', detail: '' }), false);
  });
});
