import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import {
  chooseTarget,
  currentRevision,
  describeRevisions,
  parseRevision,
  REVISION_ANNOTATION,
  revisionsOf,
} from '../src/actions/revisions.ts';

const DEPLOYMENT_UID = 'uid-web';
const now = new Date('2025-06-01T12:00:00Z');

function replicaSet(
  name: string,
  revision: string | undefined,
  image: string,
  options: { owner?: string; ageMinutes?: number; replicas?: number } = {},
): V1ReplicaSet {
  return {
    metadata: {
      name,
      annotations: revision === undefined ? {} : { [REVISION_ANNOTATION]: revision },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: options.owner ?? DEPLOYMENT_UID,
          controller: true,
        },
      ],
      creationTimestamp: new Date(now.getTime() - (options.ageMinutes ?? 10) * 60_000),
    },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': name.slice(4) } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
    status: { replicas: options.replicas ?? 0 },
  };
}

function deployment(image: string, revision?: string): V1Deployment {
  return {
    metadata: { name: 'web', uid: DEPLOYMENT_UID, annotations: revision ? { [REVISION_ANNOTATION]: revision } : {} },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

const sets = [
  replicaSet('web-aaa', '1', 'app:1.0', { ageMinutes: 90 }),
  replicaSet('web-ccc', '3', 'app:3.0', { ageMinutes: 5, replicas: 2 }),
  replicaSet('web-bbb', '2', 'app:2.0', { ageMinutes: 30 }),
  replicaSet('web-ddd', '9', 'app:9.0', { owner: 'someone-else' }),
  replicaSet('web-eee', undefined, 'app:x'),
  replicaSet('web-fff', 'abc', 'app:y'),
];

describe('parseRevision', () => {
  test('accepts positive integers only', () => {
    assert.equal(parseRevision('12'), 12);
    assert.equal(parseRevision(undefined), undefined);
    assert.equal(parseRevision('0'), undefined);
    assert.equal(parseRevision('-1'), undefined);
    assert.equal(parseRevision('1.5'), undefined);
    assert.equal(parseRevision('99999999999999999999'), undefined);
  });
});

describe('revisionsOf', () => {
  test("keeps the Deployment's own ReplicaSets with a readable revision, newest first", () => {
    const revisions = revisionsOf(deployment('app:3.0'), sets);
    assert.deepEqual(
      revisions.map((entry) => [entry.revision, entry.replicaSet, entry.images]),
      [
        [3, 'web-ccc', ['app=app:3.0']],
        [2, 'web-bbb', ['app=app:2.0']],
        [1, 'web-aaa', ['app=app:1.0']],
      ],
    );
  });
});

describe('currentRevision', () => {
  test('is the revision whose template the Deployment has, even when its annotation lags', () => {
    const revisions = revisionsOf(deployment('app:2.0', '3'), sets);
    assert.equal(currentRevision(deployment('app:2.0', '3'), revisions), 2);
  });

  test("falls back to the Deployment's annotation when no ReplicaSet matches yet", () => {
    const revisions = revisionsOf(deployment('app:4.0', '3'), sets);
    assert.equal(currentRevision(deployment('app:4.0', '3'), revisions), 3);
    assert.equal(currentRevision(deployment('app:4.0'), revisions), undefined);
  });
});

describe('chooseTarget', () => {
  const revisions = revisionsOf(deployment('app:3.0'), sets);

  test('the previous revision by default', () => {
    const choice = chooseTarget(revisions, 3, undefined);
    assert.ok(choice.ok);
    assert.equal(choice.target.revision, 2);
  });

  test('the previous one below the current, also after an earlier rollback', () => {
    const choice = chooseTarget(revisions, 2, undefined);
    assert.ok(choice.ok);
    assert.equal(choice.target.revision, 1);
  });

  test('an explicit revision', () => {
    const choice = chooseTarget(revisions, 3, 1);
    assert.ok(choice.ok);
    assert.equal(choice.target.replicaSet, 'web-aaa');
  });

  test('an unknown revision, the current one, and no earlier one are refused with a reason', () => {
    assert.deepEqual(chooseTarget(revisions, 3, 7), {
      ok: false,
      problem: 'unknown',
      message: 'revision 7 does not exist',
    });
    const current = chooseTarget(revisions, 3, 3);
    assert.ok(!current.ok && current.problem === 'current');
    const oldest = chooseTarget(revisions, 1, undefined);
    assert.ok(!oldest.ok && oldest.problem === 'no-previous');
    assert.match(oldest.ok ? '' : oldest.message, /revisionHistoryLimit/);
    const none = chooseTarget([], undefined, undefined);
    assert.ok(!none.ok && none.problem === 'no-previous');
  });

  test('without a known current revision the newest counts as current', () => {
    const choice = chooseTarget(revisions, undefined, undefined);
    assert.ok(choice.ok);
    assert.equal(choice.target.revision, 2);
  });
});

describe('describeRevisions', () => {
  test('one line per revision with ReplicaSet, images, age and pods; the current one marked', () => {
    const lines = describeRevisions(revisionsOf(deployment('app:3.0'), sets), 3, now);
    assert.deepEqual(lines, [
      'revision 3 (current): ReplicaSet web-ccc, app=app:3.0, created 5m ago, 2 pod(s)',
      'revision 2: ReplicaSet web-bbb, app=app:2.0, created 30m ago, 0 pod(s)',
      'revision 1: ReplicaSet web-aaa, app=app:1.0, created 1h30m ago, 0 pod(s)',
    ]);
  });
});
