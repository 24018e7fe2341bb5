/**
 * The Streamable HTTP edge over real HTTP, with a sidecar whose API server cannot be reached (nothing listens
 * on https://127.0.0.1:1): initialize and tools/list need no API server, and a tool call must answer
 * "unreachable" without taking the server down. The refusals are checked with raw requests, the protocol with
 * the SDK's own client transport. Against a real API server: test/e2e/sidecar/process.test.ts.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeSidecarEnv } from '@podmcp/core';
import { pino } from 'pino';
import { createClaimBook } from '../src/governance/claims.ts';
import { MODERN_ERA_ENABLED } from '../src/mcp/wire/era.ts';
import { createSidecar } from '../src/sidecar.ts';
import { normalizeHostName } from '../src/transport/hosts.ts';
import { type RunningHttpTransport, startHttpTransport } from '../src/transport/http.ts';
import { claimedIdentity, createPeerAddressCaller } from '../src/transport/identity.ts';
import { type Authenticate, HttpRefusal } from '../src/transport/seams.ts';
import { INITIALIZE, kubeConfigFor, MCP_HEADERS } from './edge-fixtures.ts';

interface Edge {
  readonly transport: RunningHttpTransport;
  readonly audit: Array<Record<string, unknown>>;
}

async function startEdge(
  options: {
    server?: string;
    authenticate?: Authenticate;
    allowedHosts?: string[];
    maxBodyBytes?: number;
    maxSessions?: number;
    sessionEvictableMs?: number;
  } = {},
): Promise<Edge> {
  const decoded = decodeSidecarEnv({});
  if (!decoded.ok) throw new Error(decoded.errors.join('; '));
  const audit: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.audit) audit.push(record);
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const sidecar = createSidecar({
    settings: decoded.settings,
    connection: {
      kubeConfig: kubeConfigFor(options.server ?? 'https://127.0.0.1:1'),
      namespace: 'shop',
      namespaceSource: 'test',
    },
    logger,
  });
  const transport = await startHttpTransport({
    sidecar,
    host: '127.0.0.1',
    port: 0,
    logger,
    ...(options.authenticate ? { authenticate: options.authenticate } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.maxSessions ? { maxSessions: options.maxSessions } : {}),
    ...(options.sessionEvictableMs !== undefined ? { sessionEvictableMs: options.sessionEvictableMs } : {}),
  });
  edges.add(transport);
  return { transport, audit };
}

const edges = new Set<RunningHttpTransport>();
afterEach(async () => {
  for (const edge of edges) await edge.close({ drainMs: 0 });
  edges.clear();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): { jsonrpc?: string; error?: { code: number; message: string }; id?: unknown; result?: unknown };
}

function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: options.headers ?? {},
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function connectClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'podmcp-http-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('\n');
}

describe('the HTTP edge refuses what is not a well-formed MCP POST', () => {
  let edge: Edge;
  before(async () => {
    edge = await startEdge();
    edges.delete(edge.transport); // shared by this describe; closed in after()
  });
  after(() => edge.transport.close({ drainMs: 0 }));

  test('a foreign Host header is 403 with a JSON-RPC error, before the body is read', async () => {
    for (const host of ['evil.example', `evil.example:${edge.transport.port}`, '10.1.2.3']) {
      const answer = await send(edge.transport.port, {
        headers: { ...MCP_HEADERS, host },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 403, host);
      assert.equal(answer.json().jsonrpc, '2.0');
      assert.match(answer.json().error?.message ?? '', /Invalid Host header/);
    }
  });

  test('loopback Host names, with or without the port, are accepted', async () => {
    for (const host of ['localhost', `localhost:${edge.transport.port}`, `127.0.0.1:${edge.transport.port}`, '[::1]']) {
      const answer = await send(edge.transport.port, {
        headers: { ...MCP_HEADERS, host },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 200, host);
    }
  });

  test('a foreign Origin is 403; an absent Origin or a loopback one is fine', async () => {
    for (const origin of ['http://evil.example', 'https://evil.example:443', 'null', 'file://']) {
      const answer = await send(edge.transport.port, {
        headers: { ...MCP_HEADERS, origin },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 403, origin);
      assert.match(answer.json().error?.message ?? '', /Invalid Origin header/);
    }
    for (const origin of [`http://localhost:${edge.transport.port}`, 'http://127.0.0.1:6274']) {
      const answer = await send(edge.transport.port, {
        headers: { ...MCP_HEADERS, origin },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 200, origin);
    }
  });

  test('GET without a session id and PUT are 405 with Allow: GET, POST, DELETE; DELETE needs a session id', async () => {
    for (const method of ['GET', 'PUT']) {
      const answer = await send(edge.transport.port, { method, headers: { accept: 'text/event-stream' } });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'GET, POST, DELETE');
      assert.equal(answer.json().error?.code, -32000);
    }
    const deleted = await send(edge.transport.port, { method: 'DELETE' });
    assert.equal(deleted.status, 400);
    assert.match(deleted.json().error?.message ?? '', /Mcp-Session-Id header is required/);
  });

  test('a body above the limit is 413 with a JSON-RPC error', async () => {
    const big = JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(1024 * 1024) });
    const answer = await send(edge.transport.port, { headers: MCP_HEADERS, body: big });
    assert.equal(answer.status, 413);
    assert.equal(answer.json().jsonrpc, '2.0');
    assert.match(answer.json().error?.message ?? '', /1048576-byte limit/);
  });

  test('a content type other than application/json is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const answer = await send(edge.transport.port, {
        headers: { ...MCP_HEADERS, 'content-type': type },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 415, type);
    }
    const none = await send(edge.transport.port, { headers: { accept: MCP_HEADERS.accept }, body: '{}' });
    assert.equal(none.status, 415);
    const withCharset = await send(edge.transport.port, {
      headers: { ...MCP_HEADERS, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(withCharset.status, 200);
  });

  test('malformed JSON is 400 with the JSON-RPC parse error', async () => {
    const answer = await send(edge.transport.port, { headers: MCP_HEADERS, body: '{"jsonrpc": "2.0", "id": 1,' });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json(), {
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error: Invalid JSON.' },
      id: null,
    });
    const notJsonRpc = await send(edge.transport.port, { headers: MCP_HEADERS, body: '{"hello": "world"}' });
    assert.equal(notJsonRpc.status, 400);
    // JSON that is no JSON-RPC message: the SDK's era classification answers it as an invalid request.
    assert.equal(notJsonRpc.json().error?.code, MODERN_ERA_ENABLED ? -32600 : -32700);
  });

  test('other paths are 404', async () => {
    const answer = await send(edge.transport.port, { path: '/', headers: MCP_HEADERS, body: '{}' });
    assert.equal(answer.status, 404);
  });

  test('initialize and tools/list work over real HTTP with the SDK client transport', async () => {
    const client = await connectClient(edge.transport.url);
    try {
      assert.equal(client.getServerVersion()?.name, 'podmcp');
      assert.match(client.getInstructions() ?? '', /namespace shop only/);
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'list_pods'));
      assert.ok(tools.every((tool) => tool.annotations?.openWorldHint === false));
    } finally {
      await client.close();
    }
  });

  test('a tool call while the API server is unreachable answers isError "unreachable", and serving goes on', async () => {
    const client = await connectClient(edge.transport.url);
    try {
      const result = await client.callTool({ name: 'list_pods', arguments: {} });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /unreachable/);
      const again = await client.listTools();
      assert.ok(again.tools.length > 0);
      const second = await client.callTool({ name: 'list_pods', arguments: {} });
      assert.match(textOf(second), /unreachable/);
    } finally {
      await client.close();
    }
    const audited = edge.audit.filter((record) => record.name === 'list_pods');
    assert.ok(audited.length >= 2);
    assert.ok(audited.every((record) => record.outcome === 'error' && record.error === 'unreachable'));
    // The default caller is the peer address; it keys the rate limit and names the caller in the audit.
    assert.ok(audited.every((record) => record.caller === 'http:127.0.0.1' && record.transport === 'http'));
  });
});

/** The JSON-RPC messages of an answer, whether plain JSON or an SSE stream. */
function messagesOf(answer: Answer): Array<ReturnType<Answer['json']>> {
  if (!String(answer.headers['content-type']).startsWith('text/event-stream')) return [answer.json()];
  return answer.text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)));
}

