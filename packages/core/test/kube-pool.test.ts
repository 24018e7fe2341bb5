import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { poolFor, sameMaterial } from '../src/kube-pool.ts';

test('TLS material is the same when every field is, certificates compared by bytes', () => {
  const ca = Buffer.from('ca-bytes');
  assert.equal(sameMaterial({ ca, servername: 'api' }, { ca: Buffer.from('ca-bytes'), servername: 'api' }), true);
  assert.equal(sameMaterial({}, {}), true);
});

test('a rotated certificate, key, CA or a changed server name is new material (a new pool)', () => {
  const base = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key'), servername: 'api' };
  assert.equal(sameMaterial(base, { ...base, cert: Buffer.from('cert-2') }), false);
  assert.equal(sameMaterial(base, { ...base, key: Buffer.from('key-2') }), false);
  assert.equal(sameMaterial(base, { ...base, ca: Buffer.from('ca-2') }), false);
  assert.equal(sameMaterial(base, { ...base, servername: 'other' }), false);
  assert.equal(sameMaterial(base, { ...base, rejectUnauthorized: false }), false);
});

test('one pool per KubeConfig object', () => {
  const one = new KubeConfig();
  const two = new KubeConfig();
  assert.equal(poolFor(one), poolFor(one));
  assert.notEqual(poolFor(one), poolFor(two));
});
