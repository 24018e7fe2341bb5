/**
 * Parts gathered at once under deadlines of their own, on plain promises: the clock is node:test's mock, so a
 * deadline passes when the test says so and no test waits on real time.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { allWithin, type PartOutcome, withinDeadline } from '../src/diagnosis/index.ts';

const never = () => new Promise<never>(() => {});

/** Lets promise callbacks run after the mock clock moved. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('withinDeadline', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('a part that answers gives its value', async () => {
    assert.deepEqual(await withinDeadline(async () => 42, 3_000), { status: 'fulfilled', value: 42 });
  });

  test('a part that fails gives its reason and never rejects', async () => {
    const reason = new Error('dial tcp: connection refused');
    assert.deepEqual(await withinDeadline(() => Promise.reject(reason), 3_000), { status: 'rejected', reason });
  });

  test('a part that throws before returning a promise fails the same way', async () => {
    const reason = new Error('bad target');
    const outcome = await withinDeadline(() => {
      throw reason;
    }, 3_000);
    assert.deepEqual(outcome, { status: 'rejected', reason });
  });

  test('a part that never answers is timed out at its deadline, and its signal is aborted', async () => {
    let seen: AbortSignal | undefined;
    const outcome = withinDeadline((signal) => {
      seen = signal;
      return never();
    }, 3_000);
    mock.timers.tick(2_999);
    await settled();
    assert.equal(seen?.aborted, false, 'not before the deadline');
    mock.timers.tick(1);
    assert.deepEqual(await outcome, { status: 'timed-out', afterMs: 3_000 });
    assert.equal(seen?.aborted, true);
  });

  test('what a part does after its deadline is ignored (a late failure is not an unhandled rejection)', async () => {
    let fail: (reason: Error) => void = () => {};
    const outcome = withinDeadline(() => new Promise<never>((_resolve, reject) => (fail = reject)), 100);
    mock.timers.tick(100);
    assert.deepEqual(await outcome, { status: 'timed-out', afterMs: 100 });
    fail(new Error('too late'));
    await settled();
  });

  test('the caller’s signal reaches the part', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const outcome = withinDeadline(
      (signal) => {
        seen = signal;
        return new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
      3_000,
      caller.signal,
    );
    caller.abort(new Error('client went away'));
    const result = await outcome;
    assert.equal(seen?.aborted, true);
    assert.equal(result.status, 'rejected');
  });
});

describe('allWithin', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('every part starts before any settles, and one that hangs does not hold up the others', async () => {
    const started: string[] = [];
    const part = (name: string, work: () => Promise<string>) => () => {
      started.push(name);
      return work();
    };
    const gathered = allWithin(
      [
        part('events', async () => 'events'),
        part('hung log', never),
        part('refused log', () => Promise.reject(new Error('connection refused'))),
      ],
      3_000,
    );
    assert.deepEqual(started, ['events', 'hung log', 'refused log'], 'all started at once');
    await settled();
    mock.timers.tick(3_000);
    const outcomes: PartOutcome<string>[] = await gathered;
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'timed-out', 'rejected'],
    );
    assert.deepEqual(outcomes[0], { status: 'fulfilled', value: 'events' });
  });

  test('no parts, no outcomes', async () => {
    assert.deepEqual(await allWithin([], 3_000), []);
  });
});
