/**
 * The gate's entry steps one at a time, on plain calls: known, admit (the rate limit), validate, cooldown,
 * approve, claim, deadline and run. Each is called with a `next` that records whether the rest would run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolFailure } from '../src/failure.ts';
import { admit, rateLimitMessage } from '../src/gate/admit.ts';
import { approve, PREVIEW_BYTES } from '../src/gate/approve.ts';
import type { ApprovalQuestion, Call } from '../src/gate/call.ts';
import { claim } from '../src/gate/claim.ts';
import { cooldown } from '../src/gate/cooldown.ts';
import { deadline, withDeadline } from '../src/gate/deadline.ts';
import { run } from '../src/gate/run.ts';
import { known, validate } from '../src/gate/validate.ts';
import { createCallGate } from '../src/governance/concurrency.ts';
import { createLimits } from '../src/governance/limits.ts';
import { createRedactor, REDACTED } from '../src/safety/redact.ts';
import { type PlainCallFields, plainCall } from './gate-services.ts';

/** A `next` that counts its calls. */
function counting() {
  const state = { calls: 0 };
  const next = async () => {
    state.calls += 1;
  };
  return { state, next };
}

async function failureOf(work: Promise<unknown>): Promise<ToolFailure> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ToolFailure, `a ToolFailure, not ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

const acting = (fields: PlainCallFields = {}) =>
  plainCall({ target: 'Deployment/web', input: { dry_run: false }, subjectFields: { acts: true }, ...fields });

describe('known', () => {
  test('a call of nothing fails with the refusal that lists what exists, and goes no further', async () => {
    const { state, next } = counting();
    const failure = await failureOf(
      known(plainCall({ subject: undefined, unknown: 'Unknown tool x. Available: a' }), next),
    );
    assert.deepEqual([failure.message, failure.kind, state.calls], ['Unknown tool x. Available: a', 'not-found', 0]);
  });

  test('a call of something goes on', async () => {
    const { state, next } = counting();
    await known(plainCall(), next);
    assert.equal(state.calls, 1);
  });
});

describe('admit: the rate limit', () => {
  test('a burst, then one message with the seconds to wait; per caller', async () => {
    let now = 0;
    const limits = createLimits({ perMinute: 6, cooldownSeconds: 0 }, () => now);
    const step = admit(limits, 6);
    const { state, next } = counting();
    for (let i = 0; i < 5; i += 1) await step(plainCall(), next);
    const failure = await failureOf(step(plainCall(), next));
    assert.equal(failure.message, 'Rate limit reached (6 calls per minute per caller). Retry after 10 s.');
    assert.deepEqual([failure.kind, failure.retryAfterSeconds, state.calls], ['rate-limited', 10, 5]);
    await step(plainCall({ callerId: 'agent-b' }), next);
    now += 10_000;
    await step(plainCall(), next);
    assert.equal(state.calls, 7);
  });

  test('the message is the same for every kind of call', () => {
    assert.equal(rateLimitMessage(60, 2), 'Rate limit reached (60 calls per minute per caller). Retry after 2 s.');
  });
});

describe('validate', () => {
  test('arguments that do not parse: invalid with the subject’s message, and no further', async () => {
    const { state, next } = counting();
    const call = plainCall({ subjectFields: { parse: () => ({ ok: false, message: 'name: required' }) } });
    const failure = await failureOf(validate(call, next));
    assert.deepEqual([failure.message, failure.kind, state.calls], ['name: required', 'invalid', 0]);
  });

  test('parsed input and the target it names are kept for the steps after', async () => {
    const { state, next } = counting();
    const call = plainCall({
      arguments: { workload: 'web' },
      subjectFields: {
        parse: (raw) => ({ ok: true, input: { ...raw, dry_run: false } }),
        target: async (input) => `Deployment/${(input as { workload: string }).workload}`,
      },
    });
    await validate(call, next);
    assert.deepEqual(call.input, { workload: 'web', dry_run: false });
    assert.equal(call.target, 'Deployment/web');
    assert.equal(state.calls, 1);
  });
});

describe('cooldown', () => {
  test('an action on a target changed moments ago waits; another target, or a read, does not', async () => {
    let now = 0;
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 300 }, () => now);
    limits.startCooldown('Deployment/web');
    const step = cooldown(limits, 300);
    const { state, next } = counting();
    const failure = await failureOf(step(acting(), next));
    assert.match(failure.message, /^Deployment\/web was changed by podmcp less than 300 s ago \(cooldown\)\./);
    assert.match(failure.message, /retry after 300 s\.$/);
    assert.deepEqual([failure.kind, failure.retryAfterSeconds], ['rate-limited', 300]);
    await step(acting({ target: 'Deployment/api' }), next);
    await step(plainCall({ target: 'Deployment/web' }), next);
    now += 300_000;
    await step(acting(), next);
    assert.equal(state.calls, 3);
  });
});

describe('approve', () => {
  const redactor = createRedactor(() => []);

  function asking(verdict: Awaited<ReturnType<NonNullable<Call['ask']>>>) {
    const asked: ApprovalQuestion[] = [];
    const ask = async (question: ApprovalQuestion) => {
      asked.push(question);
      return verdict;
    };
    return { asked, ask };
  }

  test('an action is asked about with its target and its reason (redacted); a yes goes on and is recorded', async () => {
    const { asked, ask } = asking({ approved: true, by: 'human' });
    const { state, next } = counting();
    const call = acting({ ask, arguments: { reason: 'rotate password=hunter2 now' } });
    await approve(redactor, 1000)(call, next);
    assert.equal(asked.length, 1);
    assert.deepEqual([asked[0]?.what, asked[0]?.target], ['Thing', 'Deployment/web']);
    assert.equal(asked[0]?.reason, `rotate password=${REDACTED} now`);
    assert.deepEqual([call.approval, state.calls], ['human', 1]);
  });

  test('a no is a refusal with the verdict’s words, and nothing runs', async () => {
    const { ask } = asking({ approved: false, message: 'Nothing was changed: the user declined the action.' });
    const { state, next } = counting();
    const failure = await failureOf(approve(redactor, 1000)(acting({ ask }), next));
    assert.deepEqual(
      [failure.message, failure.kind, state.calls],
      ['Nothing was changed: the user declined the action.', 'refused', 0],
    );
  });

  test('nobody to ask: refused', async () => {
    const { next } = counting();
    const failure = await failureOf(approve(redactor, 1000)(acting(), next));
    assert.equal(failure.kind, 'refused');
  });

  test('a dry run, a read, or an action with no target is not asked about', async () => {
    const { asked, ask } = asking({ approved: false, message: 'no' });
    const { state, next } = counting();
    await approve(redactor, 1000)(acting({ ask, input: { dry_run: true } }), next);
    await approve(redactor, 1000)(plainCall({ ask, target: 'Deployment/web' }), next);
    await approve(redactor, 1000)(acting({ ask, target: undefined }), next);
    assert.deepEqual([asked.length, state.calls], [0, 3]);
  });

  test('the preview is the dry run’s answer, stripped, redacted and cut to the preview size', async () => {
    const runs: unknown[] = [];
    const { asked, ask } = asking({ approved: true, by: 'human' });
    const call = acting({
      ask,
      subjectFields: {
        acts: true,
        run: async (input) => {
          runs.push(input);
          return { note: `\x1b[31mtoken=abc123\x1b[0m ${'z'.repeat(9000)}` };
        },
        answer: (result) => ({
          structured: result,
          render: (value) => (value as { note: string }).note,
          clean: (text) => text,
        }),
      },
    });
    call.context = { ...call.context, now: () => new Date(0) };
    await approve(redactor, 1000)(call, counting().next);
    const preview = (await asked[0]?.preview())?.text;
    assert.deepEqual(runs, [{ dry_run: true }], 'the preview ran the action as a dry run');
    assert.ok(preview?.startsWith(`token=${REDACTED} zzz`), preview?.slice(0, 40));
    assert.equal(Buffer.byteLength(preview ?? ''), PREVIEW_BYTES);
  });

  test('the question names the call: its name and its arguments as sent', async () => {
    const { asked, ask } = asking({ approved: true, by: 'human' });
    await approve(redactor, 1000)(acting({ ask, name: 'thing', arguments: { reason: 'r', n: 1 } }), counting().next);
    assert.deepEqual([asked[0]?.name, asked[0]?.arguments], ['thing', { reason: 'r', n: 1 }]);
  });

  test('a pending verdict ends the call: nothing runs, nothing fails, the answer to send is kept', async () => {
    const pending = { resultType: 'input_required' };
    const { ask } = asking({ approved: false, pending, correlation: 'c-1', status: 'asked' });
    const { state, next } = counting();
    const call = acting({ ask });
    await approve(redactor, 1000)(call, next);
    assert.deepEqual(
      [call.pending, call.failure, call.approval, call.approvalId, call.approvalStatus, state.calls],
      [pending, undefined, undefined, 'c-1', 'asked', 0],
    );
  });

  test('a verdict’s correlation and status are kept on a refusal too', async () => {
    const { ask } = asking({ approved: false, message: 'no', correlation: 'c-2', status: 'declined' });
    const call = acting({ ask });
    await failureOf(approve(redactor, 1000)(call, counting().next));
    assert.deepEqual([call.approvalId, call.approvalStatus, call.pending], ['c-2', 'declined', undefined]);
  });

  describe('the preview’s digest', () => {
    /** An action whose dry run shows the clock and a value that can change underneath. */
    function clocked(state: { value: string }) {
      const { asked, ask } = asking({ approved: true, by: 'human' });
      const call = acting({
        ask,
        subjectFields: {
          acts: true,
          run: async (_input, context) => ({ at: context.now().toISOString(), value: state.value }),
          answer: (result) => ({
            structured: result,
            render: (value) => JSON.stringify(value),
            clean: (text) => text,
          }),
        },
      });
      call.context = { ...call.context, now: () => new Date(1_000) };
      return { asked, call };
    }

    test('the same change on the same clock has the same digest; the frames’ nonce does not count', async () => {
      const state = { value: 'a' };
      const { asked, call } = clocked(state);
      await approve(redactor, 1000)(call, counting().next);
      const first = await asked[0]?.preview();
      assert.equal(first?.at, 1_000, 'the dry run ran on the call’s clock');
      const again = await asked[0]?.preview(first?.at);
      assert.equal(again?.digest, first?.digest);
      const later = await asked[0]?.preview(5_000);
      assert.notEqual(later?.digest, first?.digest, 'the clock shows in this preview');
      assert.match(later?.text ?? '', /1970-01-01T00:00:05\.000Z/);
    });

    test('a different change on the same clock has another digest', async () => {
      const state = { value: 'a' };
      const { asked, call } = clocked(state);
      await approve(redactor, 1000)(call, counting().next);
      const first = await asked[0]?.preview();
      state.value = 'b';
      assert.notEqual((await asked[0]?.preview(first?.at))?.digest, first?.digest);
    });
  });
});

describe('claim', () => {
  function deferred<T>() {
    let resolve: (value: T) => void = () => undefined;
    const promise = new Promise<T>((done) => {
      resolve = done;
    });
    return { promise, resolve };
  }

  test('one action per target: a second claim while the first runs is refused, and freed when the work settles', async () => {
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 300 }, () => 0);
    const step = claim(limits);
    const work = deferred<unknown>();
    const first = acting();
    await step(first, async () => {
      first.work = work.promise;
    });
    const failure = await failureOf(step(acting(), counting().next));
    assert.match(failure.message, /^Deployment\/web is being acted on by another call right now\./);
    assert.deepEqual([failure.kind, failure.retryAfterSeconds], ['rate-limited', 1]);
    work.resolve({ applied: true });
    await work.promise;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limits.claimTarget('Deployment/web'), true, 'freed once the work settled');
    assert.equal(limits.checkCooldown('Deployment/web').allowed, false, 'an applied action started the cooldown');
  });

  test('work that did not apply, or failed, frees the target without a cooldown', async () => {
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 300 }, () => 0);
    const step = claim(limits);
    for (const [target, settle] of [
      ['Pod/a', () => Promise.resolve({ applied: false })],
      ['Pod/b', () => Promise.reject(new Error('failed'))],
    ] as const) {
      const call = acting({ target });
      const work: Promise<unknown> = settle();
      await step(call, async () => {
        call.work = work;
      });
      await work.catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(limits.claimTarget(target), true, target);
      assert.equal(limits.checkCooldown(target).allowed, true, target);
    }
  });

  test('a step after it that fails before any work started frees the target at once', async () => {
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 300 }, () => 0);
    await assert.rejects(
      claim(limits)(acting(), async () => {
        throw new ToolFailure('busy', 'busy');
      }),
    );
    assert.equal(limits.claimTarget('Deployment/web'), true);
  });

  test('reads claim nothing', async () => {
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 300 }, () => 0);
    await claim(limits)(plainCall({ target: 'Deployment/web', work: new Promise(() => undefined) }), counting().next);
    assert.equal(limits.claimTarget('Deployment/web'), true);
  });
});

describe('deadline', () => {
  test('slower than the deadline: a timeout the agent can act on, and the run’s signal aborts', async () => {
    const call = plainCall();
    let runSignal: AbortSignal | undefined;
    const failure = await failureOf(
      deadline(20)(call, () => {
        runSignal = call.context.signal;
        return new Promise(() => undefined);
      }),
    );
    assert.equal(
      failure.message,
      'No answer within 0.02 s (the API server or the app may be overloaded). Retry with a narrower request.',
    );
    assert.equal(failure.kind, 'timeout');
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(runSignal?.aborted, true);
  });

  test('a cancelled request ends the wait as a refusal', async () => {
    const controller = new AbortController();
    const waiting = withDeadline(new Promise(() => undefined), controller.signal, 60_000);
    controller.abort();
    const failure = await failureOf(waiting);
    assert.deepEqual([failure.message, failure.kind], ['The request was cancelled.', 'refused']);
  });

  test('in time: the work’s own result', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), new AbortController().signal, 60_000), 7);
  });
});

describe('run', () => {
  test('runs the subject with the parsed input, keeps the work and its answer', async () => {
    const calls = createCallGate();
    const call = plainCall({
      input: { name: 'web' },
      subjectFields: { run: async (input) => ({ got: input }) },
    });
    const { state, next } = counting();
    await run(calls)(call, next);
    assert.deepEqual(await call.work, { got: { name: 'web' } });
    assert.deepEqual(call.answer?.structured, { got: { name: 'web' } });
    assert.equal(state.calls, 1);
    assert.equal(calls.running(), 0, 'the place is given back');
  });

  test('no place in the call gate: busy with the seconds to wait', async () => {
    const calls = createCallGate({ running: 1, waiting: 0, perCaller: 1 });
    const holding = await calls.enter('agent-a');
    const failure = await failureOf(run(calls)(plainCall(), counting().next));
    assert.match(failure.message, /^Busy: this caller already has 1 calls running or waiting/);
    assert.deepEqual([failure.kind, failure.retryAfterSeconds], ['busy', 2]);
    if (holding.admitted) holding.release();
  });

  test('a run that throws before returning a promise gives its place back', async () => {
    const calls = createCallGate({ running: 1, waiting: 0 });
    const call = plainCall({
      subjectFields: {
        run: () => {
          throw new Error('at once');
        },
      },
    });
    await assert.rejects(run(calls)(call, counting().next), /at once/);
    assert.equal(calls.running(), 0);
  });
});
