import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { actionOutputFields, type Verification } from '../src/actions/contract.ts';
import { type ActionEffects, type ActionSteps, defineAction, NothingToChange } from '../src/actions/define-action.ts';
import type { ToolContext } from '../src/context.ts';
import { ToolFailure } from '../src/failure.ts';

// The skeleton only passes the context through to the steps and effects, which are all plain functions here.
const CONTEXT = { signal: new AbortController().signal } as unknown as ToolContext;
const REASON = 'unit test: checking the order of the action steps';

interface Args {
  readonly reason: string;
  readonly dry_run: boolean;
  readonly size: number;
}

interface Plan {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

interface Sent {
  readonly size: number;
  readonly dryRun: boolean;
}

type Steps = ActionSteps<Args, { label: string }, { size: number }, Plan, Sent, { size: number }, { ready: number }>;

/** A resize action over plain objects that logs each step it is asked to take. */
function resize(overrides: Partial<Steps> = {}, verify?: ActionEffects['verify']) {
  const log: string[] = [];
  const events: Array<{ reason: string; summary: string; callerReason: string }> = [];
  const steps: Steps = {
    resolve: (args) => {
      log.push('resolve');
      return { label: `Thing/box-${args.size}` };
    },
    read: async () => {
      log.push('read');
      return { size: 2 };
    },
    check: (found, args) => {
      log.push('check');
      if (found.size === args.size) {
        return new NothingToChange(`already ${found.size}`, { fields: { size: found.size }, warnings: ['same'] });
      }
      return { name: 'box', from: found.size, to: args.size };
    },
    send: async (plan, dryRun) => {
      log.push(dryRun === 'All' ? 'dry-run' : 'apply');
      return { size: plan.to, dryRun: dryRun === 'All' };
    },
    describe: (plan, preview) => {
      log.push(`describe(${preview.dryRun ? 'dry-run response' : 'applied response'})`);
      return {
        fields: { size: plan.to },
        warnings: ['careful'],
        changes: [{ field: 'size', before: String(plan.from), after: String(preview.size) }],
        summary: { dryRun: `would resize ${plan.name}`, applied: `resized ${plan.name}` },
      };
    },
    event: (plan, applied) => {
      log.push(`event(${applied.dryRun ? 'dry-run response' : 'applied response'})`);
      return {
        object: { apiVersion: 'v1', kind: 'Thing', name: plan.name },
        reason: 'PodmcpScale',
        action: 'Resize',
        summary: `Resized to ${applied.size}`,
      };
    },
    observe: async (plan) => {
      log.push('observe');
      return { verification: { state: 'complete', detail: `size ${plan.to}` }, fields: { ready: plan.to } };
    },
    ...overrides,
  };
  const effects: ActionEffects = {
    recordEvent: async (_context, event, callerReason) => {
      log.push('record event');
      events.push({ reason: event.reason, summary: event.summary, callerReason });
      return { recorded: true, reason: event.reason, name: 'box.1' };
    },
    verify: async (context, check) => {
      log.push('verify');
      return verify ? verify(context, check) : check();
    },
  };
  return { run: defineAction(steps, effects), log, events };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('the action was expected to fail'),
    (error: unknown) => error,
  );
}

