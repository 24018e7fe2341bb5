/**
 * One catalogue served to both MCP eras from the same handlers: a 2025 client over an in-memory transport, and a
 * 2026-07-28 client through the SDK's serving entry (createMcpHandler, strict: no 2025 traffic), called in
 * process through its fetch face. Covers what differs between the eras (discovery, result types and cache
 * fields, log levels, change notifications) and what must not (answers, error codes). Handlers never reach
 * Kubernetes; the change feeds are plain callbacks the test fires.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  type CallToolResult,
  Client,
  InMemoryTransport,
  LOG_LEVEL_META_KEY,
  type LoggingMessageNotification,
  ProtocolError,
  ProtocolErrorCode,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Caller } from '../src/caller.ts';
import { ToolFailure } from '../src/failure.ts';
import { READ_HINTS } from '../src/hints.ts';
import { type Catalogue, createMcpServer, createSubscriptions, type Era } from '../src/mcp/server.ts';
import type { PromptDefinition } from '../src/prompts/definition.ts';
import type { ResourceDefinition } from '../src/resources/definition.ts';
import { defineTool } from '../src/tools/definition.ts';
import { gateServices } from './gate-services.ts';
import { assertNoSecretFragment } from './redact-plantings.ts';

const MODERN = '2026-07-28';
/** Never sent anywhere: the client's requests go straight into the handler's fetch. */
const ENDPOINT = new URL('http://127.0.0.1/mcp');
const ARGUMENT_SECRET = 'pod-named-after-a-secret-4242';
/** A value the redactor knows (as it knows the sidecar's own token), sent inside a URI that names nothing. */
const URI_SECRET = 'tok-9fQ2xLp7Vb4nZr8Kw3';

const echo = defineTool({
  name: 'list_pods',
  title: 'Echo',
  description: 'Echoes its argument.',
  input: z.object({ name: z.string().min(1) }).strict(),
  output: z.object({ name: z.string() }),
  hints: READ_HINTS,
  run: async (args) => ({ name: args.name }),
  render: (result) => `pod ${result.name}`,
});

const missing = defineTool({
  name: 'list_deployments',
  title: 'Missing',
  description: 'Fails the expected way.',
  input: z.object({ name: z.string() }).strict(),
  output: z.object({}),
  hints: READ_HINTS,
  run: async (args) => {
    throw new ToolFailure(`Deployment ${args.name} does not exist.`, 'not-found');
  },
  render: () => '',
});

/** Change feeds the test starts, counts and fires by hand. */
function feeds() {
  const live = new Map<string, () => void>();
  const started: string[] = [];
  const stopped: string[] = [];
  const watchable = (uri: string): ResourceDefinition => ({
    uri,
    name: uri.slice('podmcp://test/'.length),
    title: uri,
    description: 'Watchable.',
    mimeType: 'text/plain',
    read: async () => `contents of ${uri}`,
    watch: async (_variables, _context, changed) => {
      started.push(uri);
      live.set(uri, changed);
      return () => {
        stopped.push(uri);
        live.delete(uri);
      };
    },
  });
  return { live, started, stopped, fire: (uri: string) => live.get(uri)?.(), watchable };
}

const podResource: ResourceDefinition = {
  uri: 'podmcp://test/pods/{name}',
  name: 'pod',
  title: 'Pod',
  description: 'One pod.',
  mimeType: 'text/plain',
  read: async (variables) => `pod ${variables.name}`,
};

const triage: PromptDefinition = {
  name: 'triage',
  title: 'Triage',
  description: 'Triage a pod.',
  arguments: [{ name: 'pod', description: 'The pod.', required: true }],
  build: async (args) => `Triage ${args.pod}`,
};

const CALLER: Caller = { id: 'agent-a', transport: 'in-memory' };

function world() {
  const feed = feeds();
  const self = feed.watchable('podmcp://test/self');
  const events = feed.watchable('podmcp://test/events');
  const { services } = gateServices({
    tools: ['list_pods', 'list_deployments'],
    perMinute: 6000,
    cooldownSeconds: 0,
    unattendedActions: false,
    now: () => 1_000_000,
    secrets: [URI_SECRET],
  });
  const catalogue: Catalogue = {
    tools: [echo, missing],
    resources: [self, events, podResource],
    prompts: [triage],
    instructions: 'era test catalogue',
  };
  const subscriptions = createSubscriptions(services, catalogue.resources);
  const server = (era: Era, narrowed: Catalogue = catalogue) =>
    createMcpServer({ services, catalogue: narrowed, caller: () => CALLER, era, subscriptions });
  return { feed, catalogue, subscriptions, server };
}

