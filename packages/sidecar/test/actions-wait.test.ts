import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Verification } from '../src/actions/contract.ts';
import { finalVerdict } from '../src/actions/verify.ts';
import { observe, pollInterval, VERIFY_BUDGET_MS } from '../src/actions/wait.ts';
import { CALL_DEADLINE_MS } from '../src/mcp/server.ts';

/** A clock that only moves when the waiter sleeps, so the tests do not depend on real time. */
function virtualTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('pollInterval', () => {
  test('starts quick and levels off at one second', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 10].map(pollInterval), [250, 500, 1000, 1000, 1000, 1000]);
  });
  test('the budget leaves room under the call deadline', () => {
    assert.ok(VERIFY_BUDGET_MS < CALL_DEADLINE_MS, `${VERIFY_BUDGET_MS} ms is not under ${CALL_DEADLINE_MS} ms`);
  });
});

describe('observe', () => {
  test('stops as soon as the value settles', async () => {
    const time = virtualTime();
    const values = [1, 2, 3, 4];
    const result = await observe(
      async () => values.shift() ?? 0,
      (value) => value === 3,
      {
        signal: new AbortController().signal,
        ...time,
      },
    );
    assert.deepEqual(result, { value: 3, settled: true, error: undefined, polls: 3, cancelled: false });
    assert.deepEqual(time.sleeps, [250, 500]);
  });

  test('ends with the last value when the budget runs out, never sleeping past it', async () => {
    const time = virtualTime();
    let calls = 0;
    const result = await observe(
      async () => {
        calls += 1;
        return calls;
      },
      () => false,
      { signal: new AbortController().signal, budgetMs: 3_000, ...time },
    );
    assert.equal(result.settled, false);
    assert.equal(result.value, calls);
    assert.equal(
      time.sleeps.reduce((sum, ms) => sum + ms, 0),
      3_000,
    );
    assert.deepEqual(time.sleeps, [250, 500, 1000, 1000, 250]);
  });

  test('retries a failing probe and reports the last error when nothing was read', async () => {
    const time = virtualTime();
    const failure = new Error('connection refused');
    const result = await observe(
      async () => {
        throw failure;
      },
      () => true,
      { signal: new AbortController().signal, budgetMs: 1_000, ...time },
    );
    assert.equal(result.value, undefined);
    assert.equal(result.error, failure);
    // At 0, 250 and 750 ms, and a last look when the budget ends.
    assert.equal(result.polls, 4);
  });

  test('a probe that recovers clears the error', async () => {
    const time = virtualTime();
    let calls = 0;
    const result = await observe(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('blip');
        return 'ok';
      },
      (value) => value === 'ok',
      { signal: new AbortController().signal, ...time },
    );
    assert.equal(result.settled, true);
    assert.equal(result.error, undefined);
  });

  test('stops when the caller cancels, keeping what was seen', async () => {
    const controller = new AbortController();
    const result = await observe(
      async () => 'seen',
      () => false,
      {
        signal: controller.signal,
        clock: () => 0,
        sleep: async () => {
          controller.abort();
          throw new Error('aborted');
        },
      },
    );
    assert.equal(result.cancelled, true);
    assert.equal(result.value, 'seen');
  });
});

describe('finalVerdict', () => {
  const progress: Verification = { state: 'in-progress', detail: '1 of 2 pods updated' };

  test('a settled value is reported as is', () => {
    const verdict = finalVerdict({
      value: { state: 'complete', detail: 'rolled out' },
      settled: true,
      error: undefined,
      polls: 2,
      cancelled: false,
    });
    assert.deepEqual(verdict, { state: 'complete', detail: 'rolled out' });
  });
  test('an unsettled value says the wait ended, or that the caller cancelled it', () => {
    const base = { value: progress, settled: false, error: undefined, polls: 9 };
    assert.equal(finalVerdict({ ...base, cancelled: false }).detail, '1 of 2 pods updated when the wait ended');
    assert.match(finalVerdict({ ...base, cancelled: true }).detail, /caller cancelled the wait/);
  });
  test('no reading at all: not observed, with the read error made actionable', () => {
    const verdict = finalVerdict({
      value: undefined,
      settled: false,
      error: Object.assign(new Error('fetch failed'), { code: 'ECONNREFUSED' }),
      polls: 5,
      cancelled: false,
    });
    assert.equal(verdict.state, 'not-observed');
    assert.match(verdict.detail, /the change was made but its outcome could not be read: .*unreachable/);
  });
});
