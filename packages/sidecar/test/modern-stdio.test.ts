/**
 * MCP over stdio in both eras, on plain streams: the opening message pins the era and an unexpected one never
 * ends the connection; requests in flight when stdin ends are answered in both eras; a 2026-07-28 listen is
 * acknowledged with only the URIs its caller was granted, hears their changes, and gives its grant back when it
 * ends. The servers are small SDK servers (stubSource), so what is tested is the transport.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import { decodeSidecarEnv } from '@podmcp/core';
import { pino } from 'pino';
import { createSidecar } from '../src/sidecar.ts';
import type { ServerSource } from '../src/transport/seams.ts';
import { type RunningStdioTransport, startStdioTransport } from '../src/transport/stdio.ts';
import { INITIALIZE, kubeConfigFor, listenRequest, MODERN, modernRequest, stubSource } from './edge-fixtures.ts';

type Message = {
  jsonrpc: string;
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
};

interface Connection {
  readonly running: RunningStdioTransport;
  readonly stdin: PassThrough;
  readonly stdout: PassThrough;
  readonly stub: ReturnType<typeof stubSource>;
  send(message: unknown): void;
  line(text: string): void;
  /** The next message from the server that `match` accepts (earlier ones are kept for later calls). */
  next(match: (message: Message) => boolean): Promise<Message>;
  answerTo(id: number): Promise<Message>;
  /** Every message received so far. */
  readonly received: Message[];
}

const running = new Set<RunningStdioTransport>();
afterEach(async () => {
  for (const connection of running) await connection.close({ drainMs: 0 });
  running.clear();
});

async function connect(options: { modernEra: boolean; drainMs?: number; sidecar?: ServerSource }): Promise<Connection> {
  const stub = stubSource();
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const received: Message[] = [];
  const waiting = new Set<() => void>();
  let partial = '';
  stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) if (text.trim() !== '') received.push(JSON.parse(text) as Message);
    for (const wake of [...waiting]) wake();
  });
  const taken = new Set<Message>();
  const next = (match: (message: Message) => boolean) =>
    new Promise<Message>((resolve) => {
      const look = () => {
        const found = received.find((message) => !taken.has(message) && match(message));
        if (found === undefined) return;
        taken.add(found);
        waiting.delete(look);
        resolve(found);
      };
      waiting.add(look);
      look();
    });
  const transport = await startStdioTransport({
    sidecar: options.sidecar ?? stub.source,
    stdin,
    stdout,
    logger: pino({ level: 'silent' }),
    modernEra: options.modernEra,
    drainMs: options.drainMs ?? 10_000,
  });
  running.add(transport);
  return {
    running: transport,
    stdin,
    stdout,
    stub,
    received,
    send: (message) => stdin.write(`${JSON.stringify(message)}\n`),
    line: (text) => stdin.write(`${text}\n`),
    next,
    answerTo: (id) => next((message) => message.id === id && message.method === undefined),
  };
}

const isClosed = (closed: Promise<void>) =>
  Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

describe('stdio in the 2025 era', () => {
  for (const modernEra of [false, true]) {
    test(`initialize, then tools/list (2026-07-28 ${modernEra ? 'on' : 'off'})`, async () => {
      const connection = await connect({ modernEra });
      connection.send(INITIALIZE);
      const initialized = await connection.answerTo(1);
      assert.equal(initialized.result?.protocolVersion, '2025-06-18');
      connection.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      connection.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      const listed = await connection.answerTo(2);
      assert.deepEqual(toolNames(listed), ['slow']);
      assert.equal(listed.result?.resultType, undefined, 'a 2025 result has no resultType');
      assert.deepEqual(connection.stub.eras, ['legacy']);
    });

    test(`a request in flight when stdin ends is answered, then the connection closes (2026-07-28 ${modernEra ? 'on' : 'off'})`, async () => {
      const connection = await connect({ modernEra });
      connection.send(INITIALIZE);
      await connection.answerTo(1);
      connection.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: {} } });
      await waitFor(() => connection.running.inFlight() === 1);
      connection.stdin.end();
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await isClosed(connection.running.closed), false, 'still answering');
      connection.stub.release();
      const answered = await connection.answerTo(2);
      assert.match(JSON.stringify(answered.result), /ran as stdio/);
      await connection.running.closed;
    });
  }

  test('a broken stdout ends the connection at once, whatever is in flight', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(INITIALIZE);
    await connection.answerTo(1);
    connection.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: {} } });
    await waitFor(() => connection.running.inFlight() === 1);
    connection.stdout.destroy(new Error('EPIPE'));
    await connection.running.closed;
  });
});

