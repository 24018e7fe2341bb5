import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heapLimitEnv } from '../src/sidecar.ts';

test("the sidecar's heap is capped at 40% of its memory limit, never below 32 MB", () => {
  assert.deepEqual(heapLimitEnv('320Mi'), [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=128' }]);
  assert.deepEqual(heapLimitEnv('1Gi'), [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=409' }]);
  assert.deepEqual(heapLimitEnv('64Mi'), [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=32' }]);
  assert.deepEqual(heapLimitEnv('500M'), [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=190' }]);
  assert.deepEqual(heapLimitEnv('not a quantity'), []);
});
