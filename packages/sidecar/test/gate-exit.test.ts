/**
 * The gate's exit steps one at a time, on plain calls: recover (what was thrown becomes a failure), sanitise,
 * redact, budget and audit. Each is called with a `next` that leaves an answer or a failure, as the run would.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolFailure } from '../src/failure.ts';
import { audit, auditArguments, auditRecord, outcomeOf } from '../src/gate/audit.ts';
import { boundMessage, budget, clip, fitAnswer } from '../src/gate/budget.ts';
import type { Answer, Call } from '../src/gate/call.ts';
import { recover } from '../src/gate/recover.ts';
import { redact, redactAnswer } from '../src/gate/redact.ts';
import { sanitise, sanitiseAnswer } from '../src/gate/sanitise.ts';
import type { AuditRecord } from '../src/governance/audit.ts';
import { RESULT_BUDGET_BYTES } from '../src/output/budget.ts';
import { createRedactor, REDACTED } from '../src/safety/redact.ts';
import { plainCall } from './gate-services.ts';

const redactor = createRedactor(() => ['the-sidecars-own-token-value']);

/** An answer with structured data and a rendering of it. */
function answerOf(structured: unknown, render: (value: unknown) => string = (value) => JSON.stringify(value)): Answer {
  return { structured, render, clean: (text) => text };
}

const leaving = (fields: Partial<Pick<Call, 'answer' | 'failure'>>) => (call: Call) => async () => {
  Object.assign(call, fields);
};

describe('recover', () => {
  test('a ToolFailure is kept as it is', async () => {
    const call = plainCall();
    const failure = new ToolFailure('Deployment "web" does not exist.', 'not-found');
    await recover(call, async () => {
      throw failure;
    });
    assert.equal(call.failure, failure);
  });

  test('anything else is described with what was asked, and any answer is dropped', async () => {
    const call = plainCall({ answer: answerOf({ half: true }) });
    await recover(call, async () => {
      throw new RangeError('boom');
    });
    assert.deepEqual([call.failure?.message, call.failure?.kind], ['Reading Thing failed: boom', 'invalid']);
    assert.equal(call.answer, undefined);
  });

  test('a bug is marked unexpected; a meant failure or an API server’s answer is not', async () => {
    const marks: Array<boolean | undefined> = [];
    for (const thrown of [
      new TypeError('x is undefined'),
      new ToolFailure('bad name', 'invalid'),
      Object.assign(new Error('rejected'), { code: 422 }),
    ]) {
      const call = plainCall();
      await recover(call, async () => {
        throw thrown;
      });
      assert.equal(call.failure?.kind, 'invalid');
      marks.push(call.unexpected);
    }
    assert.deepEqual(marks, [true, false, false]);
  });

  test('a Kubernetes status error is described as such', async () => {
    const call = plainCall();
    await recover(call, async () => {
      throw Object.assign(new Error('HTTP-Code: 404'), { code: 404 });
    });
    assert.deepEqual(
      [call.failure?.message, call.failure?.kind],
      ['Thing was not found in this namespace.', 'not-found'],
    );
  });
});

describe('sanitise', () => {
  test('escapes and invisible controls leave the structured data, the text rendered from it, and failures', async () => {
    const clean = sanitiseAnswer(
      answerOf({ log: '\x1b[31mred\x1b[0m\u202e' }, (value) => `${(value as { log: string }).log}\x07`),
    );
    assert.deepEqual(clean.structured, { log: 'red' });
    assert.equal(clean.render(clean.structured), 'red');
    const call = plainCall();
    await sanitise(call, leaving({ failure: new ToolFailure('bad \x1b[2Jname', 'invalid', 3) })(call));
    assert.deepEqual(
      [call.failure?.message, call.failure?.kind, call.failure?.retryAfterSeconds],
      ['bad name', 'invalid', 3],
    );
  });
});