describe('stdio in the 2026-07-28 era', () => {
  test('a line that is not JSON-RPC is skipped, and the tools/list after it answered as 2026-07-28', async () => {
    const connection = await connect({ modernEra: true });
    connection.line('this is not json');
    connection.line('{"hello":"world"}');
    connection.send(modernRequest(1, 'tools/list'));
    const listed = await connection.answerTo(1);
    assert.equal(listed.result?.resultType, 'complete');
    assert.deepEqual(toolNames(listed), ['slow']);
    assert.ok((listed.result?._meta as Record<string, unknown> | undefined)?.['io.modelcontextprotocol/serverInfo']);
    assert.equal(await isClosed(connection.running.closed), false);
    assert.deepEqual(connection.stub.eras, ['modern']);
  });

  test('a claim-less first message pins 2025: server/discover is unknown there, tools/list still answered', async () => {
    const connection = await connect({ modernEra: true });
    connection.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} });
    const discover = await connection.answerTo(1);
    assert.equal(discover.error?.code, -32601);
    connection.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.ok((await connection.answerTo(2)).result?.tools);
    assert.equal(await isClosed(connection.running.closed), false);
  });

  test('a server/discover probe, then initialize: the client falls back to 2025 on the same connection', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(modernRequest(1, 'server/discover'));
    const discovered = await connection.answerTo(1);
    assert.ok(((discovered.result?.supportedVersions ?? []) as string[]).includes(MODERN));
    connection.send({ ...INITIALIZE, id: 2 });
    const initialized = await connection.answerTo(2);
    assert.equal(initialized.result?.protocolVersion, '2025-06-18');
    connection.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    assert.ok((await connection.answerTo(3)).result?.tools);
    assert.deepEqual(connection.stub.eras, ['modern', 'legacy'], 'the probe instance was replaced');
  });

  test('a request in flight when stdin ends is answered, then the connection closes', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(modernRequest(1, 'tools/call', { name: 'slow', arguments: {} }));
    await waitFor(() => connection.running.inFlight() === 1);
    connection.stdin.end();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await isClosed(connection.running.closed), false, 'still answering');
    connection.stub.release();
    const answered = await connection.answerTo(1);
    assert.match(JSON.stringify(answered.result), /ran as stdio/);
    await connection.running.closed;
  });

  test('a listen is acknowledged with the granted URIs only, hears their changes, and releases when cancelled', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(listenRequest(1, ['podmcp://self', 'podmcp://elsewhere/secret']));
    const ack = await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.notifications, { resourceSubscriptions: ['podmcp://self'] });
    const [listen] = connection.stub.listens;
    assert.ok(listen);
    assert.deepEqual(listen.asked, ['podmcp://self', 'podmcp://elsewhere/secret']);
    assert.equal(listen.caller.id, 'stdio');
    assert.equal(connection.running.inFlight(), 0, 'an open listen is not a request in flight');

    listen.updated('podmcp://self');
    const updated = await connection.next((message) => message.method === 'notifications/resources/updated');
    assert.equal(updated.params?.uri, 'podmcp://self');
    assert.equal(
      (updated.params?._meta as Record<string, unknown> | undefined)?.['io.modelcontextprotocol/subscriptionId'],
      1,
    );

    assert.equal(listen.released, false);
    connection.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    await waitFor(() => listen.released);
  });

  test('two changes of one URI heard by two listens reach each listen once', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(listenRequest(1, ['podmcp://self']));
    connection.send(listenRequest(2, ['podmcp://self']));
    await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    // The watch registry calls every holder of the URI for one change.
    for (const listen of connection.stub.listens) listen.updated('podmcp://self');
    await connection.next((message) => message.method === 'notifications/resources/updated');
    await connection.next((message) => message.method === 'notifications/resources/updated');
    connection.send(modernRequest(3, 'tools/list'));
    await connection.answerTo(3);
    const updates = connection.received.filter((message) => message.method === 'notifications/resources/updated');
    assert.equal(updates.length, 2);
  });

  test('a listen granted nothing is acknowledged empty and holds nothing', async () => {
    const connection = await connect({ modernEra: true });
    connection.send(listenRequest(1, ['podmcp://elsewhere/secret']));
    const ack = await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.notifications, {});
    await waitFor(() => connection.stub.listens[0]?.released === true);
  });

  test('a source with no change feeds acknowledges a listen with nothing in it', async () => {
    const stub = stubSource();
    const connection = await connect({ modernEra: true, sidecar: { server: stub.source.server } });
    connection.send(listenRequest(1, ['podmcp://self']));
    const ack = await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.notifications, {});
  });

  // The timeout only keeps a regression (the connection stalled behind the grant) from hanging the run.
  test('a listen waiting for its grant holds up neither later requests nor its own cancellation', {
    timeout: 20_000,
  }, async () => {
    const stub = stubSource();
    let grant: () => void = () => undefined;
    const granted = new Promise<void>((resolve) => {
      grant = resolve;
    });
    // The API server is slow: the listen's watches start only when the test says so.
    const slowFeeds: ServerSource = {
      server: stub.source.server,
      listen: async (caller, uris, updated) => {
        await granted;
        return stub.source.listen(caller, uris, updated);
      },
    };
    const connection = await connect({ modernEra: true, sidecar: slowFeeds });
    connection.send(listenRequest(1, ['podmcp://self']));
    connection.send(modernRequest(2, 'tools/list'));
    assert.deepEqual(toolNames(await connection.answerTo(2)), ['slow']);
    connection.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    connection.send(modernRequest(3, 'tools/list'));
    await connection.answerTo(3);
    const acknowledgedYet = connection.received.some(
      (message) => message.method === 'notifications/subscriptions/acknowledged',
    );
    assert.equal(acknowledgedYet, false, 'the listen is still waiting for its grant');
    assert.equal(stub.listens.length, 0);

    grant();
    // Its cancellation came after it, so it reaches the listen once granted: the grant is given back.
    await waitFor(() => stub.listens[0]?.released === true);
  });

  test('a grant that arrives after the connection closed is given back', { timeout: 20_000 }, async () => {
    const stub = stubSource();
    let grant: () => void = () => undefined;
    const granted = new Promise<void>((resolve) => {
      grant = resolve;
    });
    const slowFeeds: ServerSource = {
      server: stub.source.server,
      listen: async (caller, uris, updated) => {
        await granted;
        return stub.source.listen(caller, uris, updated);
      },
    };
    const connection = await connect({ modernEra: true, sidecar: slowFeeds });
    connection.send(listenRequest(1, ['podmcp://self']));
    connection.send(modernRequest(2, 'tools/list'));
    await connection.answerTo(2);
    await connection.running.close({ drainMs: 0 });
    grant();
    await waitFor(() => stub.listens[0]?.released === true);
  });

  test('closing ends open listens with their result and releases them; stdin ending releases them too', async () => {
    const first = await connect({ modernEra: true });
    first.send(listenRequest(7, ['podmcp://self']));
    await first.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    await first.running.close({ drainMs: 1000 });
    const ended = await first.answerTo(7);
    assert.equal(ended.result?.resultType, 'complete');
    assert.equal(first.stub.listens[0]?.released, true);

    const second = await connect({ modernEra: true });
    second.send(listenRequest(1, ['podmcp://self']));
    await second.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    second.stdin.end();
    await second.running.closed;
    assert.equal(second.stub.listens[0]?.released, true, 'stdin end is not held by a listen');
  });
});