describe('defineAction', () => {
  test('an applied action runs every step once, in order, the Event after the apply and before the verification', async () => {
    const action = resize();
    const answer = await action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT);
    assert.deepEqual(action.log, [
      'resolve',
      'read',
      'check',
      'dry-run',
      'apply',
      'describe(dry-run response)',
      'event(applied response)',
      'record event',
      'verify',
      'observe',
    ]);
    assert.deepEqual(action.events, [{ reason: 'PodmcpScale', summary: 'Resized to 5', callerReason: REASON }]);
    assert.deepEqual(answer, {
      dry_run: false,
      target: 'Thing/box-5',
      size: 5,
      warnings: ['careful'],
      changes: [{ field: 'size', before: '2', after: '5' }],
      applied: true,
      summary: 'resized box',
      verification: { state: 'complete', detail: 'size 5' },
      event: { recorded: true, reason: 'PodmcpScale', name: 'box.1' },
      ready: 5,
    });
  });

  test('the answer has the shape every action declares', async () => {
    const schema = z.object({ ...actionOutputFields, size: z.number(), ready: z.number().optional() }).strict();
    for (const dry_run of [false, true]) {
      const answer = await resize().run({ reason: REASON, dry_run, size: 5 }, CONTEXT);
      assert.equal(schema.safeParse(answer).success, true, JSON.stringify(answer));
    }
    const unchanged = await resize().run({ reason: REASON, dry_run: false, size: 2 }, CONTEXT);
    assert.equal(schema.safeParse(unchanged).success, true, JSON.stringify(unchanged));
  });

  test('a dry run sends only the dry run: no apply, no Event, no verification', async () => {
    const action = resize();
    const answer = await action.run({ reason: REASON, dry_run: true, size: 5 }, CONTEXT);
    assert.deepEqual(action.log, ['resolve', 'read', 'check', 'dry-run', 'describe(dry-run response)']);
    assert.deepEqual(answer, {
      dry_run: true,
      target: 'Thing/box-5',
      size: 5,
      warnings: ['careful'],
      changes: [{ field: 'size', before: '2', after: '5' }],
      applied: false,
      summary: 'would resize box',
    });
  });

  test('a failing precondition sends nothing and its refusal reaches the caller unchanged', async () => {
    const failure = new ToolFailure('box is locked', 'conflict');
    const action = resize({
      check: () => {
        action.log.push('check');
        throw failure;
      },
    });
    assert.equal(await refusal(action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT)), failure);
    assert.deepEqual(action.log, ['resolve', 'read', 'check']);
  });

  test('a refused target is not even read', async () => {
    const failure = new ToolFailure('not a Thing', 'invalid');
    const action = resize({
      resolve: () => {
        throw failure;
      },
    });
    assert.equal(await refusal(action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT)), failure);
    assert.deepEqual(action.log, []);
  });

  test('nothing to change: answered from the check, nothing sent', async () => {
    const action = resize();
    const answer = await action.run({ reason: REASON, dry_run: false, size: 2 }, CONTEXT);
    assert.deepEqual(action.log, ['resolve', 'read', 'check']);
    assert.deepEqual(answer, {
      dry_run: false,
      target: 'Thing/box-2',
      size: 2,
      warnings: ['same'],
      changes: [],
      applied: false,
      summary: 'already 2',
    });
  });

  test('a failed dry run never applies, writes no Event and verifies nothing', async () => {
    const rejected = new Error('admission webhook denied the request');
    const action = resize({
      send: async (_plan, dryRun) => {
        action.log.push(dryRun === 'All' ? 'dry-run' : 'apply');
        throw rejected;
      },
    });
    assert.equal(await refusal(action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT)), rejected);
    assert.deepEqual(action.log, ['resolve', 'read', 'check', 'dry-run']);
    assert.deepEqual(action.events, []);
  });

  test('a failed apply writes no Event and verifies nothing', async () => {
    const rejected = new Error('conflict');
    const action = resize({
      send: async (plan, dryRun) => {
        action.log.push(dryRun === 'All' ? 'dry-run' : 'apply');
        if (dryRun === undefined) throw rejected;
        return { size: plan.to, dryRun: true };
      },
    });
    assert.equal(await refusal(action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT)), rejected);
    assert.deepEqual(action.log, ['resolve', 'read', 'check', 'dry-run', 'apply']);
    assert.deepEqual(action.events, []);
  });

  test("a server's refusal is explained by the action's own words when it has them", async () => {
    const rejected = new Error('422');
    const explained = new ToolFailure('box changed meanwhile', 'conflict');
    const seen: Array<{ error: unknown; plan: Plan }> = [];
    const action = resize({
      send: async () => {
        throw rejected;
      },
      rejected: async (error, plan) => {
        seen.push({ error, plan });
        return explained;
      },
    });
    assert.equal(await refusal(action.run({ reason: REASON, dry_run: true, size: 5 }, CONTEXT)), explained);
    assert.deepEqual(seen, [{ error: rejected, plan: { name: 'box', from: 2, to: 5 } }]);
  });

  test("the answer's observed fields come from the last reading that succeeded", async () => {
    const readings: Array<() => Promise<{ verification: Verification; fields: { ready: number } }>> = [
      async () => ({ verification: { state: 'in-progress', detail: '1 ready' }, fields: { ready: 1 } }),
      async () => {
        throw new Error('read failed');
      },
    ];
    // A wait that reads twice, the second reading failing, and settles on the first one's verdict.
    const action = resize(
      { observe: () => (readings.shift() ?? assert.fail('read too often'))() },
      async (_c, check) => {
        const first = await check();
        await check().catch(() => undefined);
        return { state: first.state, detail: `${first.detail} when the wait ended` };
      },
    );
    const answer = await action.run({ reason: REASON, dry_run: false, size: 5 }, CONTEXT);
    assert.equal(answer.ready, 1);
    assert.deepEqual(answer.verification, { state: 'in-progress', detail: '1 ready when the wait ended' });
  });
});
