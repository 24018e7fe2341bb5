/**
 * 2026-07-28 over the real Streamable HTTP edge, with raw requests: the edge's own checks (Host, Origin,
 * authentication, body) still answer first; then the SDK's modern entry validates the protocol version and
 * the MCP headers against the body, answers server/discover and every result with resultType, serverInfo and
 * cache fields, and never touches the session table. A listen is acknowledged with only the URIs its caller
 * was granted, hears their changes, gives its grant back when its stream closes, and is ended by a drain.
 */
import assert from 'node:assert/strict';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { afterEach, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeSidecarEnv } from '@podmcp/core';
import { type Logger, pino } from 'pino';
import { createSidecar } from '../src/sidecar.ts';
import { type RunningHttpTransport, startHttpTransport } from '../src/transport/http.ts';
import { type Authenticate, HttpRefusal, type ServerSource } from '../src/transport/seams.ts';
import {
  INITIALIZE,
  kubeConfigFor,
  listenRequest,
  MCP_HEADERS,
  MODERN,
  modernMeta,
  modernRequest,
  stubSource,
} from './edge-fixtures.ts';

const edges = new Set<RunningHttpTransport>();
afterEach(async () => {
  for (const edge of edges) await edge.close({ drainMs: 0 });
  edges.clear();
});

async function startEdge(
  options: { source?: ServerSource; authenticate?: Authenticate; drainMs?: number; maxListens?: number } = {},
): Promise<RunningHttpTransport> {
  const logger: Logger = pino({ level: 'silent' });
  const edge = await startHttpTransport({
    sidecar: options.source ?? realSidecar(logger),
    host: '127.0.0.1',
    port: 0,
    logger,
    modernEra: true,
    ...(options.maxListens === undefined ? {} : { maxListens: options.maxListens }),
    ...(options.authenticate ? { authenticate: options.authenticate } : {}),
  });
  edges.add(edge);
  return edge;
}

/** A sidecar whose API server cannot be reached: listings and discovery need none. */
function realSidecar(logger: Logger) {
  const decoded = decodeSidecarEnv({});
  if (!decoded.ok) throw new Error(decoded.errors.join('; '));
  return createSidecar({
    settings: decoded.settings,
    connection: { kubeConfig: kubeConfigFor('https://127.0.0.1:1'), namespace: 'shop', namespaceSource: 'test' },
    logger,
  });
}

/** The headers a 2026-07-28 client derives from the body. */
function headersFor(body: { method: string; params?: Record<string, unknown> }): Record<string, string> {
  const name = body.params?.name ?? body.params?.uri;
  return {
    ...MCP_HEADERS,
    'mcp-protocol-version': MODERN,
    'mcp-method': body.method,
    ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown> & {
    error?: { code: number; message: string };
    result?: Record<string, unknown>;
  };
}

function post(port: number, body: unknown, headers: Record<string, string>, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/mcp', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parseAnswer(text) });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A JSON body, or the last JSON-RPC message of an SSE body. */
function parseAnswer(text: string): Answer['body'] {
  if (text.trim() === '') return {};
  if (!text.startsWith('event:') && !text.startsWith('data:') && !text.startsWith(':')) return JSON.parse(text);
  const data = text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)));
  return data.at(-1) ?? {};
}

function modern(port: number, body: ReturnType<typeof modernRequest>, extra: Record<string, string> = {}) {
  return post(port, body, { ...headersFor(body), ...extra });
}

