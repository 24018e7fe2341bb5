/** The gate's composition: steps wrap the rest in order, and the one pipeline runs its named steps in order. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Step } from '../src/gate/call.ts';
import { compose } from '../src/gate/compose.ts';
import { plainCall } from './gate-services.ts';

const named =
  (seen: string[], name: string): Step =>
  async (_call, next) => {
    seen.push(`${name} in`);
    await next();
    seen.push(`${name} out`);
  };

describe('compose', () => {
  test('each step wraps the ones after it: in, in order; out, in reverse', async () => {
    const seen: string[] = [];
    await compose([named(seen, 'a'), named(seen, 'b'), named(seen, 'c')])(plainCall());
    assert.deepEqual(seen, ['a in', 'b in', 'c in', 'c out', 'b out', 'a out']);
  });

  test('a step that does not call next ends the call there', async () => {
    const seen: string[] = [];
    const stop: Step = async () => {
      seen.push('stop');
    };
    await compose([named(seen, 'a'), stop, named(seen, 'never')])(plainCall());
    assert.deepEqual(seen, ['a in', 'stop', 'a out']);
  });

  test('a step that throws, at once or later, rejects through the steps before it', async () => {
    const seen: string[] = [];
    const guard: Step = async (_call, next) => {
      try {
        await next();
      } catch (error) {
        seen.push(`caught ${(error as Error).message}`);
      }
    };
    const atOnce: Step = () => {
      throw new Error('at once');
    };
    await compose([guard, atOnce])(plainCall());
    const later: Step = async () => {
      throw new Error('later');
    };
    await compose([guard, later])(plainCall());
    assert.deepEqual(seen, ['caught at once', 'caught later']);
  });

  test('next() called twice is refused: the rest would run twice', async () => {
    let runs = 0;
    const twice: Step = async (_call, next) => {
      await next();
      await next();
    };
    const counted: Step = async () => {
      runs += 1;
    };
    await assert.rejects(compose([twice, counted])(plainCall()), /called next\(\) more than once/);
    assert.equal(runs, 1);
  });

  test('no steps: nothing happens', async () => {
    await compose([])(plainCall());
  });
});
