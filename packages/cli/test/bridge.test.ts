/**
 * The stdio bridge of `podmcp connect` against a real sidecar HTTP edge on loopback (its API server unreachable:
 * initialize and tools/list need none), with the port-forward replaced by a plain TCP connection: when the
 * sidecar no longer knows the agent's session (here: evicted from a table of one), the bridge replays the
 * agent's initialize on a new session by itself, the agent sees only its own answers, and when stdin ends the
 * session is ended with DELETE.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { decodeSidecarEnv } from '@podmcp/core';
import { createSidecar, startHttpTransport } from '@podmcp/sidecar';
import { pino } from 'pino';
import { StdioBridge } from '../src/connect/bridge.ts';
import type { PodForwarder } from '../src/connect/forward.ts';
import type { PodPicker } from '../src/connect/picker.ts';

const PROTOCOL = '2025-06-18';

async function startEdge() {
  const decoded = decodeSidecarEnv({});
  if (!decoded.ok) throw new Error(decoded.errors.join('; '));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'shop' }],
    currentContext: 'x',
  });
  const logger = pino({ level: 'silent' });
  const sidecar = createSidecar({
    settings: decoded.settings,
    connection: { kubeConfig, namespace: 'shop', namespaceSource: 'test' },
    logger,
  });
  // One place, which an idle session gives up at once.
  return startHttpTransport({ sidecar, host: '127.0.0.1', port: 0, logger, maxSessions: 1, sessionEvictableMs: 0 });
}

test('a session the sidecar no longer knows is started again with the agent’s own initialize, unseen by the agent', async () => {
  const edge = await startEdge();
  const stdin = new PassThrough();
  const lines: Array<{ id?: unknown; result?: unknown; error?: unknown }> = [];
  let buffered = '';
  const waiting = new Map<unknown, (message: (typeof lines)[number]) => void>();
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      buffered += String(chunk);
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const message = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        lines.push(message);
        waiting.get(message.id)?.(message);
        newline = buffered.indexOf('\n');
      }
      done();
    },
  });
  const log: string[] = [];
  const picker = {
    workload: 'deploy/web',
    pod: async () => ({ name: 'web-1', uid: 'u1', port: edge.port }),
    stillServing: async () => true,
    drop: (pod: string, reason: string) => log.push(`dropped ${pod}: ${reason}`),
  } as unknown as PodPicker;
  const forwarder = {
    pipe: async (socket: Socket, target: { port: number }) => {
      const upstream = connect(target.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.resume();
    },
  } as unknown as PodForwarder;
  const bridge = new StdioBridge({
    stdin,
    stdout,
    picker,
    forwarder,
    namespace: 'shop',
    log: (line) => log.push(line),
    claimedIdentity: 'alice#1',
  });
  const running = bridge.run();
  const ask = (id: number, method: string, params: object = {}) => {
    const answered = new Promise<(typeof lines)[number]>((resolve) => waiting.set(id, resolve));
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answered;
  };
  try {
    const initialized = await ask(1, 'initialize', {
      protocolVersion: PROTOCOL,
      capabilities: { elicitation: { form: {} } },
      clientInfo: { name: 'agent', version: '1' },
    });
    assert.ok(initialized.result, JSON.stringify(initialized));
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    assert.ok((await ask(2, 'tools/list')).result);
    assert.equal(edge.sessions(), 1);

    // Another client takes the only place: the bridge's idle session is evicted.
    const other = await fetch(edge.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'other', version: '1' } },
      }),
    });
    assert.equal(other.status, 200);
    await other.body?.cancel();

    const again = await ask(3, 'tools/list');
    assert.ok(again.result, JSON.stringify(again));
    assert.ok(
      log.some((line) => /ended the MCP session; starting a new one/.test(line)),
      log.join('\n'),
    );
    assert.ok(!log.some((line) => line.startsWith('dropped')), 'the pod was not given up');
    assert.deepEqual(
      lines.map((line) => line.id),
      [1, 2, 3],
      'the agent sees its own answers only, not the replayed initialize',
    );
    assert.equal(edge.sessions(), 1, 'the new session took the place');
  } finally {
    stdin.end();
    await running;
  }
  assert.equal(edge.sessions(), 0, 'the session was ended with DELETE when stdin ended');
  await edge.close({ drainMs: 0 });
});
