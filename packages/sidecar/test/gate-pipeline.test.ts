/**
 * The one pipeline for tools, resources and prompts, on plain calls with real limits and a real redactor: the
 * named steps run in their order, and a call of each kind leaves the same way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPipeline } from '../src/gate/pipeline.ts';
import { createCallGate } from '../src/governance/concurrency.ts';
import { REDACTED } from '../src/safety/redact.ts';
import { gateServices, plainCall } from './gate-services.ts';

function pipeline(perMinute = 600) {
  const { services, audit } = gateServices({
    tools: [],
    perMinute,
    cooldownSeconds: 300,
    unattendedActions: false,
    now: () => 0,
    calls: createCallGate(),
  });
  return { gate: createPipeline(services, { deadlineMs: 1000 }), audit };
}

describe('the pipeline', () => {
  test('an answer is cleaned before it is measured, and audited once', async () => {
    const { gate, audit } = pipeline();
    const call = plainCall({
      subjectFields: { run: async () => ({ log: `\x1b[1mpassword=hunter2\x1b[0m` }) },
    });
    await gate(call);
    assert.deepEqual(call.reply?.structured, { log: `password=${REDACTED}` });
    assert.equal(call.reply?.text, JSON.stringify({ log: `password=${REDACTED}` }));
    assert.deepEqual(
      audit().map((record) => [record.kind, record.name, record.outcome]),
      [['tool', 'thing', 'ok']],
    );
  });

  test('the same rate limit, message and audit for every kind of call', async () => {
    const { gate, audit } = pipeline(6);
    const messages = new Set<string>();
    for (const kind of ['tool', 'resource', 'prompt'] as const) {
      for (let i = 0; i < 2; i += 1) {
        const call = plainCall({ kind, callerId: kind });
        await gate(call);
        if (call.failure) messages.add(call.failure.message);
      }
    }
    // A burst of five per caller: the sixth of each caller is refused.
    for (const kind of ['tool', 'resource', 'prompt'] as const) {
      for (let i = 0; i < 4; i += 1) {
        const call = plainCall({ kind, callerId: kind });
        await gate(call);
        if (call.failure) messages.add(call.failure.message);
      }
    }
    assert.deepEqual([...messages], ['Rate limit reached (6 calls per minute per caller). Retry after 10 s.']);
    const limited = audit().filter((record) => record.outcome === 'rate-limited');
    assert.deepEqual(
      limited.map((record) => record.kind),
      ['tool', 'resource', 'prompt'],
    );
  });

  test('a call of nothing costs no rate-limit token and is audited as refused', async () => {
    const { gate, audit } = pipeline(6);
    for (let i = 0; i < 10; i += 1) await gate(plainCall({ subject: undefined }));
    const call = plainCall();
    await gate(call);
    assert.equal(call.failure, undefined);
    assert.equal(audit().filter((record) => record.outcome === 'refused').length, 10);
  });

  test('an approval asked for a later request: nothing runs, is claimed or fails; the round is audited', async () => {
    const { gate, audit } = pipeline();
    let runs = 0;
    const subjectFields = {
      acts: true,
      target: () => 'Deployment/web',
      run: async () => {
        runs += 1;
        return { applied: false };
      },
    };
    const pending = { resultType: 'input_required' };
    const asking = plainCall({
      subjectFields,
      ask: async () => ({ approved: false, pending, correlation: 'a-1', status: 'asked' }),
    });
    await gate(asking);
    assert.deepEqual([asking.pending, asking.failure, asking.reply, runs], [pending, undefined, undefined, 0]);
    // The round that brings the yes: the target was not left claimed by the first.
    const answered = plainCall({
      subjectFields,
      ask: async () => ({ approved: true, by: 'human', correlation: 'a-1', status: 'approved' }),
    });
    await gate(answered);
    assert.deepEqual([answered.failure, answered.pending, runs], [undefined, undefined, 1]);
    assert.deepEqual(
      audit().map((record) => [record.outcome, record.approvalId, record.approvalStatus, record.approval]),
      [
        ['approval-requested', 'a-1', 'asked', undefined],
        ['ok', 'a-1', 'approved', 'human'],
      ],
    );
  });

  test('every round of an approval takes its own rate-limit token', async () => {
    const { gate } = pipeline(6);
    const ask = async () => ({ approved: false as const, pending: {}, status: 'asked' as const });
    const rounds = [];
    for (let i = 0; i < 6; i += 1) {
      const call = plainCall({ subjectFields: { acts: true, target: () => 'Deployment/web' }, ask });
      await gate(call);
      rounds.push(call.failure?.kind ?? 'pending');
    }
    // The burst of five: the sixth round is refused like any sixth call.
    assert.deepEqual(rounds, ['pending', 'pending', 'pending', 'pending', 'pending', 'rate-limited']);
  });

  test('an action without a way to ask is refused before it runs', async () => {
    const { gate } = pipeline();
    let runs = 0;
    const call = plainCall({
      subjectFields: {
        acts: true,
        target: () => 'Deployment/web',
        run: async () => {
          runs += 1;
          return { applied: true };
        },
      },
    });
    await gate(call);
    assert.equal(call.failure?.kind, 'refused');
    assert.equal(runs, 0);
  });
});
