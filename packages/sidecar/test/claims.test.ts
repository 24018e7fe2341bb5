import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClaimBook } from '../src/governance/claims.ts';

describe('claimed identities, bounded per peer', () => {
  it('gives each claim its own caller id while the peer holds a place for it', () => {
    const book = createClaimBook({ claimsPerPeer: 2 });
    assert.equal(book.callerId('127.0.0.1', 'alice/1'), 'claimed:alice/1');
    assert.equal(book.callerId('127.0.0.1', 'bob/2'), 'claimed:bob/2');
    assert.equal(book.callerId('127.0.0.1', 'alice/1'), 'claimed:alice/1', 'a held claim keeps its id');
  });

  it('folds every claim over the bound into one overflow id, so fresh names never mean fresh buckets', () => {
    const book = createClaimBook({ claimsPerPeer: 2 });
    book.callerId('127.0.0.1', 'a');
    book.callerId('127.0.0.1', 'b');
    const overflow = new Set(Array.from({ length: 50 }, (_, index) => book.callerId('127.0.0.1', `rotating-${index}`)));
    assert.deepEqual([...overflow], ['claimed-overflow:127.0.0.1']);
  });

  it('counts places per peer address', () => {
    const book = createClaimBook({ claimsPerPeer: 1 });
    assert.equal(book.callerId('127.0.0.1', 'a'), 'claimed:a');
    assert.equal(book.callerId('198.18.16.7', 'b'), 'claimed:b');
    assert.equal(book.callerId('127.0.0.1', 'b'), 'claimed-overflow:127.0.0.1');
  });

  it('frees the place of a claim left unused for the idle time', () => {
    let clock = 0;
    const book = createClaimBook({ claimsPerPeer: 1, idleMs: 1_000, now: () => clock });
    book.callerId('127.0.0.1', 'gone');
    clock = 999;
    assert.equal(book.callerId('127.0.0.1', 'new'), 'claimed-overflow:127.0.0.1');
    clock = 2_000;
    assert.equal(book.callerId('127.0.0.1', 'new'), 'claimed:new');
  });

  it('remembers a bounded number of peers, forgetting the least recently seen', () => {
    const book = createClaimBook({ claimsPerPeer: 1, peers: 2 });
    book.callerId('p1', 'a');
    book.callerId('p2', 'a');
    book.callerId('p1', 'a');
    book.callerId('p3', 'a');
    // p1 was seen again, so it was kept and is still full; p2 was forgotten, so its place is free again.
    assert.equal(book.callerId('p1', 'b'), 'claimed-overflow:p1');
    assert.equal(book.callerId('p2', 'b'), 'claimed:b');
  });
});
