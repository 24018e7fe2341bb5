import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLimits } from '../src/governance/limits.ts';

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('admitCall', () => {
  test('a burst of a tenth of the minute (at least 5), then retry after the refill', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 0 }, time.now);
    for (let i = 0; i < 6; i += 1) assert.deepEqual(limits.admitCall('a'), { allowed: true }, `call ${i}`);
    assert.deepEqual(limits.admitCall('a'), { allowed: false, retryAfterSeconds: 1 });
    time.advance(1000);
    assert.deepEqual(limits.admitCall('a'), { allowed: true });
    assert.equal(limits.admitCall('a').allowed, false);
  });

  test('a larger budget has a larger burst', () => {
    const limits = createLimits({ perMinute: 600, cooldownSeconds: 0 }, clock().now);
    let admitted = 0;
    while (limits.admitCall('a').allowed) admitted += 1;
    assert.equal(admitted, 60);
  });

  test('retry-after is whole seconds, at least 1, from the refill rate', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 6, cooldownSeconds: 0 }, time.now);
    for (let i = 0; i < 5; i += 1) limits.admitCall('a');
    assert.deepEqual(limits.admitCall('a'), { allowed: false, retryAfterSeconds: 10 });
    time.advance(9_100);
    assert.deepEqual(limits.admitCall('a'), { allowed: false, retryAfterSeconds: 1 });
    time.advance(1_000);
    assert.deepEqual(limits.admitCall('a'), { allowed: true });
  });

  test('callers have independent buckets', () => {
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 0 }, clock().now);
    while (limits.admitCall('a').allowed) {}
    assert.equal(limits.admitCall('a').allowed, false);
    for (let i = 0; i < 6; i += 1) assert.equal(limits.admitCall('b').allowed, true);
    assert.equal(limits.admitCall('b').allowed, false);
    assert.equal(limits.admitCall('c').allowed, true);
  });
});

describe('memory bound', () => {
  test('idle callers are forgotten once many are tracked', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 0, maxCallers: 100 }, time.now);
    for (let i = 0; i < 100; i += 1) limits.admitCall(`caller-${i}`);
    assert.equal(limits.trackedCallers(), 100);
    time.advance(60_000);
    limits.admitCall('new');
    assert.equal(limits.trackedCallers(), 1);
  });

  test('many busy callers at once: still bounded, and the most recent keep their state', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 0 }, time.now);
    while (limits.admitCall('busy').allowed) {}
    for (let i = 0; i < 25_000; i += 1) {
      limits.admitCall(`caller-${i}`);
      if (i % 1000 === 0) limits.admitCall('busy');
      assert.ok(limits.trackedCallers() <= 10_000);
    }
    assert.equal(limits.admitCall('busy').allowed, false, 'a recently seen caller is not forgotten');
  });
});

describe('cooldowns', () => {
  test('start, check, expiry', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 300 }, time.now);
    assert.deepEqual(limits.checkCooldown('Deployment/web'), { allowed: true });
    limits.startCooldown('Deployment/web');
    assert.deepEqual(limits.checkCooldown('Deployment/web'), { allowed: false, retryAfterSeconds: 300 });
    assert.deepEqual(limits.checkCooldown('Deployment/api'), { allowed: true }, 'per target');
    time.advance(299_500);
    assert.deepEqual(limits.checkCooldown('Deployment/web'), { allowed: false, retryAfterSeconds: 1 });
    time.advance(500);
    assert.deepEqual(limits.checkCooldown('Deployment/web'), { allowed: true });
  });

  test('checking does not start one; starting again extends it', () => {
    const time = clock();
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 10 }, time.now);
    limits.checkCooldown('x');
    assert.deepEqual(limits.checkCooldown('x'), { allowed: true });
    limits.startCooldown('x');
    time.advance(5_000);
    limits.startCooldown('x');
    assert.deepEqual(limits.checkCooldown('x'), { allowed: false, retryAfterSeconds: 10 });
  });

  test('a zero cooldown never blocks', () => {
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 0 }, clock().now);
    limits.startCooldown('x');
    assert.deepEqual(limits.checkCooldown('x'), { allowed: true });
  });

  test('claiming a target: one action at a time per target', () => {
    const limits = createLimits({ perMinute: 60, cooldownSeconds: 10 }, clock().now);
    assert.equal(limits.claimTarget('Deployment/web'), true);
    assert.equal(limits.claimTarget('Deployment/web'), false);
    assert.equal(limits.claimTarget('Deployment/api'), true);
    limits.releaseTarget('Deployment/web');
    assert.equal(limits.claimTarget('Deployment/web'), true);
  });
});
