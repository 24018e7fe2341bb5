/**
 * The change-feed registry on plain objects: a starter that records what it started and stopped, so the
 * refcount (one feed per URI, stopped by the last holder) is checked without any cluster.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWatchRegistry } from '../src/resources/watch-registry.ts';

function recorder() {
  const events: string[] = [];
  const fire = new Map<string, () => void>();
  const failing = new Set<string>();
  const registry = createWatchRegistry(async (uri, changed) => {
    if (failing.has(uri)) throw new Error(`cannot watch ${uri}`);
    events.push(`start ${uri}`);
    fire.set(uri, changed);
    return () => {
      events.push(`stop ${uri}`);
      fire.delete(uri);
    };
  });
  return { registry, events, fire: (uri: string) => fire.get(uri)?.(), failing };
}

describe('watch registry', () => {
  test('one feed per URI whatever the number of holders; every holder hears each change', async () => {
    const { registry, events, fire } = recorder();
    const heard: string[] = [];
    const [a, b] = await Promise.all([
      registry.acquire('podmcp://self', () => heard.push('a')),
      registry.acquire('podmcp://self', () => heard.push('b')),
    ]);
    const c = await registry.acquire('podmcp://events', () => heard.push('c'));
    fire('podmcp://self');
    assert.deepEqual(events, ['start podmcp://self', 'start podmcp://events']);
    assert.deepEqual(heard.sort(), ['a', 'b']);
    assert.deepEqual(registry.watched().sort(), ['podmcp://events', 'podmcp://self']);
    a();
    b();
    c();
  });

  test('the last holder stops the feed, and only then; releasing twice counts once', async () => {
    const { registry, events, fire } = recorder();
    const heard: string[] = [];
    const first = await registry.acquire('podmcp://self', () => heard.push('first'));
    const second = await registry.acquire('podmcp://self', () => heard.push('second'));
    first();
    first();
    assert.deepEqual(events, ['start podmcp://self'], 'a second release of the same holder is not another holder');
    fire('podmcp://self');
    assert.deepEqual(heard, ['second'], 'a released holder hears nothing more');
    second();
    await Promise.resolve();
    assert.deepEqual(events, ['start podmcp://self', 'stop podmcp://self']);
    assert.deepEqual(registry.watched(), []);
  });

  test('the same callback held twice is released twice before the feed stops', async () => {
    const { registry, events } = recorder();
    const callback = () => undefined;
    const one = await registry.acquire('podmcp://self', callback);
    const two = await registry.acquire('podmcp://self', callback);
    one();
    await Promise.resolve();
    assert.deepEqual(events, ['start podmcp://self']);
    two();
    await Promise.resolve();
    assert.deepEqual(events, ['start podmcp://self', 'stop podmcp://self']);
  });

  test('a URI watched again after its feed stopped starts a new feed', async () => {
    const { registry, events } = recorder();
    (await registry.acquire('podmcp://self', () => undefined))();
    await Promise.resolve();
    const again = await registry.acquire('podmcp://self', () => undefined);
    assert.deepEqual(events, ['start podmcp://self', 'stop podmcp://self', 'start podmcp://self']);
    again();
  });

  test('a feed that cannot start fails its holders and is forgotten, so a later holder tries again', async () => {
    const { registry, events, failing } = recorder();
    failing.add('podmcp://self');
    const tries = await Promise.allSettled([
      registry.acquire('podmcp://self', () => undefined),
      registry.acquire('podmcp://self', () => undefined),
    ]);
    assert.deepEqual(
      tries.map((outcome) => outcome.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(registry.watched(), []);
    failing.delete('podmcp://self');
    const held = await registry.acquire('podmcp://self', () => undefined);
    assert.deepEqual(events, ['start podmcp://self']);
    held();
  });
});
