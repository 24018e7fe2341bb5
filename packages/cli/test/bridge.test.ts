/**
 * The stdio bridge of `podmcp connect`, with the port-forward replaced by a plain TCP connection to a server on
 * loopback (which the test can cut, and whose request heads it can read).
 *
 * 2025 era, against a real sidecar HTTP edge (its API server unreachable: initialize and tools/list need none):
 * when the sidecar no longer knows the agent's session (here: evicted from a table of one), the bridge replays
 * the agent's initialize on a new session by itself, the agent sees only its own answers, and when stdin ends
 * the session is ended with DELETE; an answer still on its way when stdin ends reaches the agent.
 *
 * 2026-07-28 era, with an SDK client pinned to 2026-07-28 as the agent: against the sidecar's edge serving that era,
 * discover and tools/list (and a refusal the client understands when the edge does not serve it); against the MCP
 * SDK's own handler for that era (see sdk-server.ts), which the test can make wait, cancel and notify: discover, tools/list and a call relayed with no initialize and no session, the
 * MCP-Protocol-Version/Mcp-Method/Mcp-Name headers on each request; a cancel closes the request's stream; a
 * listen whose stream is cut off is answered with an error so the agent listens again; an HTTP 404 JSON-RPC body
 * reaches the agent as its answer; answers in flight when stdin ends still arrive, and an open listen does not
 * keep the bridge running; a move to another pod replays nothing, and a listen left behind is answered.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import {
  Client,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  ReadBuffer,
  serializeMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { decodeSidecarEnv } from '@podmcp/core';
import { createSidecar, startHttpTransport } from '@podmcp/sidecar';
import { pino } from 'pino';
import { RELAY_ERROR_CODE, StdioBridge } from '../src/connect/bridge.ts';
import type { PodForwarder } from '../src/connect/forward.ts';
import type { PodPicker } from '../src/connect/picker.ts';
import { startModernServer, WATCHED_URI } from './sdk-server.ts';

const LEGACY = '2025-06-18';
/** Only so that a bridge that never answers fails instead of hanging the run; no test waits for time itself. */
const GUARD = { timeout: 60_000 };
const MODERN = '2026-07-28';

async function startEdge(options: { modernEra?: boolean } = {}) {
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
  return startHttpTransport({
    sidecar,
    host: '127.0.0.1',
    port: 0,
    logger,
    maxSessions: 1,
    sessionEvictableMs: 0,
    modernEra: options.modernEra ?? false,
  });
}

type Line = { id?: unknown; result?: unknown; error?: { code: number; message: string }; method?: string };

/**
 * A bridge to `port` on loopback: its stdin, what it wrote to stdout, its log, and the connections it opened.
 * After `move()`, pod web-1 no longer serves and the next pod picked, web-2, is at `next`.
 */
