import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { leaseStep } from '../../src/self-signed/lease.ts';

const NOW = new Date('2030-01-01T00:00:30Z');

function lease(spec: V1Lease['spec']): V1Lease {
  return { metadata: { name: 'podmcp-injector-cert', resourceVersion: '7' }, spec };
}

describe('leaseStep', () => {
  test('no Lease: create it', () => {
    assert.equal(leaseStep(undefined, 'pod-a', NOW), 'create');
  });

  test('our own Lease: renew it, even when it ran out meanwhile', () => {
    const ours = lease({
      holderIdentity: 'pod-a',
      leaseDurationSeconds: 15,
      renewTime: new Date('2030-01-01T00:00:00Z'),
    });
    assert.equal(leaseStep(ours, 'pod-a', NOW), 'renew');
  });

  test('another holder within its term: wait', () => {
    // The wire's MicroTime arrives as a string, whatever the types say.
    const renewTime = '2030-01-01T00:00:20.123456Z' as unknown as Date;
    assert.equal(
      leaseStep(lease({ holderIdentity: 'pod-b', leaseDurationSeconds: 15, renewTime }), 'pod-a', NOW),
      'wait',
    );
  });

  test('another holder past renewTime + leaseDurationSeconds: take over', () => {
    const stale = lease({
      holderIdentity: 'pod-b',
      leaseDurationSeconds: 15,
      renewTime: new Date('2030-01-01T00:00:14Z'),
    });
    assert.equal(leaseStep(stale, 'pod-a', NOW), 'take-over');
  });

  test('a released Lease (no holder) or one never renewed: take over', () => {
    const released = lease({ holderIdentity: '', leaseDurationSeconds: 1, renewTime: NOW });
    assert.equal(leaseStep(released, 'pod-a', NOW), 'take-over');
    assert.equal(leaseStep(lease({ holderIdentity: 'pod-b', leaseDurationSeconds: 15 }), 'pod-a', NOW), 'take-over');
    assert.equal(leaseStep(lease(undefined), 'pod-a', NOW), 'take-over');
  });
});
