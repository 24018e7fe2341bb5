import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapLimitEnv } from '../src/sidecar.ts';

const env = (nodeOptions: string) => [
  { name: 'NODE_OPTIONS', value: nodeOptions },
  { name: 'MALLOC_ARENA_MAX', value: '2' },
];

test("both heap generations are capped from the sidecar's memory limit: old at 40% (at least 32 MB), semi-spaces at 1/256 (1 to 16 MB)", () => {
  assert.deepEqual(heapLimitEnv('160Mi'), env('--max-old-space-size=64 --max-semi-space-size=1'));
  assert.deepEqual(heapLimitEnv('320Mi'), env('--max-old-space-size=128 --max-semi-space-size=1'));
  assert.deepEqual(heapLimitEnv('1Gi'), env('--max-old-space-size=409 --max-semi-space-size=4'));
  assert.deepEqual(heapLimitEnv('4Gi'), env('--max-old-space-size=1638 --max-semi-space-size=16'));
  assert.deepEqual(heapLimitEnv('64Mi'), env('--max-old-space-size=32 --max-semi-space-size=1'));
  assert.deepEqual(heapLimitEnv('500M'), env('--max-old-space-size=190 --max-semi-space-size=1'));
  assert.deepEqual(heapLimitEnv('not a quantity'), []);
});

test('glibc keeps 2 malloc arenas, whatever the limit', () => {
  for (const limit of ['64Mi', '160Mi', '4Gi']) {
    const byName = new Map(heapLimitEnv(limit).map((item) => [item.name, item.value]));
    assert.equal(byName.get('MALLOC_ARENA_MAX'), '2');
  }
});

test('no compile cache is turned on for the sidecar (it would be written to the memory-backed /tmp)', () => {
  const env = heapLimitEnv('320Mi');
  assert.ok(!env.some((item) => item.name === 'NODE_COMPILE_CACHE'));
  assert.ok(!env.some((item) => item.value?.includes('compile')));
});