function startBridge(port: number, next?: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const log: string[] = [];
  const sockets = new Set<Socket>();
  let heads = '';
  let moved = false;
  const picker = {
    workload: 'deploy/web',
    pod: async () =>
      moved && next !== undefined ? { name: 'web-2', uid: 'u2', port: next } : { name: 'web-1', uid: 'u1', port },
    stillServing: async (pod: { name: string }) => !(moved && pod.name === 'web-1'),
    drop: (pod: string, reason: string) => log.push(`dropped ${pod}: ${reason}`),
  } as unknown as PodPicker;
  const forwarder = {
    pipe: async (socket: Socket, target: { port: number }) => {
      const upstream = connect(target.port, '127.0.0.1');
      sockets.add(socket);
      socket.on('data', (chunk: Buffer) => {
        heads += chunk.toString('latin1');
      });
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => {
        upstream.destroy();
        sockets.delete(socket);
      });
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
  return {
    stdin,
    stdout,
    log,
    running,
    /** What the bridge sent over the forwarded connections so far (request heads and bodies). */
    wire: () => heads,
    move: () => {
      moved = true;
    },
    /** Cuts every forwarded connection, as a broken port-forward would. */
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Raw JSON-RPC lines on the agent's side: what it asked and what came back. */
function rawAgent(bridge: ReturnType<typeof startBridge>) {
  const lines: Line[] = [];
  const waiting = new Map<unknown, (line: Line) => void>();
  const buffer = new ReadBuffer();
  bridge.stdout.on('data', (chunk: Buffer) => {
    buffer.append(chunk);
    for (let message = buffer.readMessage(); message !== null; message = buffer.readMessage()) {
      const line = message as Line;
      lines.push(line);
      waiting.get(line.id)?.(line);
    }
  });
  const answer = (id: number) => new Promise<Line>((resolve) => waiting.set(id, resolve));
  return {
    lines,
    answer,
    send: (message: object) => bridge.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`),
    ask: (id: number, method: string, params: object = {}) => {
      const answered = answer(id);
      bridge.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      return answered;
    },
  };
}

/** The agent's end of the bridge's stdio, for an SDK client. */
function agentTransport(bridge: ReturnType<typeof startBridge>): Transport {
  const buffer = new ReadBuffer();
  const transport: Transport = {
    start: async () => {
      bridge.stdout.on('data', (chunk: Buffer) => {
        buffer.append(chunk);
        for (let message = buffer.readMessage(); message !== null; message = buffer.readMessage()) {
          transport.onmessage?.(message);
        }
      });
    },
    send: async (message: JSONRPCMessage) => {
      bridge.stdin.write(serializeMessage(message));
    },
    close: async () => {
      bridge.stdin.end();
      transport.onclose?.();
    },
  };
  return transport;
}

function modernClient(): Client {
  return new Client({ name: 'agent', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
}

/** The `_meta` envelope a 2026-07-28 client puts on every request. */
const envelope = {
  [PROTOCOL_VERSION_META_KEY]: MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
};

/** The request heads the bridge sent, one per POST, lower-cased. */
function posts(wire: string): string[] {
  return wire
    .split(/(?=POST \/mcp HTTP\/1\.1\r\n)/)
    .filter((part) => part.startsWith('POST '))
    .map((part) => `${part.slice(0, part.indexOf('\r\n\r\n')).toLowerCase()}\r\n`);
}

test(
  '2025: a session the sidecar no longer knows is started again with the agent’s own initialize, unseen by the agent',
  GUARD,
  async () => {
    const edge = await startEdge();
    const bridge = startBridge(edge.port);
    const agent = rawAgent(bridge);
    try {
      const initialized = await agent.ask(1, 'initialize', {
        protocolVersion: LEGACY,
        capabilities: { elicitation: { form: {} } },
        clientInfo: { name: 'agent', version: '1' },
      });
      assert.ok(initialized.result, JSON.stringify(initialized));
      agent.send({ method: 'notifications/initialized' });
      assert.ok((await agent.ask(2, 'tools/list')).result);
      assert.equal(edge.sessions(), 1);

      // Another client takes the only place: the bridge's idle session is evicted.
      const other = await fetch(edge.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'other', version: '1' } },
        }),
      });
      assert.equal(other.status, 200);
      await other.body?.cancel();

      const again = await agent.ask(3, 'tools/list');
      assert.ok(again.result, JSON.stringify(again));
      assert.ok(
        bridge.log.some((line) => /ended the MCP session; starting a new one/.test(line)),
        bridge.log.join('\n'),
      );
      assert.ok(!bridge.log.some((line) => line.startsWith('dropped')), 'the pod was not given up');
      assert.deepEqual(
        agent.lines.map((line) => line.id),
        [1, 2, 3],
        'the agent sees its own answers only, not the replayed initialize',
      );
      assert.equal(edge.sessions(), 1, 'the new session took the place');
      assert.ok(
        posts(bridge.wire()).every((head) => !head.includes('mcp-method:')),
        'no 2026-07-28 header on a 2025 exchange',
      );
    } finally {
      bridge.stdin.end();
      await bridge.running;
    }
    assert.equal(edge.sessions(), 0, 'the session was ended with DELETE when stdin ended');
    await edge.close({ drainMs: 0 });
  },
);

test('2025: a request written just before stdin ends is still answered, then the bridge ends', GUARD, async () => {
  const edge = await startEdge();
  const bridge = startBridge(edge.port);
  const agent = rawAgent(bridge);
  try {
    await agent.ask(1, 'initialize', {
      protocolVersion: LEGACY,
      capabilities: {},
      clientInfo: { name: 'agent', version: '1' },
    });
    agent.send({ method: 'notifications/initialized' });
    const listed = agent.answer(2);
    bridge.stdin.end(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} })}\n`);
    await bridge.running;
    assert.ok((await listed).result, JSON.stringify(agent.lines));
    assert.equal(edge.sessions(), 0);
  } finally {
    await edge.close({ drainMs: 0 });
  }
});

test(
  '2026-07-28: discover, tools/list and a call through the bridge, no initialize and no session, the era’s headers on every request',
  GUARD,
  async () => {
    const server = await startModernServer();
    const bridge = startBridge(server.port);
    const client = modernClient();
    try {
      await client.connect(agentTransport(bridge));
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getServerVersion()?.name, 'sdk-reference');
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ['hello', 'slow', 'wait']);
      const called = await client.callTool({ name: 'hello', arguments: {} });
      assert.deepEqual(called.content, [{ type: 'text', text: 'hello' }]);

      const heads = posts(bridge.wire());
      assert.ok(heads.length >= 3, bridge.wire());
      assert.ok(!bridge.wire().includes('"method":"initialize"'), 'no handshake was sent or replayed');
      for (const head of heads) {
        assert.match(head, /\r\nmcp-protocol-version: 2026-07-28\r\n/);
        assert.doesNotMatch(head, /mcp-session-id/);
        assert.match(head, /\r\npodmcp-claimed-identity: alice#1\r\n/);
      }
      const call = heads.find((head) => head.includes('mcp-method: tools/call'));
      assert.ok(call, heads.join('\n\n'));
      assert.match(call, /\r\nmcp-name: hello\r\n/);
      assert.ok(heads.some((head) => head.includes('mcp-method: server/discover')));
      assert.ok(!bridge.log.some((line) => line.startsWith('dropped')), bridge.log.join('\n'));
    } finally {
      await client.close();
      await bridge.running;
      await server.close();
    }
  },
);