describe('the sidecar over stdio in both eras', () => {
  const sidecar = () => {
    const decoded = decodeSidecarEnv({});
    if (!decoded.ok) throw new Error(decoded.errors.join('; '));
    return createSidecar({
      settings: decoded.settings,
      connection: { kubeConfig: kubeConfigFor('https://127.0.0.1:1'), namespace: 'shop', namespaceSource: 'test' },
      logger: pino({ level: 'silent' }),
    });
  };

  test('2026-07-28: tools/list with its cache fields; a listen on a URI outside the catalogue is granted nothing', async () => {
    const connection = await connect({ modernEra: true, sidecar: sidecar() });
    connection.send(modernRequest(1, 'tools/list'));
    const listed = await connection.answerTo(1);
    assert.equal(listed.result?.resultType, 'complete');
    assert.equal(typeof listed.result?.ttlMs, 'number');
    assert.equal(listed.result?.cacheScope, 'private');
    assert.ok(toolNames(listed).length > 0);
    connection.send(listenRequest(2, ['podmcp://nothing-here']));
    const ack = await connection.next((message) => message.method === 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.notifications, {});
  });

  test('2025: initialize answers with the newest 2025 version asked for; tools/list has no cache fields', async () => {
    const connection = await connect({ modernEra: true, sidecar: sidecar() });
    connection.send(INITIALIZE);
    assert.equal((await connection.answerTo(1)).result?.protocolVersion, '2025-06-18');
    connection.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const listed = await connection.answerTo(2);
    assert.ok(toolNames(listed).length > 0);
    assert.equal(listed.result?.ttlMs, undefined);
  });
});

function toolNames(message: Message): string[] {
  return ((message.result?.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