type World = ReturnType<typeof world>;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

async function legacyClient(w: World, narrowed?: Catalogue) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await w.server('legacy', narrowed).connect(serverSide);
  const client = new Client({ name: 'legacy-test', version: '1.0.0' });
  await client.connect(clientSide);
  closers.push(() => client.close());
  return client;
}

interface Wire {
  readonly method: string;
  readonly body: Record<string, unknown>;
}

/**
 * A 2026-07-28 client on the SDK's strict serving entry. A listen is narrowed here the way the transports do
 * it (transport/, mcp/wire/): the caller's grant decides the URIs before the SDK acknowledges them, and the
 * grant is released when the client closes the stream.
 */
async function modernClient(w: World, narrowed: Catalogue = w.catalogue) {
  const entry = () => createMcpHandler(() => w.server('modern', narrowed), { legacy: 'reject' });
  const main = entry();
  const handlers: McpHttpHandler[] = [main];
  const wire: Wire[] = [];
  const fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    if (sent?.method === 'subscriptions/listen') return listen(sent, url, init);
    const response = await main.fetch(new Request(url, init));
    if (sent && response.headers.get('content-type')?.includes('application/json')) {
      wire.push({ method: String(sent.method), body: (await response.clone().json()) as Record<string, unknown> });
    }
    return response;
  };
  const listen = async (sent: Record<string, unknown>, url: string | URL, init?: RequestInit) => {
    const handler = entry();
    handlers.push(handler);
    const params = (sent.params ?? {}) as { notifications?: { resourceSubscriptions?: string[] } };
    const asked = params.notifications?.resourceSubscriptions ?? [];
    const grant = await w.subscriptions.listen(narrowed.resources, CALLER, asked, (uri) =>
      handler.notify.resourceUpdated(uri),
    );
    init?.signal?.addEventListener('abort', () => grant.release(), { once: true });
    const body = {
      ...sent,
      params: { ...params, notifications: { ...params.notifications, resourceSubscriptions: grant.uris } },
    };
    return handler.fetch(new Request(url, { ...init, body: JSON.stringify(body) }));
  };
  const transport = new StreamableHTTPClientTransport(ENDPOINT, { fetch });
  const client = new Client(
    { name: 'modern-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  await client.connect(transport);
  closers.push(async () => {
    await client.close();
    await Promise.all(handlers.map((handler) => handler.close()));
  });
  return { client, wire };
}

function logsOf(client: Client): string[] {
  const notes: string[] = [];
  client.setNotificationHandler('notifications/message', (notification: LoggingMessageNotification) => {
    notes.push(`${notification.params.level} ${String(notification.params.data)}`);
  });
  return notes;
}

async function protocolError(work: Promise<unknown>): Promise<ProtocolError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a protocol error');
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Lets queued notifications reach the client. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('both eras, one catalogue', () => {
  test('the 2026-07-28 client discovers the server: its capabilities (logging among them) and instructions', async () => {
    const { client } = await modernClient(world());
    assert.equal(client.getProtocolEra(), 'modern');
    const capabilities = client.getServerCapabilities();
    assert.deepEqual(Object.keys(capabilities ?? {}).sort(), [
      'completions',
      'logging',
      'prompts',
      'resources',
      'tools',
    ]);
    assert.equal(client.getInstructions(), 'era test catalogue');
  });

  test('tools/list: the same tools in both eras; modern results carry their type, cache fields and server', async () => {
    const w = world();
    const legacy = await (await legacyClient(w)).listTools();
    const { client, wire } = await modernClient(w);
    const modern = await client.listTools();
    assert.deepEqual(
      modern.tools.map((tool) => tool.name),
      legacy.tools.map((tool) => tool.name),
    );
    const listed = wire.find((exchange) => exchange.method === 'tools/list')?.body.result as Record<string, unknown>;
    assert.deepEqual(
      [listed.resultType, listed.ttlMs, listed.cacheScope],
      ['complete', 300_000, 'private'],
      'the catalogue is narrowed per caller: reusable for a while, by this caller only',
    );
    const meta = listed._meta as Record<string, { name?: string }>;
    assert.equal(meta['io.modelcontextprotocol/serverInfo']?.name, 'podmcp');
  });

  test('tools/call answers alike in both eras, results and failures', async () => {
    const w = world();
    const legacy = await legacyClient(w);
    const { client } = await modernClient(w);
    for (const peer of [legacy, client]) {
      const ok = (await peer.callTool({ name: 'list_pods', arguments: { name: 'web-1' } })) as CallToolResult;
      assert.deepEqual([ok.isError ?? false, ok.structuredContent], [false, { name: 'web-1' }]);
      assert.match(textOf(ok), /pod web-1/);
      const failed = (await peer.callTool({ name: 'list_deployments', arguments: { name: 'web' } })) as CallToolResult;
      assert.deepEqual([failed.isError, textOf(failed)], [true, 'Deployment web does not exist.']);
      const unknown = await protocolError(peer.callTool({ name: 'nope', arguments: {} }));
      assert.equal(unknown.code, ProtocolErrorCode.InvalidParams);
    }
  });

  test('resources: a read is live (never reused); an unknown URI is -32602 naming it, in both eras', async () => {
    const w = world();
    const legacy = await legacyClient(w);
    const { client, wire } = await modernClient(w);
    for (const peer of [legacy, client]) {
      const { contents } = await peer.readResource({ uri: 'podmcp://test/pods/web-2' });
      assert.deepEqual(contents, [{ uri: 'podmcp://test/pods/web-2', mimeType: 'text/plain', text: 'pod web-2' }]);
      const error = await protocolError(peer.readResource({ uri: 'podmcp://test/nothing' }));
      assert.deepEqual([error.code, error.data], [ProtocolErrorCode.InvalidParams, { uri: 'podmcp://test/nothing' }]);
    }
    const read = wire.find((exchange) => exchange.method === 'resources/read')?.body.result as Record<string, unknown>;
    assert.deepEqual([read.resultType, read.ttlMs, read.cacheScope], ['complete', 0, 'private']);
  });

  test('an unknown URI holding a secret: neither the message nor the data echo it, in both eras', async () => {
    const w = world();
    const peers = { legacy: await legacyClient(w), modern: (await modernClient(w)).client };
    const plain = `podmcp://nothing/${URI_SECRET}`;
    // The echo is clipped at 128 characters: here the cut falls inside the secret.
    const straddling = `podmcp://nothing/${'x'.repeat(128 - 'podmcp://nothing/'.length - 10)}${URI_SECRET}`;
    for (const [era, peer] of Object.entries(peers)) {
      for (const uri of [plain, straddling]) {
        const error = await protocolError(peer.readResource({ uri }));
        assert.equal(error.code, ProtocolErrorCode.InvalidParams);
        const data = error.data as { uri?: unknown };
        assert.equal(typeof data.uri, 'string', 'the data still names the URI');
        assert.match(String(data.uri), /^podmcp:\/\/nothing\//);
        assertNoSecretFragment(error.message, URI_SECRET, '', `in the ${era} message`);
        assertNoSecretFragment(JSON.stringify(error.data), URI_SECRET, '', `in the ${era} data`);
      }
    }
  });

  test('prompts in both eras', async () => {
    const w = world();
    for (const peer of [await legacyClient(w), (await modernClient(w)).client]) {
      const { prompts } = await peer.listPrompts();
      assert.deepEqual(
        prompts.map((prompt) => prompt.name),
        ['triage'],
      );
      const prompt = await peer.getPrompt({ name: 'triage', arguments: { pod: 'web-1' } });
      assert.deepEqual(prompt.messages, [{ role: 'user', content: { type: 'text', text: 'Triage web-1' } }]);
    }
  });
});

describe('log notes', () => {
  test('2025: logging/setLevel filters the notes; a failed call is noted by name, never with its arguments', async () => {
    const client = await legacyClient(world());
    const notes = logsOf(client);
    await client.setLoggingLevel('warning');
    await client.callTool({ name: 'list_deployments', arguments: { name: ARGUMENT_SECRET } });
    await settle();
    assert.deepEqual(notes, [], 'an expected failure is info, below the level set');
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'list_deployments', arguments: { name: ARGUMENT_SECRET } });
    await client.callTool({ name: 'list_pods', arguments: { name: ARGUMENT_SECRET } });
    await settle();
    assert.deepEqual(notes, ['info tool list_deployments: failed (not-found).'], 'a call that went well is not noted');
  });

  test('2026-07-28: a note only for a request that asks for a level, at or above it', async () => {
    const { client } = await modernClient(world());
    const notes = logsOf(client);
    await client.callTool({ name: 'list_deployments', arguments: { name: ARGUMENT_SECRET } });
    await client.callTool({
      name: 'list_deployments',
      arguments: { name: ARGUMENT_SECRET },
      _meta: { [LOG_LEVEL_META_KEY]: 'warning' },
    });
    await client.callTool({
      name: 'list_deployments',
      arguments: { name: ARGUMENT_SECRET },
      _meta: { [LOG_LEVEL_META_KEY]: 'info' },
    });
    await settle();
    assert.deepEqual(notes, ['info tool list_deployments: failed (not-found).']);
    assert.ok(!notes.join('\n').includes(ARGUMENT_SECRET));
  });
});