test(
  '2026-07-28 against the sidecar’s own edge: discover and tools/list through the bridge; with that era off, a pinned client is refused',
  GUARD,
  async () => {
    const edge = await startEdge({ modernEra: true });
    const bridge = startBridge(edge.port);
    const client = modernClient();
    try {
      await client.connect(agentTransport(bridge));
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getServerVersion()?.name, 'podmcp');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'list_pods'));
      assert.equal(edge.sessions(), 0, 'no MCP session at the sidecar');
    } finally {
      await client.close();
      await bridge.running;
      await edge.close({ drainMs: 0 });
    }

    const legacyOnly = await startEdge({ modernEra: false });
    const refused = startBridge(legacyOnly.port);
    const pinned = modernClient();
    try {
      await assert.rejects(pinned.connect(agentTransport(refused)), /did not offer pinned protocol version 2026-07-28/);
      assert.ok(!refused.log.some((line) => line.startsWith('dropped')), refused.log.join('\n'));
    } finally {
      await pinned.close();
      refused.stdin.end();
      await refused.running;
      await legacyOnly.close({ drainMs: 0 });
    }
  },
);

test('2026-07-28: cancelling a call closes its request to the server, and the bridge goes on', GUARD, async () => {
  const server = await startModernServer();
  const bridge = startBridge(server.port);
  const client = modernClient();
  try {
    await client.connect(agentTransport(bridge));
    const cancel = new AbortController();
    const waiting = client.callTool({ name: 'wait', arguments: {} }, { signal: cancel.signal });
    // Cancelled once the call went out: the server must see its request go away.
    await until(() => bridge.wire().includes('mcp-name: wait'));
    cancel.abort();
    await assert.rejects(waiting);
    await server.waitAborted;
    const called = await client.callTool({ name: 'hello', arguments: {} });
    assert.deepEqual(called.content, [{ type: 'text', text: 'hello' }]);
  } finally {
    await client.close();
    await bridge.running;
    await server.close();
  }
});

