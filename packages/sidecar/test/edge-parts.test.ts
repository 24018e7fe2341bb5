/**
 * The parts of the HTTP edge and of remote-caller auth on their own, on plain values: which Host names are
 * accepted and which URL is advertised, the requests a close drains and refuses, the catalogue and the sessions
 * an authenticated caller gets, and the challenge a refusal carries. The whole edge over real HTTP is
 * http-transport.test.ts and auth-http.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { grantableNames, restrictTo } from '../src/auth/narrow.ts';
import { challenge, invalidToken } from '../src/auth/refusals.ts';
import type { Caller } from '../src/caller.ts';
import { allowedHostNames, LOOPBACK_HOSTS, urlHost } from '../src/transport/hosts.ts';
import { createInFlight } from '../src/transport/in-flight.ts';
import type { ServerSource } from '../src/transport/seams.ts';

describe('the names the edge answers to', () => {
  test('loopback names always; extra names and a specific bind address normalized; a wildcard bind adds nothing', () => {
    assert.deepEqual(
      [...allowedHostNames(['My-Service.team:9810', 'fd00::7'], '10.0.0.7')],
      [...LOOPBACK_HOSTS, 'my-service.team', '[fd00::7]', '10.0.0.7'],
    );
    assert.deepEqual([...allowedHostNames([], '0.0.0.0')], [...LOOPBACK_HOSTS]);
    assert.deepEqual([...allowedHostNames([], '::')], [...LOOPBACK_HOSTS]);
    assert.deepEqual([...allowedHostNames(['a/b', ''], '127.0.0.1')], [...LOOPBACK_HOSTS]);
  });

  test('the advertised URL host: loopback for a wildcard bind, brackets around IPv6', () => {
    assert.equal(urlHost('0.0.0.0'), '127.0.0.1');
    assert.equal(urlHost('::'), '127.0.0.1');
    assert.equal(urlHost('fd00::7'), '[fd00::7]');
    assert.equal(urlHost('[::1]'), '[::1]');
    assert.equal(urlHost('10.0.0.7'), '10.0.0.7');
  });
});

describe('requests in flight', () => {
  const inFlight = createInFlight();
  const held: Array<() => void> = [];
  let server: Server;
  let port: number;

  before(async () => {
    const app = express();
    app.use(inFlight.track);
    app.use(inFlight.refuseWhileClosing);
    // Answered only when the test releases it, so "in flight" is a state the test controls.
    app.get('/held', (_request, response) => void held.push(() => response.json({ ok: true })));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = () =>
    new Promise<IncomingMessage & { text: string }>((resolve, reject) => {
      const call = request({ host: '127.0.0.1', port, path: '/held', agent: false }, (answer) => {
        let text = '';
        answer.on('data', (chunk) => {
          text += chunk;
        });
        answer.on('end', () => resolve(Object.assign(answer, { text })));
      });
      call.on('error', reject);
      call.end();
    });

  // The timeout only turns a drain that never wakes into a failure instead of a hang.
  test('a request counts until its response closes; idle() resolves then, and closing refuses newcomers with 503', {
    timeout: 60_000,
  }, async () => {
    assert.equal(inFlight.count(), 0);
    const answered = get();
    while (held.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(inFlight.count(), 1);

    inFlight.closing();
    const refused = await get();
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers.connection, 'close');
    assert.deepEqual(JSON.parse(refused.text), {
      jsonrpc: '2.0',
      error: { code: -32000, message: 'The sidecar is shutting down; retry.' },
      id: null,
    });

    // A drain far longer than any test: it ends because the last request settled, not because time ran out.
    const idle = inFlight.idle(10 * 60_000);
    held.shift()?.();
    assert.equal((await answered).statusCode, 200, 'a request in flight when closing began is still answered');
    await idle;
    assert.equal(inFlight.count(), 0);
  });
});

describe('what an authenticated caller is served', () => {
  const catalogue = {
    tools: [{ name: 'list_pods' }, { name: 'diagnose' }],
    resources: ['pods'],
    prompts: ['triage'],
    instructions: 'podmcp serves namespace team only.\nTools: list_pods, diagnose.',
  };
  type Served = typeof catalogue | undefined;

  function source() {
    const served: Served[] = [];
    const eras: unknown[] = [];
    const listened: Array<{ uris: readonly string[]; narrowed: Served }> = [];
    const sidecar = {
      catalogue,
      server(_caller: (authInfo: unknown) => Caller, era?: 'legacy' | 'modern', narrowed?: typeof catalogue) {
        served.push(narrowed);
        eras.push(era);
        return {} as ReturnType<ServerSource['server']>;
      },
      async listen(_caller: Caller, uris: readonly string[], _updated: (uri: string) => void, narrowed?: Served) {
        listened.push({ uris, narrowed });
        return { uris: [], release: () => undefined };
      },
    };
    return { served, eras, listened, restricted: restrictTo(sidecar) };
  }
  const caller = (allowed?: string[]) => ({
    id: 'alice',
    transport: 'http' as const,
    ...(allowed ? { allowed: new Set(allowed) } : {}),
  });

  test('the names a catalogue can grant: its tools, and resources and prompts only when it has some', () => {
    assert.deepEqual(grantableNames(catalogue), ['list_pods', 'diagnose', 'resources', 'prompts']);
    assert.deepEqual(grantableNames({ ...catalogue, resources: [], prompts: [] }), ['list_pods', 'diagnose']);
  });

  test('a server of the catalogue narrowed to the allowed names; the whole one when nothing was narrowed', () => {
    const { served, restricted } = source();
    restricted.server(() => caller(['diagnose', 'resources']));
    restricted.server(() => caller());
    assert.deepEqual(served, [
      {
        tools: [{ name: 'diagnose' }],
        resources: ['pods'],
        prompts: [],
        instructions: 'podmcp serves namespace team only.\nTools you may use: diagnose.',
      },
      undefined,
    ]);
  });

  test('the era asked for reaches the sidecar; a listen is narrowed to its caller like a server', async () => {
    const { eras, listened, restricted } = source();
    restricted.server(() => caller(), 'modern');
    restricted.server(() => caller());
    assert.deepEqual(eras, ['modern', undefined]);
    await restricted.listen?.(caller(['diagnose']), ['podmcp://self'], () => undefined);
    await restricted.listen?.(caller(), ['podmcp://self'], () => undefined);
    assert.deepEqual(
      listened.map((entry) => entry.narrowed?.resources),
      [[], undefined],
      'no resources grant: nothing to watch; not narrowed: the whole catalogue',
    );
  });

  test('a session still serves its caller only while the allowed names are the same', () => {
    const { restricted } = source();
    const stillServes = restricted.stillServes;
    assert.ok(stillServes);
    assert.equal(stillServes(caller(['a', 'b']), caller(['b', 'a'])), true);
    assert.equal(stillServes(caller(['a', 'b']), caller(['a'])), false, 'a revoked name ends the session');
    assert.equal(stillServes(caller(['a']), caller(['a', 'b'])), false, 'a granted name ends it too');
    assert.equal(stillServes(caller(), caller(['a'])), false);
    assert.equal(stillServes(caller(['a']), caller()), true, 'a request that was not narrowed changes nothing');
  });
});

describe('the challenge of a refusal', () => {
  const at = { headers: { host: 'localhost:9810' } } as unknown as IncomingMessage;

  test('points at the metadata of the host the request reached, with the OAuth error when there is one', () => {
    assert.deepEqual(challenge(at), {
      'WWW-Authenticate': 'Bearer resource_metadata="http://localhost:9810/.well-known/oauth-protected-resource/mcp"',
    });
    const refusal = invalidToken(at, 'the token has expired');
    assert.equal(refusal.status, 401);
    assert.equal(refusal.message, 'Invalid token: the token has expired.');
    assert.equal(
      refusal.headers['WWW-Authenticate'],
      'Bearer error="invalid_token", error_description="the token has expired", resource_metadata="http://localhost:9810/.well-known/oauth-protected-resource/mcp"',
    );
  });

  test('a description never breaks out of its quoted string', () => {
    const header = challenge(at, { code: 'invalid_token', description: 'say "hi"\\\n\u0007' })['WWW-Authenticate'];
    assert.equal(header?.split(', ')[1], `error_description="say 'hi''''"`);
  });
});
