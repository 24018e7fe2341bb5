import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContainerGuesses } from '../src/format/containers.ts';

describe('ContainerGuesses', () => {
  test('recalls what was remembered for the same pod only', () => {
    const guesses = new ContainerGuesses();
    guesses.remember('ns/web', 'app', 0);
    assert.equal(guesses.recall('ns/web', 10), 'app');
    assert.equal(guesses.recall('ns/other', 10), undefined);
    assert.equal(guesses.recall('other/web', 10), undefined);
  });

  test('a newer choice replaces the older one', () => {
    const guesses = new ContainerGuesses();
    guesses.remember('ns/web', 'app', 0);
    guesses.remember('ns/web', 'worker', 5);
    assert.equal(guesses.recall('ns/web', 6), 'worker');
    assert.equal(guesses.size, 1);
  });

  test('forgets a guess older than its age limit, and one from a clock that went back', () => {
    const guesses = new ContainerGuesses(8, 1000);
    guesses.remember('ns/web', 'app', 5000);
    assert.equal(guesses.recall('ns/web', 6000), 'app');
    assert.equal(guesses.recall('ns/web', 6001), undefined);
    assert.equal(guesses.size, 0);
    guesses.remember('ns/web', 'app', 5000);
    assert.equal(guesses.recall('ns/web', 4999), undefined);
  });

  test('forget drops the guess', () => {
    const guesses = new ContainerGuesses();
    guesses.remember('ns/web', 'app', 0);
    guesses.forget('ns/web');
    assert.equal(guesses.recall('ns/web', 1), undefined);
  });

  test('holds at most its bound, dropping the one remembered longest ago', () => {
    const guesses = new ContainerGuesses(3, 60_000);
    for (const pod of ['a', 'b', 'c']) guesses.remember(`ns/${pod}`, 'app', 0);
    guesses.remember('ns/a', 'app', 1);
    guesses.remember('ns/d', 'app', 2);
    assert.equal(guesses.size, 3);
    assert.equal(guesses.recall('ns/b', 3), undefined);
    for (const pod of ['a', 'c', 'd']) assert.equal(guesses.recall(`ns/${pod}`, 3), 'app');
  });
});
