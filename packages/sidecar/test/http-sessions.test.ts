/**
 * The session table of the HTTP edge on plain values and an injected clock: the bound, the idle expiry, the
 * eviction of the session idle the longest, busy sessions kept, and a session answering only its owner.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_SESSIONS,
  SESSION_EVICTABLE_MS,
  SESSION_IDLE_MS,
  type SessionEndReason,
  SessionTable,
} from '../src/transport/sessions.ts';

function table(options: { max?: number; idleMs?: number; evictAfterMs?: number } = {}) {
  let clock = 0;
  const ended: Array<[string, SessionEndReason]> = [];
  const sessions = new SessionTable<string>({
    ...options,
    now: () => clock,
    onEnd: (id, _value, reason) => ended.push([id, reason]),
  });
  return {
    sessions,
    ended,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** Adds a session and ends its creating request at once, as a finished initialize does. */
function addIdle(sessions: SessionTable<string>, id: string, owner = 'alice') {
  const slot = sessions.add(id, owner, `value-${id}`);
  assert.ok(slot, `room for ${id}`);
  slot.release();
}

describe('the session table of the HTTP edge', () => {
  test('the defaults are small: a few dozen sessions, idle for at most half an hour, evictable after a minute', () => {
    assert.ok(MAX_SESSIONS > 0 && MAX_SESSIONS <= 64);
    assert.ok(SESSION_IDLE_MS > 0 && SESSION_IDLE_MS <= 30 * 60_000);
    assert.ok(SESSION_EVICTABLE_MS > 0 && SESSION_EVICTABLE_MS < SESSION_IDLE_MS);
  });

  test('a session answers its owner only; anyone else presenting its id gets "foreign", and it lives on', () => {
    const { sessions } = table();
    addIdle(sessions, 's1', 'claimed:alice');
    const found = sessions.use('s1', 'claimed:alice');
    assert.ok(found.found);
    assert.equal(found.value, 'value-s1');
    found.release();
    assert.deepEqual(sessions.use('s1', 'claimed:mallory'), { found: false, reason: 'foreign' });
    assert.deepEqual(sessions.use('s2', 'claimed:alice'), { found: false, reason: 'unknown' });
    assert.ok(sessions.use('s1', 'claimed:alice').found);
  });

  test('bounded: when full, the session idle the longest makes room', () => {
    const { sessions, ended, advance } = table({ max: 3, evictAfterMs: 500 });
    for (const id of ['a', 'b', 'c']) {
      addIdle(sessions, id);
      advance(1000);
    }
    // Using "a" makes "b" the one idle the longest.
    const used = sessions.use('a', 'alice');
    assert.ok(used.found);
    used.release();
    addIdle(sessions, 'd');
    assert.equal(sessions.size, 3);
    assert.deepEqual(ended, [['b', 'evicted']]);
    assert.equal(sessions.use('b', 'alice').found, false);
  });

  test('a session used within the eviction time is not cut for a newcomer: no new session, the bound holds', () => {
    const { sessions, ended, advance } = table({ max: 2, evictAfterMs: 60_000 });
    addIdle(sessions, 'a');
    addIdle(sessions, 'b');
    advance(59_999);
    assert.equal(sessions.add('c', 'carol', 'C'), undefined);
    assert.equal(sessions.size, 2);
    assert.deepEqual(ended, []);
    advance(1);
    assert.ok(sessions.add('c', 'carol', 'C'));
    assert.deepEqual(ended, [['a', 'evicted']]);
  });

  test('busy sessions are never evicted; with all busy, no new session is made and the bound holds', () => {
    const { sessions, ended } = table({ max: 2, evictAfterMs: 0 });
    const first = sessions.add('a', 'alice', 'A');
    const second = sessions.add('b', 'bob', 'B');
    assert.ok(first && second);
    assert.equal(sessions.add('c', 'carol', 'C'), undefined);
    assert.equal(sessions.size, 2);
    assert.deepEqual(ended, []);
    second.release();
    assert.ok(sessions.add('c', 'carol', 'C'));
    assert.deepEqual(ended, [['b', 'evicted']]);
  });

  test('idle expiry: a session unused for the expiry ends; one in use does not, however long', () => {
    const { sessions, ended, advance } = table({ idleMs: 10_000 });
    addIdle(sessions, 'idle');
    const busy = sessions.add('busy', 'alice', 'B');
    assert.ok(busy);
    advance(9_999);
    assert.equal(sessions.sweep(), 0);
    advance(1);
    assert.equal(sessions.sweep(), 1);
    assert.deepEqual(ended, [['idle', 'expired']]);
    assert.equal(sessions.use('idle', 'alice').found, false);
    advance(60_000);
    assert.equal(sessions.sweep(), 0, 'a request in flight keeps its session');
    busy.release();
    advance(10_000);
    assert.equal(sessions.use('busy', 'alice').found, false, 'expired when looked up, even before a sweep');
    assert.deepEqual(ended.at(-1), ['busy', 'expired']);
  });

  test('a session whose standalone stream is open does not expire, but a full table can still evict it once idle', () => {
    const { sessions, ended, advance } = table({ max: 2, idleMs: 10_000, evictAfterMs: 1_000 });
    addIdle(sessions, 'listening');
    const stream = sessions.use('listening', 'alice', 'stream');
    assert.ok(stream.found);
    addIdle(sessions, 'other', 'bob');
    advance(60_000);
    assert.equal(sessions.sweep(), 1, 'only the session without a stream expired');
    assert.deepEqual(ended, [['other', 'expired']]);
    addIdle(sessions, 'third', 'carol');
    advance(1_000);
    // Full, and the listening session has had no request for the eviction time: it makes room.
    assert.ok(sessions.add('fourth', 'dave', 'D'));
    assert.deepEqual(ended.at(-1), ['listening', 'evicted']);
    stream.release();
    stream.release();
    assert.equal(sessions.size, 2);
  });

  test('each use restarts the idle clock, and release is counted once', () => {
    const { sessions, advance } = table({ idleMs: 10_000 });
    addIdle(sessions, 's');
    advance(8_000);
    const use = sessions.use('s', 'alice');
    assert.ok(use.found);
    use.release();
    use.release();
    advance(8_000);
    assert.equal(sessions.sweep(), 0);
    advance(2_000);
    assert.equal(sessions.sweep(), 1);
  });

  test('remove and clear end sessions once, with their reason', () => {
    const { sessions, ended } = table();
    addIdle(sessions, 'a');
    addIdle(sessions, 'b');
    assert.equal(sessions.remove('a'), true);
    assert.equal(sessions.remove('a'), false);
    sessions.clear();
    assert.equal(sessions.size, 0);
    assert.deepEqual(ended, [
      ['a', 'deleted'],
      ['b', 'closed'],
    ]);
  });
});
