/**
 * A 2025 session's standalone GET stream over the real HTTP edge, against stub SDK servers: only the session's
 * creator opens it (one per session), the SDK client opens it by itself after initialize and receives on it the
 * resources/updated its server sends outside any request, it is no request in flight (a drain closes it at once
 * and does not wait for it), it keeps its session from expiring as idle, and it ends with its session.
 */
import assert from 'node:assert/strict';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { type RunningHttpTransport, startHttpTransport } from '../src/transport/http.ts';
import { type Authenticate, type Authorize, HttpRefusal, type ServerSource } from '../src/transport/seams.ts';
import { INITIALIZE, MCP_HEADERS, stubSource } from './edge-fixtures.ts';

const edges = new Set<RunningHttpTransport>();
const opened = new Set<ClientRequest>();
afterEach(async () => {
  for (const stream of opened) stream.destroy();
  opened.clear();
  for (const edge of edges) await edge.close({ drainMs: 0 });
  edges.clear();
});

async function startEdge(
  source: ServerSource,
  options: { sessionIdleMs?: number; authenticate?: Authenticate; authorize?: Authorize } = {},
) {
  const edge = await startHttpTransport({
    sidecar: source,
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    modernEra: false,
    ...options,
  });
  edges.add(edge);
  return edge;
}

const claimed = (who: string) => ({ 'podmcp-claimed-identity': who });
const inSession = (session: string) => ({ 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });

/** An answer read to its end. */
function send(port: number, method: string, headers: Record<string, string>, body?: unknown) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; text: string }>((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, method, path: '/mcp', headers, agent: false }, (answer) => {
      let text = '';
      answer.on('data', (chunk) => {
        text += chunk;
      });
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, text }));
    });
    call.on('error', reject);
    call.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function initialize(port: number, who = 'alice'): Promise<string> {
  const answer = await send(port, 'POST', { ...MCP_HEADERS, ...claimed(who), authorization: 'Bearer ok' }, INITIALIZE);
  assert.equal(answer.status, 200, answer.text);
  const id = answer.headers['mcp-session-id'];
  assert.equal(typeof id, 'string');
  return id as string;
}

interface OpenStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** Everything received so far. */
  text(): string;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
}

