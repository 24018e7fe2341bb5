import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdmissionOutcome } from '../src/admission.ts';
import { parseServerVersion, supportsNativeSidecars } from '../src/cluster-facts.ts';
import { eventFor, eventKey } from '../src/events.ts';

function outcome(overrides: Partial<AdmissionOutcome>): AdmissionOutcome {
  return {
    result: 'injected',
    reason: 'injected',
    messages: [],
    warnings: [],
    uid: 'u-1',
    namespace: 'shop',
    dryRun: false,
    pod: {
      metadata: {
        generateName: 'web-7d9f-',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-1', controller: true },
        ],
      },
    },
    ...overrides,
  };
}

describe('eventFor', () => {
  test('an injection is a Normal Injected event on the controlling owner', () => {
    const intent = eventFor(outcome({}));
    assert.deepEqual(intent?.involvedObject, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web-7d9f',
      uid: 'rs-1',
    });
    assert.equal(intent?.reason, 'Injected');
    assert.equal(intent?.type, 'Normal');
    assert.equal(intent?.namespace, 'shop');
  });

  test('a denial is a Warning carrying the messages', () => {
    const intent = eventFor(
      outcome({ result: 'denied', reason: 'invalid-annotation', messages: ['podmcp.dev/mode: "x" is not one of …'] }),
    );
    assert.equal(intent?.reason, 'InjectionDenied');
    assert.equal(intent?.type, 'Warning');
    assert.match(intent?.message ?? '', /podmcp\.dev\/mode/);
  });

  test('a meaningful skip is InjectionSkipped with its reason; noisy skips record nothing', () => {
    assert.equal(eventFor(outcome({ result: 'skipped', reason: 'host-network' }))?.reason, 'InjectionSkipped');
    for (const reason of ['not-opted-in', 'already-injected', 'not-a-pod-create'] as const) {
      assert.equal(eventFor(outcome({ result: 'skipped', reason })), undefined, reason);
    }
  });

  test('dry runs and errors record nothing', () => {
    assert.equal(eventFor(outcome({ dryRun: true })), undefined);
    assert.equal(eventFor(outcome({ result: 'error', reason: 'internal-error' })), undefined);
  });

  test('a bare pod is its own subject when it has a name, and nothing when it has none', () => {
    assert.equal(eventFor(outcome({ pod: { metadata: { name: 'solo' } } }))?.involvedObject.kind, 'Pod');
    assert.equal(eventFor(outcome({ pod: { metadata: { generateName: 'solo-' } } })), undefined);
  });

  test('warnings are appended and the message is bounded', () => {
    const intent = eventFor(outcome({ warnings: ['podmcp.dev/tool: unknown key; did you mean podmcp.dev/tools?'] }));
    assert.match(intent?.message ?? '', /did you mean/);
    const long = eventFor(outcome({ result: 'denied', reason: 'invalid-annotation', messages: ['x'.repeat(5000)] }));
    assert.ok((long?.message.length ?? 0) <= 1024);
  });

  test('the same decision on the same owner has the same key; another owner does not', () => {
    const a = eventFor(outcome({}));
    const b = eventFor(outcome({ uid: 'u-2' }));
    assert.ok(a && b);
    assert.equal(eventKey(a), eventKey(b));
    const other = eventFor(
      outcome({
        pod: { metadata: { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'j-1' }] } },
      }),
    );
    assert.ok(other);
    assert.notEqual(eventKey(a), eventKey(other));
  });
});

describe('cluster facts', () => {
  test('reads decorated versions and knows when native sidecars arrived', () => {
    assert.deepEqual(parseServerVersion('1', '29+'), { major: 1, minor: 29 });
    assert.equal(parseServerVersion('', 'x'), undefined);
    assert.equal(supportsNativeSidecars({ major: 1, minor: 28 }), false);
    assert.equal(supportsNativeSidecars({ major: 1, minor: 29 }), true);
    assert.equal(supportsNativeSidecars({ major: 2, minor: 0 }), true);
  });
});
