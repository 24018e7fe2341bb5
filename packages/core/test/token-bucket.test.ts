import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenBucket } from '../src/token-bucket.ts';

describe('TokenBucket', () => {
  test('allows the burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    now = 500;
    assert.equal(bucket.take(), true, 'half a second at 2/s refills one token');
    assert.equal(bucket.take(), false);
  });

  test('says how long until the next token, and when it is full again', () => {
    let now = 0;
    const bucket = new TokenBucket(1, 2, () => now);
    assert.equal(bucket.retryAfterMs(), 0);
    bucket.take();
    bucket.take();
    assert.equal(bucket.retryAfterMs(), 1000);
    now = 250;
    assert.equal(bucket.retryAfterMs(), 750);
    assert.equal(bucket.isFull(), false);
    now = 2000;
    assert.equal(bucket.isFull(), true);
  });
});