/** A GET whose answer is not read to its end: resolves with its status once the headers arrive. */
function openGet(port: number, headers: Record<string, string>): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const call = request(
      { host: '127.0.0.1', port, method: 'GET', path: '/mcp', headers: { accept: 'text/event-stream', ...headers } },
      (answer) => {
        let text = '';
        answer.on('data', (chunk) => {
          text += chunk;
        });
        const ended = new Promise<void>((done) => answer.on('close', () => done()));
        resolve({ status: answer.statusCode ?? 0, headers: answer.headers, text: () => text, ended });
      },
    );
    opened.add(call);
    call.on('error', reject);
    call.end();
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("a 2025 session's GET stream", () => {
  test('only the creator of a session opens its stream, once; another caller or an unknown id is 404', async () => {
    const edge = await startEdge(stubSource().source);
    const session = await initialize(edge.port);
    const stream = await openGet(edge.port, { ...claimed('alice'), ...inSession(session) });
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    assert.equal(edge.streams(), 1);

    const foreign = await send(edge.port, 'GET', {
      accept: 'text/event-stream',
      ...claimed('mallory'),
      ...inSession(session),
    });
    assert.equal(foreign.status, 404);
    assert.equal(JSON.parse(foreign.text).error.code, -32001);
    const unknown = await send(edge.port, 'GET', {
      accept: 'text/event-stream',
      ...claimed('alice'),
      ...inSession('never-issued'),
    });
    assert.equal(unknown.status, 404);
    const second = await send(edge.port, 'GET', {
      accept: 'text/event-stream',
      ...claimed('alice'),
      ...inSession(session),
    });
    assert.equal(second.status, 409, 'one stream per session');
    assert.equal(edge.sessions(), 1, 'a refused GET ends no session');
  });

  test('without a session id a GET is 405, and other methods are too, with Allow: GET, POST, DELETE', async () => {
    const edge = await startEdge(stubSource().source);
    for (const method of ['GET', 'PUT']) {
      const answer = await send(edge.port, method, { accept: 'text/event-stream' });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'GET, POST, DELETE');
    }
  });

  test('a GET meets authentication and authorization as a POST does, before any session is looked up', async () => {
    const asked: unknown[] = [];
    const edge = await startEdge(stubSource().source, {
      authenticate: (request) => {
        if (request.headers.authorization !== 'Bearer ok')
          throw new HttpRefusal(401, 'Unauthorized.', { 'WWW-Authenticate': 'Bearer' });
        return { id: 'alice', transport: 'http' };
      },
      authorize: (caller, body, request) => {
        asked.push(body);
        if (request.method === 'GET' && request.headers['x-test-refuse'] === 'yes')
          throw new HttpRefusal(403, 'Forbidden.');
        return caller;
      },
    });
    const session = await initialize(edge.port);
    // Read to their headers only: a GET let through would be an open stream.
    const stream = { ...claimed('alice'), ...inSession(session) };
    assert.equal((await openGet(edge.port, stream)).status, 401);
    assert.equal(
      (await openGet(edge.port, { ...stream, authorization: 'Bearer ok', 'x-test-refuse': 'yes' })).status,
      403,
    );
    assert.equal(asked.at(-1), undefined, 'a GET is authorized with no message');
    const open = await openGet(edge.port, { ...claimed('alice'), ...inSession(session), authorization: 'Bearer ok' });
    assert.equal(open.status, 200);
  });

  test('the SDK client opens it after initialize and hears resources/updated on it; it ends with the session', async () => {
    const stub = stubSource();
    const edge = await startEdge(stub.source);
    const client = new Client({ name: 'podmcp-stream-test', version: '1.0.0' });
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    const transport = new StreamableHTTPClientTransport(new URL(edge.url), {
      requestInit: { headers: claimed('alice') },
    });
    await client.connect(transport);
    try {
      await until(() => edge.streams() === 1);
      await client.subscribeResource({ uri: 'podmcp://self' });
      const [subscription] = stub.subscriptions;
      assert.ok(subscription);
      await subscription.update();
      await until(() => updates.length > 0);
      assert.deepEqual(updates, ['podmcp://self']);

      await transport.terminateSession();
      await until(() => edge.streams() === 0);
      assert.equal(edge.sessions(), 0);
      assert.equal(subscription.released, true, 'the session ending gives its subscription back');
    } finally {
      await client.close();
    }
  });

  // The timeout only turns a drain held by the stream into a failure instead of a hang.
  test('no request in flight: a drain closes it at once while a request in flight still finishes', {
    timeout: 60_000,
  }, async () => {
    const stub = stubSource();
    const edge = await startEdge(stub.source);
    const session = await initialize(edge.port);
    const stream = await openGet(edge.port, { ...claimed('alice'), ...inSession(session) });
    assert.equal(stream.status, 200);
    assert.equal(edge.inFlight(), 0, 'an open GET stream is not in flight');

    const call = send(
      edge.port,
      'POST',
      { ...MCP_HEADERS, ...claimed('alice'), ...inSession(session) },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: {} } },
    );
    await until(() => edge.inFlight() === 1);
    const closed = edge.close({ drainMs: 10 * 60_000 });
    await stream.ended;
    assert.equal(edge.inFlight(), 1, 'the stream ended while the tool call was still in flight');
    stub.release();
    const answered = await call;
    assert.equal(answered.status, 200);
    assert.match(answered.text, /ran as claimed:alice/);
    await closed;
  });

  test('a session whose stream is open is not expired as idle; once it closes, the session expires', async () => {
    const edge = await startEdge(stubSource().source, { sessionIdleMs: 1_000 });
    const session = await initialize(edge.port);
    const stream = await openGet(edge.port, { ...claimed('alice'), ...inSession(session) });
    assert.equal(stream.status, 200);
    // Sweeps of a 1 s expiry pass while the stream is open.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const listed = await send(
      edge.port,
      'POST',
      { ...MCP_HEADERS, ...claimed('alice'), ...inSession(session) },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    );
    assert.equal(listed.status, 200, 'the listening session lives on');
    for (const call of opened) call.destroy();
    await stream.ended;
    await until(() => edge.sessions() === 0);
  });
});
