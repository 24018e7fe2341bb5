import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLAIMED_IDENTITY_MAX_CHARS, cleanClaimedIdentity } from '../src/headers.ts';

describe('cleanClaimedIdentity', () => {
  test('keeps a plain identity as it is', () => {
    assert.equal(cleanClaimedIdentity('alice@example.org#0a1b2c3d'), 'alice@example.org#0a1b2c3d');
    assert.equal(cleanClaimedIdentity('system:serviceaccount:ns/sa+x=1'), 'system:serviceaccount:ns/sa+x=1');
  });

  test('turns runs of other characters into one underscore and trims them at the ends', () => {
    assert.equal(cleanClaimedIdentity('Zoë Müller#ab'), 'Zo_M_ller#ab');
    assert.equal(cleanClaimedIdentity('用户#1'), '#1');
    assert.equal(cleanClaimedIdentity(' bob\r\nX-Evil: 1 '), 'bob_X-Evil:_1');
  });

  test('the result is always a valid header value', () => {
    const cleaned = cleanClaimedIdentity('名前\u{1f600}ü\u0000alice#1') ?? '';
    assert.doesNotThrow(() => new Headers({ 'podmcp-claimed-identity': cleaned }));
    assert.equal(cleaned, 'alice#1');
  });

  test('is bounded in length', () => {
    assert.equal(cleanClaimedIdentity('a'.repeat(1000))?.length, CLAIMED_IDENTITY_MAX_CHARS);
  });

  test('nothing usable is no identity', () => {
    assert.equal(cleanClaimedIdentity(''), undefined);
    assert.equal(cleanClaimedIdentity('ü ö'), undefined);
  });
});