describe('redact', () => {
  test('the structured data by field name and shape, the text rendered from it, and failures', async () => {
    const call = plainCall();
    const env = [
      { name: 'DB_PASSWORD', value: 'x' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ];
    // A table cell: no `name=value` for the text rules to see, so only the redacted field keeps it out.
    const table = (value: unknown) =>
      (value as { env: typeof env }).env.map((pair) => `${pair.name.padEnd(12)}${pair.value}`).join('\n');
    await redact(redactor)(call, leaving({ answer: answerOf({ env, note: 'token=abc123' }, table) })(call));
    const answer = call.answer as Answer;
    assert.deepEqual(answer.structured, {
      env: [
        { name: 'DB_PASSWORD', value: REDACTED },
        { name: 'LOG_LEVEL', value: 'debug' },
      ],
      note: `token=${REDACTED}`,
    });
    assert.equal(answer.render(answer.structured), `DB_PASSWORD ${REDACTED}\nLOG_LEVEL   debug`);
    const failing = plainCall();
    await redact(redactor)(
      failing,
      leaving({ failure: new ToolFailure('saw the-sidecars-own-token-value', 'invalid') })(failing),
    );
    assert.equal(failing.failure?.message, `saw ${REDACTED}`);
  });

  test('text alone (resources, prompts) is redacted once rendered', () => {
    const text: Answer = { structured: undefined, render: () => 'password=hunter2', clean: (message) => message };
    const clean = redactAnswer(text, redactor);
    assert.equal(clean.structured, undefined);
    assert.equal(clean.render(undefined), `password=${REDACTED}`);
  });
});

describe('budget', () => {
  test('within the budget: the text and the structured data, and the bytes of both', () => {
    const reply = fitAnswer(
      answerOf({ name: 'web' }, () => 'web'),
      100,
    );
    assert.ok(!(reply instanceof ToolFailure));
    assert.deepEqual(reply, { text: 'web', structured: { name: 'web' }, bytes: 3 + 14 });
  });

  test('structured data over the budget is refused with how to narrow (cutting it would break its schema)', () => {
    const failure = fitAnswer(answerOf({ items: 'x'.repeat(200) }), 100);
    assert.ok(failure instanceof ToolFailure);
    assert.equal(
      failure.message,
      'The answer would be 212 bytes, above the 100-byte budget. Narrow the request (a smaller limit, a filter, or a single name).',
    );
    assert.equal(failure.kind, 'invalid');
  });

  test('a long text is cut with a note; the note says the structured result is complete only when there is one', () => {
    const withStructured = fitAnswer(
      answerOf({ size: 1 }, () => 'y'.repeat(150)),
      100,
    );
    assert.ok(!(withStructured instanceof ToolFailure));
    assert.equal(
      withStructured.text,
      `${'y'.repeat(100)}\n[truncated: 50 more bytes; the structured result is complete]`,
    );
    const textAlone = fitAnswer({ structured: undefined, render: () => 'y'.repeat(150), clean: (t) => t }, 100);
    assert.ok(!(textAlone instanceof ToolFailure));
    assert.equal(textAlone.text, `${'y'.repeat(100)}\n[truncated: 50 more bytes]`);
    assert.equal(textAlone.structured, undefined);
  });

  test('the step leaves a reply, or a failure when the structured data does not fit; it leaves failures alone', async () => {
    const fits = plainCall();
    await budget(100)(fits, leaving({ answer: answerOf({ a: 1 }, () => 'a') })(fits));
    assert.equal(fits.reply?.text, 'a');
    const tooBig = plainCall();
    await budget(10)(tooBig, leaving({ answer: answerOf({ a: 'x'.repeat(20) }) })(tooBig));
    assert.equal(tooBig.reply, undefined);
    assert.equal(tooBig.failure?.kind, 'invalid');
    const failed = plainCall();
    const failure = new ToolFailure('no', 'not-found');
    await budget(10)(failed, leaving({ failure })(failed));
    assert.deepEqual([failed.failure, failed.reply], [failure, undefined]);
  });

  test('a rendering that throws becomes a failure, cleaned like the text it replaces', async () => {
    const call = plainCall();
    const throwing: Answer = {
      structured: { a: 1 },
      render: () => {
        throw new TypeError('cannot render password=hunter2');
      },
      clean: redactor.text,
    };
    await budget(100)(call, leaving({ answer: throwing })(call));
    assert.equal(call.failure?.message, `Reading Thing failed: cannot render password=${REDACTED}`);
  });

  test('a failure’s message is bounded by the budget, its note included', async () => {
    const call = plainCall();
    await budget(100)(
      call,
      leaving({ failure: new ToolFailure(`no such name ${'n'.repeat(1000)}`, 'invalid', 2) })(call),
    );
    const message = call.failure?.message ?? '';
    assert.ok(Buffer.byteLength(message) <= 100, message);
    assert.match(message, /^no such name n+\n\[truncated: \d+ more bytes\]$/);
    assert.deepEqual([call.failure?.kind, call.failure?.retryAfterSeconds], ['invalid', 2]);
    assert.equal(boundMessage('short', 100), 'short');
  });

  test('clip keeps the start of an echoed name, marked, never half a character', () => {
    assert.equal(clip('abcdef', 3), 'abc…');
    assert.equal(clip('abc', 3), 'abc');
    assert.equal(clip('ab😀cd', 3), 'ab…');
  });

  test('the default budget is the answer budget', async () => {
    const call = plainCall();
    await budget()(call, leaving({ answer: answerOf({ a: 1 }, () => 'z'.repeat(RESULT_BUDGET_BYTES + 1)) })(call));
    assert.match(call.reply?.text ?? '', /\[truncated: 1 more bytes; the structured result is complete\]$/);
  });
});

describe('audit', () => {
  test('one record per call: what, who, outcome, time and bytes, with arguments and reason redacted', async () => {
    const records: AuditRecord[] = [];
    let now = 0;
    const call = plainCall({
      arguments: { workload: 'web', reason: 'leaked password=hunter2', token: 'the-sidecars-own-token-value' },
      target: 'Deployment/web',
      approval: 'policy',
      started: 0,
    });
    await audit(
      { record: (entry) => records.push(entry) },
      redactor,
      () => now,
    )(call, async () => {
      now = 12.4;
      call.reply = { text: 'ok', structured: undefined, bytes: 2 };
    });
    assert.deepEqual(records, [
      {
        kind: 'tool',
        name: 'thing',
        caller: 'agent-a',
        transport: 'in-memory',
        claimed: undefined,
        arguments: { workload: 'web', reason: `leaked password=${REDACTED}`, token: REDACTED },
        reason: `leaked password=${REDACTED}`,
        target: 'Deployment/web',
        approval: 'policy',
        outcome: 'ok',
        error: undefined,
        durationMs: 12,
        bytes: 2,
      },
    ]);
  });

  test('recorded even when a step after it throws', async () => {
    const records: AuditRecord[] = [];
    await assert.rejects(
      audit({ record: (entry) => records.push(entry) }, redactor)(plainCall(), async () => {
        throw new Error('escaped');
      }),
    );
    assert.equal(records.length, 1);
  });

  test('outcomes: rate limits and busy alike, refusals, errors; a call of nothing is refused as unknown', () => {
    const outcome = (failure: ToolFailure | undefined, subject = true) =>
      outcomeOf(plainCall({ failure, ...(subject ? {} : { subject: undefined }) }));
    assert.equal(outcome(undefined), 'ok');
    assert.equal(outcome(new ToolFailure('', 'rate-limited')), 'rate-limited');
    assert.equal(outcome(new ToolFailure('', 'busy')), 'rate-limited');
    assert.equal(outcome(new ToolFailure('', 'refused')), 'refused');
    assert.equal(outcome(new ToolFailure('', 'timeout')), 'error');
    const unknown = plainCall({
      subject: undefined,
      name: 'x'.repeat(500),
      failure: new ToolFailure('no', 'not-found'),
    });
    const record = auditRecord(unknown, redactor, 0);
    assert.deepEqual([record.outcome, record.error], ['refused', 'unknown-tool']);
    assert.equal(record.name, `${'x'.repeat(128)}…`);
  });

  test('argument names are redacted and clipped; arguments beyond the budget keep the start of their JSON', () => {
    assert.deepEqual(auditArguments({ 'password=hunter2': 1, [`${'k'.repeat(300)}`]: 'v' }, redactor), {
      [`password=${REDACTED}`]: 1,
      [`${'k'.repeat(128)}…`]: 'v',
    });
    const huge = auditArguments({ query: 'q'.repeat(RESULT_BUDGET_BYTES * 2) }, redactor);
    assert.equal(typeof huge, 'string');
    assert.ok(Buffer.byteLength(huge as string) <= RESULT_BUDGET_BYTES);
    assert.match(huge as string, /^\{"query":"qqq/);
  });

  test('an approval asked for a later request: the round is recorded as approval-requested, with its id', () => {
    const asked = plainCall({ pending: { resultType: 'input_required' }, approvalId: 'a-1', approvalStatus: 'asked' });
    const record = auditRecord(asked, redactor, 0);
    assert.deepEqual(
      [record.outcome, record.approvalId, record.approvalStatus, record.error, record.bytes],
      ['approval-requested', 'a-1', 'asked', undefined, 0],
    );
    const refused = auditRecord(
      plainCall({ failure: new ToolFailure('no', 'refused'), approvalId: 'a-1', approvalStatus: 'declined' }),
      redactor,
      0,
    );
    assert.deepEqual([refused.outcome, refused.approvalId, refused.approvalStatus], ['refused', 'a-1', 'declined']);
  });

  test('a failure’s bytes are its message’s', () => {
    const record = auditRecord(plainCall({ failure: new ToolFailure('né', 'invalid') }), redactor, 0);
    assert.deepEqual([record.bytes, record.error], [3, 'invalid']);
  });
});