describe('sessions: initialize starts one, bound to its caller; everything else works without one', () => {
  const claimed = (who: string) => ({ 'podmcp-claimed-identity': who });
  const initialize = async (edge: Edge, who = 'alice') => {
    const answer = await send(edge.transport.port, {
      headers: { ...MCP_HEADERS, ...claimed(who) },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(answer.status, 200, answer.text);
    const id = answer.headers['mcp-session-id'];
    assert.equal(typeof id, 'string');
    return id as string;
  };
  const listTools = (edge: Edge, session: string | undefined, who = 'alice') =>
    send(edge.transport.port, {
      headers: {
        ...MCP_HEADERS,
        ...claimed(who),
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });

  test('a session answers its creator; another caller presenting its id gets 404, and the session lives on', async () => {
    const edge = await startEdge();
    const session = await initialize(edge, 'alice');
    assert.equal(edge.transport.sessions(), 1);
    const own = await listTools(edge, session, 'alice');
    assert.equal(own.status, 200);
    const listed = messagesOf(own)[0]?.result as { tools: unknown[] } | undefined;
    assert.ok((listed?.tools.length ?? 0) > 0);
    for (const who of ['mallory', '']) {
      const borrowed = await listTools(edge, session, who);
      assert.equal(borrowed.status, 404, who);
      assert.equal(borrowed.json().error?.code, -32001);
      const deleted = await send(edge.transport.port, {
        method: 'DELETE',
        headers: { ...claimed(who), 'mcp-session-id': session },
      });
      assert.equal(deleted.status, 404, `DELETE by ${who || 'an anonymous caller'}`);
    }
    assert.equal((await listTools(edge, session, 'alice')).status, 200);
    assert.equal(edge.transport.sessions(), 1);
  });

  test('DELETE by its creator ends the session; its id is then 404, so the client initializes again', async () => {
    const edge = await startEdge();
    const session = await initialize(edge);
    const deleted = await send(edge.transport.port, {
      method: 'DELETE',
      headers: { ...claimed('alice'), 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
    });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(edge.transport.sessions(), 0);
    const after = await listTools(edge, session);
    assert.equal(after.status, 404);
    assert.equal(after.json().error?.code, -32001);
    assert.equal((await listTools(edge, 'never-issued')).status, 404);
  });

  test('without a session id, a request that is not initialize is served statelessly, as JSON', async () => {
    const edge = await startEdge();
    const answer = await listTools(edge, undefined);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['mcp-session-id'], undefined);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.ok((answer.json().result as { tools: unknown[] }).tools.length > 0);
    assert.equal(edge.transport.sessions(), 0);
  });

  test('bounded: past the maximum, the session idle the longest ends (404) and the count stays at the bound', async () => {
    const edge = await startEdge({ maxSessions: 2, sessionEvictableMs: 0 });
    const first = await initialize(edge);
    const second = await initialize(edge);
    const third = await initialize(edge);
    assert.equal(edge.transport.sessions(), 2);
    assert.equal((await listTools(edge, first)).status, 404);
    assert.equal((await listTools(edge, second)).status, 200);
    assert.equal((await listTools(edge, third)).status, 200);
  });

  test('full of sessions used within the last minute: a newcomer is served without a session, nobody is cut', async () => {
    const edge = await startEdge({ maxSessions: 2 });
    const first = await initialize(edge);
    const second = await initialize(edge);
    const newcomer = await send(edge.transport.port, {
      headers: { ...MCP_HEADERS, ...claimed('carol') },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(newcomer.status, 200);
    assert.equal(newcomer.headers['mcp-session-id'], undefined);
    assert.equal(edge.transport.sessions(), 2);
    assert.equal((await listTools(edge, first)).status, 200);
    assert.equal((await listTools(edge, second)).status, 200);
    assert.equal((await listTools(edge, undefined, 'carol')).status, 200);
  });

  test('the SDK client keeps its session for every request, and close() ends every session', async () => {
    const edge = await startEdge();
    const client = await connectClient(edge.transport.url, claimed('alice'));
    try {
      await client.listTools();
      await client.listTools();
      assert.equal(edge.transport.sessions(), 1);
    } finally {
      await client.close();
    }
    await edge.transport.close({ drainMs: 0 });
    assert.equal(edge.transport.sessions(), 0);
  });
});

describe('configuration of the edge', () => {
  test('--allowed-host names (and a pod IP) are accepted as Host and as the host of an Origin', async () => {
    const { transport } = await startEdge({ allowedHosts: ['web.shop.svc', '10.244.0.7', 'fd00::7'] });
    for (const host of ['web.shop.svc:9810', '10.244.0.7', '[fd00::7]:9810']) {
      const answer = await send(transport.port, {
        headers: { ...MCP_HEADERS, host },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(answer.status, 200, host);
    }
    const origin = await send(transport.port, {
      headers: { ...MCP_HEADERS, origin: 'https://web.shop.svc' },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(origin.status, 200);
  });

  test('normalizeHostName: ports dropped, case folded, IPv6 bracketed, junk refused', () => {
    assert.equal(normalizeHostName('LocalHost:9810'), 'localhost');
    assert.equal(normalizeHostName('fd00::7'), '[fd00::7]');
    assert.equal(normalizeHostName('[::1]:80'), '[::1]');
    assert.equal(normalizeHostName(''), undefined);
    assert.equal(normalizeHostName('a/b'), undefined);
    assert.equal(normalizeHostName('user@host'), undefined);
  });

  test('the body limit is an option', async () => {
    const { transport } = await startEdge({ maxBodyBytes: 512 });
    const answer = await send(transport.port, {
      headers: MCP_HEADERS,
      body: JSON.stringify({ ...INITIALIZE, padding: 'x'.repeat(600) }),
    });
    assert.equal(answer.status, 413);
    assert.match(answer.json().error?.message ?? '', /512-byte limit/);
  });

  test('a claimed identity names the caller as claimed; two agents through one port-forward are two callers', async () => {
    const { transport, audit } = await startEdge();
    for (const claimed of ['alice#0a1b2c3d', 'alice#99ff00ee']) {
      const client = await connectClient(transport.url, { 'podmcp-claimed-identity': claimed });
      try {
        await client.callTool({ name: 'list_pods', arguments: {} });
      } finally {
        await client.close();
      }
    }
    const calls = audit.filter((record) => record.name === 'list_pods');
    assert.deepEqual(
      calls.map((record) => [record.caller, record.claimed]),
      [
        ['claimed:alice#0a1b2c3d', 'alice#0a1b2c3d'],
        ['claimed:alice#99ff00ee', 'alice#99ff00ee'],
      ],
    );
  });

  test('claimedIdentity: printable, bounded, absent when empty', () => {
    const of = (value: string | string[] | undefined) =>
      claimedIdentity({ headers: { 'podmcp-claimed-identity': value } } as unknown as IncomingMessage);
    assert.equal(of('bob@cluster#12ab'), 'bob@cluster#12ab');
    assert.equal(of('evil\n{"audit":true} x'), 'evil_audit_:true_x');
    assert.equal(of('x'.repeat(500))?.length, 128);
    assert.equal(of('  '), undefined);
    assert.equal(of(undefined), undefined);
    assert.equal(of(['first', 'second']), 'first');
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'eyJzdWIiOiJzeXN0ZW0ifQ'}.${'c2lnbmF0dXJlLWJ5dGVz'}`;
    assert.equal(of(`${jwt}#1`), '[REDACTED]#1', 'a token pasted as a claim is never kept');
  });

  test('a peer that rotates its claim shares one overflow caller past the bound', () => {
    const authenticate = createPeerAddressCaller(createClaimBook({ claimsPerPeer: 2 }));
    const callerOf = (claim: string) =>
      (
        authenticate({
          headers: { 'podmcp-claimed-identity': claim },
          socket: { remoteAddress: '127.0.0.1' },
        } as unknown as IncomingMessage) as { id: string }
      ).id;
    assert.deepEqual(['a#1', 'b#2', 'c#3', 'd#4', 'a#1'].map(callerOf), [
      'claimed:a#1',
      'claimed:b#2',
      'claimed-overflow:127.0.0.1',
      'claimed-overflow:127.0.0.1',
      'claimed:a#1',
    ]);
  });

  test('with authentication the verified caller wins; the claimed identity is only recorded', async () => {
    const authenticate: Authenticate = () => ({ id: 'system:serviceaccount:shop:agent', transport: 'http' });
    const { transport, audit } = await startEdge({ authenticate });
    const client = await connectClient(transport.url, { 'podmcp-claimed-identity': 'admin#1' });
    try {
      await client.callTool({ name: 'list_pods', arguments: {} });
    } finally {
      await client.close();
    }
    const call = audit.find((record) => record.name === 'list_pods');
    assert.equal(call?.caller, 'system:serviceaccount:shop:agent');
    assert.equal(call?.claimed, 'admin#1');
  });

  test('the authenticate() seam decides the caller, or refuses with its own status and headers', async () => {
    const authenticate: Authenticate = (req) => {
      const token = req.headers.authorization;
      if (token !== 'Bearer agent-7') {
        throw new HttpRefusal(401, 'Authentication required.', { 'WWW-Authenticate': 'Bearer realm="podmcp"' });
      }
      return { id: 'agent-7', transport: 'http' };
    };
    const { transport, audit } = await startEdge({ authenticate });
    const refused = await send(transport.port, { headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="podmcp"');
    assert.equal(refused.json().error?.message, 'Authentication required.');

    const client = await connectClient(transport.url, { authorization: 'Bearer agent-7' });
    try {
      await client.callTool({ name: 'list_pods', arguments: {} });
    } finally {
      await client.close();
    }
    assert.ok(audit.some((record) => record.name === 'list_pods' && record.caller === 'agent-7'));
  });
});

/**
 * An address that accepts TCP connections and then says nothing (a hung API server, a dropped route): a
 * request to it stays in flight until the socket is released. It does not speak HTTP, let alone the API.
 */
async function blackhole(): Promise<{ server: Server; url: string; sockets: Set<Socket>; connected: Promise<void> }> {
  const sockets = new Set<Socket>();
  let onConnect: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    onConnect = resolve;
  });
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnect();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `https://127.0.0.1:${port}`, sockets, connected };
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('closing drains', () => {
  test('close() stops accepting at once, and the request in flight still gets its full answer', async () => {
    const hole = await blackhole();
    try {
      const { transport } = await startEdge({ server: hole.url });
      const client = await connectClient(transport.url);
      const call = client.callTool({ name: 'list_pods', arguments: {} });
      await hole.connected; // the tool call now waits on the API server
      assert.equal(transport.inFlight(), 1);

      const closed = transport.close({ drainMs: 60_000 });
      assert.equal(await refusesConnections(transport.port), true, 'no new connections once closing');
      // The API server "answers" (drops the connection): the tool completes and the answer is delivered.
      for (const socket of hole.sockets) socket.destroy();
      const result = await call;
      assert.equal(result.isError, true);
      assert.match(textOf(result), /unreachable/);
      await closed;
      assert.equal(transport.inFlight(), 0);
      await client.close();
    } finally {
      hole.server.close();
      for (const socket of hole.sockets) socket.destroy();
    }
  });

  test('the drain is bounded: a request that never finishes is cut off and close() still resolves', async () => {
    const hole = await blackhole();
    try {
      const { transport } = await startEdge({ server: hole.url });
      const client = await connectClient(transport.url);
      const call = client.callTool({ name: 'list_pods', arguments: {} });
      await hole.connected;
      await transport.close({ drainMs: 100 });
      await assert.rejects(call);
      assert.equal(await refusesConnections(transport.port), true);
      await client.close();
    } finally {
      hole.server.close();
      for (const socket of hole.sockets) socket.destroy();
    }
  });
});