test(
  '2026-07-28: a listen relays its events; cut off, the agent gets an error and listens again; an open listen does not keep the bridge running',
  GUARD,
  async () => {
    const server = await startModernServer();
    const bridge = startBridge(server.port);
    const client = modernClient();
    const updated: string[] = [];
    let onUpdate: () => void = () => {};
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updated.push(notification.params.uri);
      onUpdate();
    });
    const nextUpdate = () => new Promise<void>((resolve) => (onUpdate = resolve));
    try {
      await client.connect(agentTransport(bridge));
      const first = await client.listen({ resourceSubscriptions: [WATCHED_URI] });
      assert.deepEqual(first.honoredFilter.resourceSubscriptions, [WATCHED_URI]);
      const arrived = nextUpdate();
      server.resourceUpdated(WATCHED_URI);
      await arrived;
      assert.deepEqual(updated, [WATCHED_URI]);

      bridge.cut();
      assert.equal(await first.closed, 'remote', 'the agent learnt that its listen ended');
      assert.ok(
        bridge.log.some((line) => /ended the stream of subscriptions\/listen without a result/.test(line)),
        bridge.log.join('\n'),
      );

      const second = await client.listen({ resourceSubscriptions: [WATCHED_URI] });
      const again = nextUpdate();
      server.resourceUpdated(WATCHED_URI);
      await again;
      assert.deepEqual(updated, [WATCHED_URI, WATCHED_URI]);
      assert.ok(second);
    } finally {
      // stdin ends with the listen still open: the bridge closes it and ends.
      await client.close();
      await bridge.running;
      await server.close();
    }
  },
);

test(
  '2026-07-28: when the pod goes away, the next request goes to another pod with nothing replayed, and a listen left on the old one is answered so the agent listens again',
  GUARD,
  async () => {
    const first = await startModernServer();
    const second = await startModernServer();
    const bridge = startBridge(first.port, second.port);
    const client = modernClient();
    try {
      await client.connect(agentTransport(bridge));
      const listening = await client.listen({ resourceSubscriptions: [WATCHED_URI] });
      bridge.move();
      const called = await client.callTool({ name: 'hello', arguments: {} });
      assert.deepEqual(called.content, [{ type: 'text', text: 'hello' }]);
      assert.equal(await listening.closed, 'remote');
      assert.ok(!bridge.wire().includes('"method":"initialize"'), 'nothing was replayed');
      const again = await client.listen({ resourceSubscriptions: [WATCHED_URI] });
      const updated = new Promise<string>((resolve) =>
        client.setNotificationHandler('notifications/resources/updated', (notification) =>
          resolve(notification.params.uri),
        ),
      );
      second.resourceUpdated(WATCHED_URI);
      assert.equal(await updated, WATCHED_URI, 'the new listen is on the pod now in use');
      assert.ok(again);
    } finally {
      await client.close();
      await bridge.running;
      await first.close();
      await second.close();
    }
  },
);

test(
  '2026-07-28: an HTTP error with a JSON-RPC body is the server’s answer (the pod is kept); a request in flight when stdin ends is still answered',
  GUARD,
  async () => {
    const server = await startModernServer();
    const bridge = startBridge(server.port);
    const agent = rawAgent(bridge);
    try {
      // ping is gone from 2026-07-28: the server answers 404 with a JSON-RPC error.
      const ping = await agent.ask(1, 'ping', { _meta: envelope });
      assert.equal(ping.error?.code, -32601, JSON.stringify(ping));
      assert.notEqual(ping.error?.code, RELAY_ERROR_CODE);
      // A version the server does not serve: 400, -32022.
      const unsupported = await agent.ask(2, 'tools/list', {
        _meta: { ...envelope, [PROTOCOL_VERSION_META_KEY]: '2099-01-01' },
      });
      assert.equal(unsupported.error?.code, -32022, JSON.stringify(unsupported));
      assert.ok(!bridge.log.some((line) => line.startsWith('dropped')), bridge.log.join('\n'));

      const slow = agent.answer(3);
      agent.send({ id: 3, method: 'tools/call', params: { name: 'slow', arguments: {}, _meta: envelope } });
      const ended = new Promise((resolve) => bridge.stdin.once('end', resolve));
      bridge.stdin.end();
      await ended;
      server.releaseSlow();
      const answered = await slow;
      assert.deepEqual((answered.result as { content?: unknown }).content, [{ type: 'text', text: 'done' }]);
      await bridge.running;
    } finally {
      bridge.stdin.end();
      await bridge.running;
      await server.close();
    }
  },
);

/** Resolves once `ready()` holds, checking again on each turn of the event loop. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}