describe('2026-07-28 requests on the HTTP edge', () => {
  test('server/discover names 2026-07-28, with resultType and serverInfo', async () => {
    const edge = await startEdge();
    const answer = await modern(edge.port, modernRequest(1, 'server/discover'));
    assert.equal(answer.status, 200);
    const result = answer.body.result ?? {};
    assert.ok((result.supportedVersions as string[]).includes(MODERN));
    assert.equal(result.resultType, 'complete');
    assert.ok((result._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']);
    assert.equal(edge.sessions(), 0);
  });

  test('tools/list carries resultType, serverInfo and the cache fields', async () => {
    const edge = await startEdge();
    const answer = await modern(edge.port, modernRequest(1, 'tools/list'));
    assert.equal(answer.status, 200);
    const result = answer.body.result ?? {};
    assert.equal(result.resultType, 'complete');
    assert.ok((result.tools as unknown[]).length > 0);
    assert.equal(typeof result.ttlMs, 'number');
    assert.equal(result.cacheScope, 'private', 'a catalogue narrowed per caller is never shared');
    assert.ok((result._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']);
  });

  test('a resource that does not exist is -32602', async () => {
    const edge = await startEdge();
    const answer = await modern(edge.port, modernRequest(1, 'resources/read', { uri: 'podmcp://nothing-here' }));
    assert.equal(answer.body.error?.code, -32602);
  });

  test('MCP headers that disagree with the body, or are missing, are 400 -32020', async () => {
    const edge = await startEdge();
    const body = modernRequest(1, 'tools/list');
    const wrongMethod = await modern(edge.port, body, { 'mcp-method': 'tools/call' });
    assert.equal(wrongMethod.status, 400);
    assert.equal(wrongMethod.body.error?.code, -32020);
    const wrongVersion = await modern(edge.port, body, { 'mcp-protocol-version': '2025-11-25' });
    assert.equal(wrongVersion.status, 400);
    assert.equal(wrongVersion.body.error?.code, -32020);
    const { 'mcp-method': _dropped, ...withoutMethod } = headersFor(body);
    const missing = await post(edge.port, body, withoutMethod);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error?.code, -32020);
    const call = modernRequest(2, 'tools/call', { name: 'list_pods', arguments: {} });
    const { 'mcp-name': _name, ...withoutName } = headersFor(call);
    const noName = await post(edge.port, call, withoutName);
    assert.equal(noName.status, 400);
    assert.equal(noName.body.error?.code, -32020);
  });

  test('an unsupported protocol version is 400 -32022', async () => {
    const edge = await startEdge();
    const body = {
      ...modernRequest(1, 'tools/list'),
      params: { _meta: { ...modernMeta(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
    };
    const answer = await post(edge.port, body, { ...headersFor(body), 'mcp-protocol-version': '2099-01-01' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, -32022);
  });

  test('ping is gone in 2026-07-28: -32601', async () => {
    const edge = await startEdge();
    const answer = await modern(edge.port, modernRequest(1, 'ping'));
    assert.equal(answer.body.error?.code, -32601);
  });

  test('Host, Origin and authentication are still answered first', async () => {
    const refusing: Authenticate = () => {
      throw new HttpRefusal(401, 'Unauthorized: no token.', { 'WWW-Authenticate': 'Bearer' });
    };
    const edge = await startEdge({ authenticate: refusing });
    const body = modernRequest(1, 'tools/list');
    const host = await modern(edge.port, body, { host: 'evil.example' });
    assert.equal(host.status, 403);
    assert.match(host.body.error?.message ?? '', /Invalid Host header/);
    const origin = await modern(edge.port, body, { origin: 'http://evil.example' });
    assert.equal(origin.status, 403);
    assert.match(origin.body.error?.message ?? '', /Invalid Origin header/);
    const unauthenticated = await modern(edge.port, body);
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.headers['www-authenticate'], 'Bearer');
  });

  test('GET is 405 for 2026-07-28 clients (no session, so no standalone stream: they listen)', async () => {
    const edge = await startEdge();
    const answer = await post(edge.port, undefined, { ...headersFor(modernRequest(1, 'tools/list')) }, 'GET');
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'GET, POST, DELETE');
  });

  test('a modern request with a session id is served without the session table', async () => {
    const stub = stubSource();
    stub.release();
    const edge = await startEdge({ source: stub.source });
    const started = await post(edge.port, INITIALIZE, MCP_HEADERS);
    const session = started.headers['mcp-session-id'];
    assert.equal(typeof session, 'string');
    assert.equal(edge.sessions(), 1);
    for (const id of [String(session), 'no-such-session']) {
      const answer = await modern(edge.port, modernRequest(2, 'tools/list'), { 'mcp-session-id': id });
      assert.equal(answer.status, 200, id);
      assert.equal(answer.body.result?.resultType, 'complete');
      assert.equal(answer.headers['mcp-session-id'], undefined);
    }
    assert.equal(edge.sessions(), 1);
    assert.deepEqual(stub.eras, ['legacy', 'modern', 'modern']);
  });

  test('each modern request runs as the caller the edge authenticated', async () => {
    const stub = stubSource();
    stub.release();
    const authenticate: Authenticate = (req) => ({ id: String(req.headers['x-who']), transport: 'http' });
    const edge = await startEdge({ source: stub.source, authenticate });
    for (const who of ['alice', 'bob']) {
      const call = modernRequest(1, 'tools/call', { name: 'slow', arguments: {} });
      const answer = await modern(edge.port, call, { 'x-who': who });
      assert.match(JSON.stringify(answer.body.result), new RegExp(`ran as ${who}`));
    }
  });
});

describe('the SDK client against the edge', () => {
  for (const mode of ['auto', { pin: MODERN }] as const) {
    test(`negotiates 2026-07-28 (${typeof mode === 'string' ? mode : 'pinned'}) and lists the tools`, async () => {
      const edge = await startEdge();
      const client = new Client({ name: 'podmcp-modern-test', version: '1.0.0' }, { versionNegotiation: { mode } });
      await client.connect(new StreamableHTTPClientTransport(new URL(edge.url)));
      try {
        assert.equal(client.getProtocolEra(), 'modern');
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'list_pods'));
        assert.equal(edge.sessions(), 0);
      } finally {
        await client.close();
      }
    });
  }

  test('a 2025 client still initializes a session', async () => {
    const edge = await startEdge();
    const client = new Client({ name: 'podmcp-legacy-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(edge.url)));
    try {
      assert.equal(client.getProtocolEra(), 'legacy');
      assert.ok((await client.listTools()).tools.length > 0);
      assert.equal(edge.sessions(), 1);
    } finally {
      await client.close();
    }
  });
});

/** An open SSE stream: its JSON-RPC messages as they come. */
interface Stream {
  readonly req: ClientRequest;
  readonly status: number;
  next(match: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly ended: Promise<void>;
}

function openStream(port: number, body: ReturnType<typeof modernRequest>, extra: Record<string, string> = {}) {
  return new Promise<Stream>((resolve, reject) => {
    const received: Array<Record<string, unknown>> = [];
    const waiting = new Set<() => void>();
    const taken = new Set<Record<string, unknown>>();
    let partial = '';
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/mcp',
        headers: { ...headersFor(body), ...extra },
        agent: false,
      },
      (response) => {
        const ended = new Promise<void>((done) => {
          response.on('end', done);
          response.on('close', done);
        });
        response.on('data', (chunk: Buffer) => {
          partial += chunk.toString('utf8');
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('data: ')) received.push(JSON.parse(line.slice(6)));
          for (const wake of [...waiting]) wake();
        });
        resolve({
          req,
          status: response.statusCode ?? 0,
          ended,
          next: (match) =>
            new Promise((found) => {
              const look = () => {
                const message = received.find((candidate) => !taken.has(candidate) && match(candidate));
                if (message === undefined) return;
                taken.add(message);
                waiting.delete(look);
                found(message);
              };
              waiting.add(look);
              look();
            }),
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const acknowledged = (message: Record<string, unknown>) =>
  message.method === 'notifications/subscriptions/acknowledged';

describe('2026-07-28 subscriptions/listen on the HTTP edge', () => {
  test('acknowledged with the granted URIs only; hears their changes; released when the stream closes', async () => {
    const stub = stubSource();
    const authenticate: Authenticate = () => ({ id: 'alice', transport: 'http' });
    const edge = await startEdge({ source: stub.source, authenticate });
    const stream = await openStream(edge.port, listenRequest(1, ['podmcp://self', 'podmcp://elsewhere/secret']));
    assert.equal(stream.status, 200);
    const ack = await stream.next(acknowledged);
    assert.deepEqual((ack.params as Record<string, unknown>).notifications, {
      resourceSubscriptions: ['podmcp://self'],
    });
    const [listen] = stub.listens;
    assert.ok(listen);
    assert.equal(listen.caller.id, 'alice');
    assert.deepEqual(listen.asked, ['podmcp://self', 'podmcp://elsewhere/secret']);

    listen.updated('podmcp://self');
    const updated = await stream.next((message) => message.method === 'notifications/resources/updated');
    assert.equal((updated.params as Record<string, unknown>).uri, 'podmcp://self');

    assert.equal(listen.released, false);
    stream.req.destroy();
    await waitFor(() => listen.released);
  });

  test("one listen's changes never reach another listen's stream", async () => {
    const stub = stubSource();
    const edge = await startEdge({ source: stub.source });
    const first = await openStream(edge.port, listenRequest(1, ['podmcp://self']));
    const second = await openStream(edge.port, listenRequest(1, ['podmcp://self']));
    await first.next(acknowledged);
    await second.next(acknowledged);
    stub.listens[0]?.updated('podmcp://self');
    await first.next((message) => message.method === 'notifications/resources/updated');
    stub.listens[1]?.updated('podmcp://self');
    await second.next((message) => message.method === 'notifications/resources/updated');
    first.req.destroy();
    second.req.destroy();
    await waitFor(() => stub.listens.every((listen) => listen.released));
  });

  test('a source with no change feeds acknowledges a listen with nothing in it', async () => {
    const stub = stubSource();
    const edge = await startEdge({ source: { server: stub.source.server } });
    const stream = await openStream(edge.port, listenRequest(1, ['podmcp://self']));
    const ack = await stream.next(acknowledged);
    assert.deepEqual((ack.params as Record<string, unknown>).notifications, {});
    await stream.ended;
  });

  test('closing the edge ends an open listen with its result, so the drain does not wait for it', async () => {
    const stub = stubSource();
    const edge = await startEdge({ source: stub.source });
    const stream = await openStream(edge.port, listenRequest(5, ['podmcp://self']));
    await stream.next(acknowledged);
    assert.equal(edge.inFlight(), 1, 'an open listen counts as in flight');
    await edge.close({ drainMs: 120_000 });
    const ended = await stream.next((message) => message.id === 5);
    assert.equal((ended.result as Record<string, unknown>).resultType, 'complete');
    await stream.ended;
    assert.equal(stub.listens[0]?.released, true);
  });

  test('open listens are bounded overall and per caller, refused with a JSON-RPC error, and given back on close', async () => {
    const stub = stubSource();
    // The caller is whoever the test says, so one edge sees several.
    const authenticate: Authenticate = (request) => ({
      id: String(request.headers['x-test-caller']),
      transport: 'http',
    });
    // Four listens at most, so one each (a quarter) for a caller.
    const edge = await startEdge({ source: stub.source, authenticate, maxListens: 4 });
    const as = (caller: string) => ({ 'x-test-caller': caller });
    const streams = new Map<string, Stream>();
    for (const caller of ['alice', 'bob', 'carol', 'dave']) {
      const stream = await openStream(edge.port, listenRequest(1, ['podmcp://self']), as(caller));
      await stream.next(acknowledged);
      streams.set(caller, stream);
    }

    const second = await refusedListen(edge.port, listenRequest(2, ['podmcp://self']), as('alice'));
    assert.equal(second.status, 429, 'alice holds her share');
    assert.equal(second.headers['retry-after'], '30');
    assert.equal(second.body.id, 2);
    assert.equal(second.body.error?.code, -32000);
    assert.match(second.body.error?.message ?? '', /this caller has 1 open/);

    const fifth = await refusedListen(edge.port, listenRequest(3, ['podmcp://self']), as('erin'));
    assert.equal(fifth.status, 503, 'the sidecar is full');
    assert.equal(fifth.headers['retry-after'], '30');
    assert.match(fifth.body.error?.message ?? '', /the sidecar has 4 open/);
    assert.equal(stub.listens.length, 4, 'a refused listen never reaches the source');

    // A closed stream gives its place back: to its own caller and to anyone.
    streams.get('alice')?.req.destroy();
    await waitFor(() => stub.listens[0]?.released === true);
    const again = await openStream(edge.port, listenRequest(4, ['podmcp://self']), as('erin'));
    assert.equal(again.status, 200);
    await again.next(acknowledged);
    const tools = await modern(edge.port, modernRequest(5, 'tools/list'), as('alice'));
    assert.equal(tools.status, 200, 'other requests are not bounded by listens');
  });

  test('a listen whose grant fails gives its place back when its stream closes', async () => {
    const stub = stubSource();
    let fail = true;
    const source: ServerSource = {
      server: stub.source.server,
      listen: (caller, uris, updated) =>
        fail ? Promise.reject(new Error('API server away')) : stub.source.listen(caller, uris, updated),
    };
    const edge = await startEdge({ source, maxListens: 1 });
    const failed = await openStream(edge.port, listenRequest(1, ['podmcp://self']));
    assert.deepEqual(((await failed.next(acknowledged)).params as Record<string, unknown>).notifications, {});
    failed.req.destroy();
    await failed.ended;
    fail = false;
    // The one place is free again once the edge has seen the failed listen's stream close (a few tries).
    let granted: Stream | undefined;
    for (let attempt = 0; attempt < 20 && granted === undefined; attempt += 1) {
      const stream = await openStream(edge.port, listenRequest(2, ['podmcp://self']));
      if (stream.status === 200) granted = stream;
      else await stream.ended;
    }
    assert.ok(granted, 'the place came back');
    await granted.next(acknowledged);
  });

  test('a drain still answers a modern tool call in flight', async () => {
    const stub = stubSource();
    const edge = await startEdge({ source: stub.source });
    const call = modernRequest(1, 'tools/call', { name: 'slow', arguments: {} });
    const answering = modern(edge.port, call);
    await waitFor(() => edge.inFlight() === 1);
    const closing = edge.close({ drainMs: 120_000 });
    stub.release();
    const answer = await answering;
    assert.match(JSON.stringify(answer.body.result), /ran as/);
    await closing;
  });
});

/** A listen expected to be refused: its answer, or (when it was served instead) its status alone, at once. */
function refusedListen(port: number, body: ReturnType<typeof modernRequest>, extra: Record<string, string>) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/mcp',
        headers: { ...headersFor(body), ...extra },
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status === 200) {
          req.destroy();
          return resolve({ status, headers: response.headers, body: {} });
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status, headers: response.headers, body: parseAnswer(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