describe('change notifications from one set of feeds', () => {
  test('a listen is granted only URIs its catalogue can watch: others are never acknowledged', async () => {
    const w = world();
    const narrowed: Catalogue = { ...w.catalogue, resources: [w.catalogue.resources[0] as ResourceDefinition] };
    const { client } = await modernClient(w, narrowed);
    const asked = ['podmcp://test/self', 'podmcp://test/events', 'podmcp://test/pods/web-1', 'podmcp://elsewhere'];
    const listening = await client.listen({ resourceSubscriptions: asked });
    assert.deepEqual(listening.honoredFilter.resourceSubscriptions, ['podmcp://test/self']);
    assert.deepEqual(w.feed.started, ['podmcp://test/self'], 'no feed for what was not granted');
    await listening.close();
  });

  test('2025 subscribers and 2026-07-28 listeners share one feed per URI; the last to leave stops it', async () => {
    const w = world();
    const legacy = await legacyClient(w);
    const heardLegacy: string[] = [];
    legacy.setNotificationHandler('notifications/resources/updated', (notification) => {
      heardLegacy.push(notification.params.uri);
    });
    await legacy.subscribeResource({ uri: 'podmcp://test/self' });
    const { client } = await modernClient(w);
    const heardModern: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      heardModern.push(notification.params.uri);
    });
    const listening = await client.listen({ resourceSubscriptions: ['podmcp://test/self', 'podmcp://test/events'] });
    assert.deepEqual(listening.honoredFilter.resourceSubscriptions, ['podmcp://test/self', 'podmcp://test/events']);
    assert.deepEqual(w.feed.started.sort(), ['podmcp://test/events', 'podmcp://test/self'], 'one feed per URI');

    w.feed.fire('podmcp://test/self');
    w.feed.fire('podmcp://test/events');
    await waitFor(() => heardModern.length === 2 && heardLegacy.length === 1);
    assert.deepEqual(heardLegacy, ['podmcp://test/self'], 'a subscriber hears only what it subscribed');
    assert.deepEqual(heardModern.sort(), ['podmcp://test/events', 'podmcp://test/self']);

    await listening.close();
    await waitFor(() => w.feed.stopped.length === 1);
    assert.deepEqual(w.feed.stopped, ['podmcp://test/events'], 'self is still held by the 2025 subscriber');
    await legacy.unsubscribeResource({ uri: 'podmcp://test/self' });
    await waitFor(() => w.feed.stopped.length === 2);
    assert.deepEqual(w.subscriptions.watched(), []);
  });

  test('2025: a URI that cannot be watched is refused, clipped; a closed session releases what it held', async () => {
    const w = world();
    const legacy = await legacyClient(w);
    const refused = await protocolError(legacy.subscribeResource({ uri: 'podmcp://test/pods/web-1' }));
    assert.deepEqual(
      [refused.code, refused.message],
      [ProtocolErrorCode.InvalidParams, 'podmcp://test/pods/web-1 does not support subscriptions.'],
    );
    await legacy.subscribeResource({ uri: 'podmcp://test/events' });
    await legacy.subscribeResource({ uri: 'podmcp://test/events' });
    assert.deepEqual(w.feed.started, ['podmcp://test/events']);
    await legacy.close();
    await waitFor(() => w.feed.stopped.length === 1);
    assert.deepEqual(w.subscriptions.watched(), []);
  });
});

/** Waits for something the event loop delivers (a notification, a release); the test's own timeout bounds it. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
