import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapLimitEnv } from '../src/sidecar.ts';

const options = (value: string) => [{ name: 'NODE_OPTIONS', value }];

test("both heap generations are capped from the sidecar's memory limit: old at 40% (at least 32 MB), semi-spaces at 1/64 (1 to 16 MB)", () => {
  assert.deepEqual(heapLimitEnv('320Mi'), options('--max-old-space-size=128 --max-semi-space-size=5'));
  assert.deepEqual(heapLimitEnv('1Gi'), options('--max-old-space-size=409 --max-semi-space-size=16'));
  assert.deepEqual(heapLimitEnv('4Gi'), options('--max-old-space-size=1638 --max-semi-space-size=16'));
  assert.deepEqual(heapLimitEnv('64Mi'), options('--max-old-space-size=32 --max-semi-space-size=1'));
  assert.deepEqual(heapLimitEnv('500M'), options('--max-old-space-size=190 --max-semi-space-size=7'));
  assert.deepEqual(heapLimitEnv('not a quantity'), []);
});

test('no compile cache is turned on for the sidecar (it would be written to the memory-backed /tmp)', () => {
  const env = heapLimitEnv('320Mi');
  assert.ok(!env.some((item) => item.name === 'NODE_COMPILE_CACHE'));
  assert.ok(!env.some((item) => item.value?.includes('compile')));
});
