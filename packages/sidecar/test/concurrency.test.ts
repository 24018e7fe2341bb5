import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { type Admission, busyMessage, createCallGate } from '../src/governance/concurrency.ts';

function release(admission: Admission): void {
  assert.ok(admission.admitted, 'expected to be admitted');
  admission.release();
}

test('runs up to the bound at once; the next waits and runs, in arrival order, as places free up', async () => {
  const gate = createCallGate({ running: 2, waiting: 4, perCaller: 4 });
  const first = await gate.enter('a');
  const second = await gate.enter('b');
  const order: string[] = [];
  const third = gate.enter('c').then((admission) => {
    order.push('c');
    return admission;
  });
  const fourth = gate.enter('d').then((admission) => {
    order.push('d');
    return admission;
  });
  assert.equal(gate.running(), 2);
  assert.equal(gate.waiting(), 2);
  release(second);
  release(await third);
  release(first);
  release(await fourth);
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(gate.running(), 0);
  assert.equal(gate.waiting(), 0);
});

test('one caller holds at most its share; another caller is still admitted', async () => {
  const gate = createCallGate({ running: 8, waiting: 8, perCaller: 2 });
  const held = [await gate.enter('loop'), await gate.enter('loop')];
  const refused = await gate.enter('loop');
  assert.equal(refused.admitted, false);
  assert.equal(refused.admitted === false && refused.reason, 'caller');
  assert.match(busyMessage(refused as Extract<Admission, { admitted: false }>), /this caller already has 2 calls/);
  const other = await gate.enter('other');
  assert.equal(other.admitted, true);
  for (const admission of [...held, other]) release(admission);
  assert.equal((await gate.enter('loop')).admitted, true, 'the share frees up with its calls');
});

test('a full queue answers busy at once instead of growing', async () => {
  const gate = createCallGate({ running: 1, waiting: 1, perCaller: 10 });
  const first = await gate.enter('a');
  const queued = gate.enter('b');
  const refused = await gate.enter('c');
  assert.equal(refused.admitted, false);
  assert.equal(refused.admitted === false && refused.reason, 'sidecar');
  assert.ok(refused.admitted === false && refused.retryAfterSeconds >= 1);
  assert.match(busyMessage(refused as Extract<Admission, { admitted: false }>), /Retry in \d+ s/);
  release(first);
  release(await queued);
});

test('a waiting call whose request is cancelled leaves the queue and frees its place', async () => {
  const gate = createCallGate({ running: 1, waiting: 2, perCaller: 1 });
  const first = await gate.enter('a');
  const controller = new AbortController();
  const waiting = gate.enter('b', controller.signal);
  controller.abort(new Error('cancelled'));
  await assert.rejects(waiting, /cancelled/);
  assert.equal(gate.waiting(), 0);
  release(first);
  release(await gate.enter('b'));
  assert.equal(gate.running(), 0);
});

test('a call that waits too long is answered busy', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const gate = createCallGate({ running: 1, waiting: 2, perCaller: 2, maxWaitMs: 5_000 });
    const first = await gate.enter('a');
    const waiting = gate.enter('b');
    mock.timers.tick(5_000);
    const answer = await waiting;
    assert.equal(answer.admitted, false);
    assert.equal(gate.waiting(), 0);
    release(first);
    assert.equal(gate.running(), 0);
  } finally {
    mock.timers.reset();
  }
});

test('releasing twice frees one place only', async () => {
  const gate = createCallGate({ running: 1, waiting: 0, perCaller: 2 });
  const first = await gate.enter('a');
  assert.ok(first.admitted);
  first.release();
  first.release();
  const second = await gate.enter('a');
  assert.equal(second.admitted, true);
  assert.equal((await gate.enter('b')).admitted, false);
});
