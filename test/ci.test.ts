/**
 * What counts as a CI run, and the golden-file guard: under CI a golden is compared, never rewritten. The rule
 * for suites that cannot run is proven end to end in control-plane/suite.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCi, SuiteCannotRunError, skipOrFail, updatingGoldens } from './ci.ts';

describe('isCi', () => {
  test('true-ish values of CI mean a CI run; anything else, or none, does not', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'Yes', 'on', ' true ']) {
      assert.equal(isCi({ CI: value }), true, value);
    }
    for (const value of [undefined, '', 'false', '0', 'no', 'off', 'maybe']) {
      assert.equal(isCi({ CI: value }), false, String(value));
    }
  });
});

describe('skipOrFail', () => {
  test('returns the reason outside CI and throws it under CI', () => {
    assert.equal(skipOrFail('no toolchain', { CI: 'false' }), 'no toolchain');
    assert.throws(
      () => skipOrFail('no toolchain', { CI: '1' }),
      (error: unknown) => error instanceof SuiteCannotRunError && /^no toolchain \(under CI/.test(error.message),
    );
  });
});

describe('updatingGoldens', () => {
  test('UPDATE_GOLDEN=1 rewrites outside CI, and is refused under CI', () => {
    assert.equal(updatingGoldens({}), false);
    assert.equal(updatingGoldens({ UPDATE_GOLDEN: '0' }), false);
    assert.equal(updatingGoldens({ UPDATE_GOLDEN: '1' }), true);
    assert.equal(updatingGoldens({ UPDATE_GOLDEN: '1', CI: 'no' }), true);
    for (const CI of ['true', '1', 'yes']) {
      assert.throws(() => updatingGoldens({ UPDATE_GOLDEN: '1', CI }), /UPDATE_GOLDEN=1 under CI/);
    }
    assert.equal(updatingGoldens({ CI: 'true' }), false, 'comparing is fine under CI');
  });
});
