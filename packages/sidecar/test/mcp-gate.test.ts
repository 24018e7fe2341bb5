/**
 * The MCP gate (createMcpServer) end to end over an in-memory transport, with a catalogue of small test
 * definitions whose handlers never call Kubernetes: the NamespacedKube points at an address nothing listens on
 * and is never used.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CallToolResult,
  Client,
  InMemoryTransport,
  ProtocolError,
  ProtocolErrorCode,
} from '@modelcontextprotocol/client';
import { z } from 'zod';
import { ToolFailure } from '../src/failure.ts';
import { type CallGate, createCallGate } from '../src/governance/concurrency.ts';
import { READ_HINTS } from '../src/hints.ts';
import { type Catalogue, createMcpServer } from '../src/mcp/server.ts';
import { RESULT_BUDGET_BYTES } from '../src/output/budget.ts';
import type { PromptDefinition } from '../src/prompts/definition.ts';
import type { ResourceDefinition } from '../src/resources/definition.ts';
import { REDACTED } from '../src/safety/redact.ts';
import { defineTool, type ToolDefinition } from '../src/tools/definition.ts';
import { gateServices } from './gate-services.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const KNOWN_SECRET = 'the-sidecars-own-token-value';
const ACTION_HINTS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: false,
} as const;

/** A promise to resolve from outside, for handlers that must wait on the test. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const echo = defineTool({
  name: 'list_pods',
  title: 'Echo',
  description: 'Echoes its arguments.',
  input: z.object({ name: z.string().min(1), limit: z.number().int().min(1).max(10).default(5) }).strict(),
  output: z.object({ name: z.string(), limit: z.number() }),
  hints: READ_HINTS,
  run: async (args) => ({ name: args.name, limit: args.limit }),
  render: (result) => `${result.name} ×${result.limit}`,
});

const leaky = defineTool({
  name: 'get_pod_logs',
  title: 'Leaky',
  description: 'Returns what the cluster holds, secrets and escapes included.',
  input: z.object({}),
  output: z.object({
    log: z.string(),
    env: z.array(z.object({ name: z.string(), value: z.string() })),
    header: z.string(),
  }),
  hints: READ_HINTS,
  run: async () => ({
    log: `\x1b[31mERROR\x1b[0m login failed password=hunter2 token ${JWT} via ${KNOWN_SECRET}\u202e`,
    env: [
      { name: 'DB_PASSWORD', value: 'x' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ],
    header: 'Authorization: Bearer abcdef0123456789',
  }),
  render: (result) =>
    [result.log, ...result.env.map((pair) => `${pair.name}=${pair.value}`), result.header, 'api_key=sk-live-0123'].join(
      '\n',
    ),
});

const huge = defineTool({
  name: 'list_events',
  title: 'Huge',
  description: 'Returns more than the budget.',
  input: z.object({}),
  output: z.object({ items: z.array(z.string()) }),
  hints: READ_HINTS,
  run: async () => ({ items: Array.from({ length: 300 }, (_, index) => `event ${index} ${'x'.repeat(100)}`) }),
  render: (result) => `${result.items.length} events`,
});

const wordy = defineTool({
  name: 'read_runbook',
  title: 'Wordy',
  description: 'A small result with a long rendering.',
  input: z.object({}),
  output: z.object({ size: z.number() }),
  hints: READ_HINTS,
  run: async () => ({ size: 30_000 }),
  render: (result) => 'y'.repeat(result.size),
});

const failing = defineTool({
  name: 'list_deployments',
  title: 'Failing',
  description: 'Fails the expected way.',
  input: z.object({}),
  output: z.object({}),
  hints: READ_HINTS,
  run: async () => {
    throw new ToolFailure('Deployment "web" does not exist in namespace team. Existing Deployments: api.', 'not-found');
  },
  render: () => '',
});

const broken = defineTool({
  name: 'get_resources',
  title: 'Broken',
  description: 'Fails an unexpected way.',
  input: z.object({}),
  output: z.object({}),
  hints: READ_HINTS,
  run: async () => {
    throw new RangeError('boom while reading password=hunter2');
  },
  render: () => '',
});

let slowWork = deferred<{ done: boolean }>();
const slow = defineTool({
  name: 'inspect_app',
  title: 'Slow',
  description: 'Answers when the test says so.',
  input: z.object({}),
  output: z.object({ done: z.boolean() }),
  hints: READ_HINTS,
  run: () => slowWork.promise,
  render: () => 'done',
});

const actionInput = z
  .object({ workload: z.string(), reason: z.string().min(10), dry_run: z.boolean().default(false) })
  .strict();
const actionOutput = z.object({ applied: z.boolean(), target: z.string() });

const restart = defineTool({
  name: 'restart_deployment',
  title: 'Restart',
  description: 'Pretends to restart.',
  input: actionInput,
  output: actionOutput,
  hints: ACTION_HINTS,
  target: (args) => `Deployment/${args.workload}`,
  run: async (args) => ({ applied: !args.dry_run, target: `Deployment/${args.workload}` }),
  render: (result) => (result.applied ? `restarted ${result.target}` : `would restart ${result.target}`),
});

let deleteStarted = deferred<void>();
let deleteWork = deferred<{ applied: boolean; target: string }>();
const gatedDelete = defineTool({
  name: 'delete_pod',
  title: 'Delete (gated)',
  description: 'Pretends to delete once the test lets it.',
  input: actionInput,
  output: actionOutput,
  hints: ACTION_HINTS,
  target: (args) => `Pod/${args.workload}`,
  run: () => {
    deleteStarted.resolve();
    return deleteWork.promise;
  },
  render: (result) => `deleted ${result.target}`,
});

const throwingAction = defineTool({
  name: 'scale_workload',
  title: 'Scale (throws)',
  description: 'Throws before it returns a promise.',
  input: actionInput,
  output: actionOutput,
  hints: ACTION_HINTS,
  target: (args) => `Deployment/${args.workload}`,
  run: () => {
    throw new ToolFailure('replicas above the maximum of 10', 'invalid');
  },
  render: () => '',
});

const TOOLS: ToolDefinition[] = [echo, leaky, huge, wordy, failing, broken, slow, restart, gatedDelete, throwingAction];

const staticResource: ResourceDefinition = {
  uri: 'podmcp://test/static',
  name: 'static',
  title: 'Static',
  description: 'A fixed resource.',
  mimeType: 'text/markdown',
  read: async () => `# Static\n\x1b[1mbold\x1b[0m password=hunter2`,
};

const podResource: ResourceDefinition = {
  uri: 'podmcp://test/pods/{name}',
  name: 'pod',
  title: 'Pod',
  description: 'One pod.',
  mimeType: 'text/plain',
  complete: { name: async () => ['web-1', 'web-2', 'api-1'] },
  read: (variables) => {
    // Not async: a read that throws before returning its promise, as a plain function may.
    if (variables.name === 'throw-at-once') throw new Error('thrown before any promise');
    return Promise.resolve(`pod ${variables.name}`);
  },
};

const triage: PromptDefinition = {
  name: 'triage',
  title: 'Triage',
  description: 'Triage a pod.',
  arguments: [
    { name: 'pod', description: 'The pod.', required: true },
    { name: 'focus', description: 'What to look at.', required: false },
  ],
  complete: { pod: async () => ['web-1', 'web-2', 'api-1'] },
  build: async (args) => `Triage ${args.pod}${args.focus ? ` (${args.focus})` : ''}; token=abc123`,
};

interface AuditLine {
  readonly audit: true;
  readonly kind: string;
  readonly name: string;
  readonly caller: string;
  readonly transport: string;
  readonly outcome: string;
  readonly durationMs: number;
  readonly bytes: number;
  readonly reason?: string;
  readonly target?: string;
  readonly error?: string;
  readonly arguments?: Record<string, unknown>;
}

async function start(
  options: { perMinute?: number; cooldownSeconds?: number; deadlineMs?: number; calls?: CallGate } = {},
) {
  const perMinute = options.perMinute ?? 6000;
  const cooldownSeconds = options.cooldownSeconds ?? 300;
  let now = 1_000_000;
  const caller = { id: 'agent-a' };
  const offline = gateServices({
    tools: TOOLS.map((tool) => tool.name),
    perMinute,
    cooldownSeconds,
    unattendedActions: true,
    now: () => now,
    secrets: [KNOWN_SECRET],
    calls: options.calls ?? createCallGate(),
  });
  const { services, kube } = offline;
  const audit = () => offline.audit<AuditLine>();
  const catalogue: Catalogue = {
    tools: TOOLS,
    resources: [staticResource, podResource],
    prompts: [triage],
    instructions: 'test catalogue',
  };
  const server = createMcpServer({
    services,
    catalogue,
    caller: () => ({ id: caller.id, transport: 'in-memory' }),
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'gate-test', version: '1.0.0' });
  await client.connect(clientSide);
  // Listing caches the output schemas, so the client checks every structuredContent against them.
  const listed = await client.listTools();
  return {
    client,
    listed,
    caller,
    kube,
    advance: (ms: number) => {
      now += ms;
    },
    audit,
    /** Calls a tool and returns its result with the one audit record the call produced. */
    async call(name: string, args: Record<string, unknown> = {}) {
      const before = audit().length;
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const records = audit().slice(before);
      assert.equal(records.length, 1, `exactly one audit record for ${name}: ${JSON.stringify(records)}`);
      return { result, record: records[0] as AuditLine, text: textOf(result) };
    },
    close: () => client.close(),
  };
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

async function protocolError(work: Promise<unknown>): Promise<ProtocolError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected an ProtocolError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a protocol error');
}

describe('tools/list', () => {
  test('catalogue order, JSON Schemas for input and output, closed-world annotations', async () => {
    const gate = await start();
    const tools = gate.listed.tools;
    assert.deepEqual(
      tools.map((tool) => tool.name),
      TOOLS.map((tool) => tool.name),
    );
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.outputSchema?.type, 'object', tool.name);
      assert.equal(tool.annotations?.openWorldHint, false, tool.name);
      assert.ok(tool.title, tool.name);
      assert.equal(tool.annotations?.title, undefined, 'the title is said once, at the top of the listing');
      assert.equal('$schema' in tool.inputSchema, false);
    }
    const listPods = tools[0];
    assert.deepEqual(listPods?.inputSchema.required, ['name'], 'a defaulted field is optional on input');
    assert.deepEqual(Object.keys(listPods?.inputSchema.properties ?? {}), ['name', 'limit']);
    assert.equal(listPods?.inputSchema.additionalProperties, false);
    assert.deepEqual(listPods?.outputSchema?.required, ['name', 'limit']);
    assert.deepEqual(
      listPods?.annotations,
      { readOnlyHint: true, openWorldHint: false },
      'a read-only tool lists no destructive or idempotent hint: the spec gives them meaning only for the others',
    );
    const action = tools.find((tool) => tool.name === 'restart_deployment');
    assert.equal(action?.annotations?.readOnlyHint, false);
    assert.equal(action?.annotations?.destructiveHint, true);
    await gate.close();
  });
});

describe('tools/call: the gate', () => {
  test('a good call: structured and text, audited ok with caller, duration and bytes', async () => {
    const gate = await start();
    const { result, record, text } = await gate.call('list_pods', { name: 'web' });
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { name: 'web', limit: 5 });
    assert.equal(text, 'web ×5');
    assert.equal(record.kind, 'tool');
    assert.equal(record.name, 'list_pods');
    assert.equal(record.caller, 'agent-a');
    assert.equal(record.transport, 'in-memory');
    assert.equal(record.outcome, 'ok');
    assert.equal(typeof record.durationMs, 'number');
    assert.ok(record.durationMs >= 0);
    assert.equal(record.bytes, Buffer.byteLength(text) + Buffer.byteLength(JSON.stringify({ name: 'web', limit: 5 })));
    assert.deepEqual(record.arguments, { name: 'web' });
    assert.equal(record.reason, undefined);
    await gate.close();
  });

  test('invalid arguments: isError naming each field, audited', async () => {
    const gate = await start();
    const { result, record, text } = await gate.call('list_pods', { name: '', limit: 50 });
    assert.equal(result.isError, true);
    assert.match(text, /^Invalid arguments for list_pods: /);
    assert.match(text, /name: /);
    assert.match(text, /limit: /);
    assert.match(text, /Fix them and call again\./);
    assert.deepEqual([record.outcome, record.error], ['error', 'invalid']);

    const extra = await gate.call('list_pods', { name: 'web', namespace: 'kube-system' });
    assert.equal(extra.result.isError, true);
    assert.match(extra.text, /namespace/);
    const missing = await gate.call('list_pods', {});
    assert.match(missing.text, /name: /);
    await gate.close();
  });

  test('an unknown tool is a protocol error naming the tools that exist', async () => {
    const gate = await start();
    const error = await protocolError(gate.client.callTool({ name: 'get_secrets', arguments: {} }));
    assert.equal(error.code, ProtocolErrorCode.InvalidParams);
    assert.match(error.message, /Unknown tool get_secrets\. Available: list_pods, get_pod_logs/);
    const record = gate.audit().find((entry) => entry.name === 'get_secrets');
    assert.equal(record?.outcome, 'refused', 'a call of a tool that does not exist is audited too');
    await gate.close();
  });

  test('rate limit: isError with the seconds to wait, audited as rate-limited; per caller', async () => {
    const gate = await start({ perMinute: 6 });
    for (let i = 0; i < 5; i += 1)
      assert.equal((await gate.call('list_pods', { name: 'web' })).result.isError, undefined);
    const limited = await gate.call('list_pods', { name: 'web' });
    assert.equal(limited.result.isError, true);
    assert.equal(limited.text, 'Rate limit reached (6 calls per minute per caller). Retry after 10 s.');
    assert.equal(limited.record.outcome, 'rate-limited');
    assert.equal(limited.record.error, 'rate-limited');
    gate.caller.id = 'agent-b';
    assert.equal((await gate.call('list_pods', { name: 'web' })).result.isError, undefined, 'another caller');
    gate.caller.id = 'agent-a';
    gate.advance(10_000);
    assert.equal((await gate.call('list_pods', { name: 'web' })).result.isError, undefined, 'after the wait');
    await gate.close();
  });

  test('busy: over the per-caller share or the whole bound, isError "Busy … retry in N s", audited; others served', async () => {
    slowWork = deferred();
    const calls = createCallGate({ running: 2, waiting: 0, perCaller: 1 });
    const gate = await start({ calls });
    const holding = gate.client.callTool({ name: 'inspect_app', arguments: {} });
    // The first call holds this caller's one place while it runs.
    while (calls.running() === 0) await new Promise((done) => setImmediate(done));
    const ownShare = await gate.call('list_pods', { name: 'web' });
    assert.equal(ownShare.result.isError, true);
    assert.match(ownShare.text, /^Busy: this caller already has 1 calls running or waiting .* retry in 2 s\.$/);
    assert.deepEqual([ownShare.record.outcome, ownShare.record.error], ['rate-limited', 'busy']);
    gate.caller.id = 'agent-b';
    const other = await gate.call('list_pods', { name: 'web' });
    assert.equal(other.result.isError, undefined, 'another caller is still served');
    slowWork.resolve({ done: true });
    await holding;
    gate.caller.id = 'agent-a';
    assert.equal((await gate.call('list_pods', { name: 'web' })).result.isError, undefined, 'the place is free again');
    await gate.close();
  });

  test('secrets and escapes are gone from both the structured content and the text', async () => {
    const gate = await start();
    const { result, text } = await gate.call('get_pod_logs');
    assert.equal(result.isError, undefined);
    const structured = result.structuredContent as {
      log: string;
      env: Array<{ name: string; value: string }>;
      header: string;
    };
    assert.equal(structured.log, `ERROR login failed password=${REDACTED} token ${REDACTED} via ${REDACTED}`);
    assert.deepEqual(structured.env, [
      { name: 'DB_PASSWORD', value: REDACTED },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    assert.equal(structured.header, `Authorization: Bearer ${REDACTED}`);
    for (const leaked of ['hunter2', JWT, KNOWN_SECRET, 'abcdef0123456789', 'sk-live-0123', '\x1b', '\u202e']) {
      assert.ok(!JSON.stringify(result.structuredContent).includes(leaked), `structured: ${leaked}`);
      assert.ok(!text.includes(leaked), `text: ${leaked}`);
    }
    assert.match(text, /DB_PASSWORD=\[REDACTED\]/);
    assert.match(text, /api_key=\[REDACTED\]/);
    assert.match(text, /LOG_LEVEL=debug/);
    await gate.close();
  });

  test('arguments and reasons are redacted in the audit log too', async () => {
    const gate = await start();
    const { record } = await gate.call('restart_deployment', {
      workload: 'web',
      reason: `rotating password=hunter2 because ${KNOWN_SECRET} leaked`,
      dry_run: true,
    });
    assert.equal(record.reason, `rotating password=${REDACTED} because ${REDACTED} leaked`);
    assert.ok(!JSON.stringify(record).includes('hunter2'));
    assert.ok(!JSON.stringify(record).includes(KNOWN_SECRET));
    await gate.close();
  });

  test('over the byte budget: isError telling how to narrow', async () => {
    const gate = await start();
    const { result, text, record } = await gate.call('list_events');
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent, undefined);
    assert.match(text, new RegExp(`^The answer would be \\d+ bytes, above the ${RESULT_BUDGET_BYTES}-byte budget\\.`));
    assert.match(text, /Narrow the request \(a smaller limit, a filter, or a single name\)\./);
    assert.equal(record.outcome, 'error');
    await gate.close();
  });

  test('a long rendering is cut, the structured result kept whole', async () => {
    const gate = await start();
    const { result, text } = await gate.call('read_runbook');
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { size: 30_000 });
    assert.ok(text.startsWith('y'.repeat(1000)));
    assert.match(text, /\n\[truncated: \d+ more bytes; the structured result is complete\]$/);
    assert.ok(Buffer.byteLength(text) < RESULT_BUDGET_BYTES + 200);
    await gate.close();
  });

  test('a ToolFailure becomes isError with its own message', async () => {
    const gate = await start();
    const { result, text, record } = await gate.call('list_deployments');
    assert.equal(result.isError, true);
    assert.equal(text, 'Deployment "web" does not exist in namespace team. Existing Deployments: api.');
    assert.deepEqual([record.outcome, record.error], ['error', 'not-found']);
    await gate.close();
  });

  test('any other error becomes isError too, redacted', async () => {
    const gate = await start();
    const { result, text, record } = await gate.call('get_resources');
    assert.equal(result.isError, true);
    assert.equal(text, `Reading Broken failed: boom while reading password=${REDACTED}`);
    assert.equal(record.outcome, 'error');
    await gate.close();
  });

  test('slower than the deadline: a timeout the agent can act on', async () => {
    slowWork = deferred();
    const gate = await start({ deadlineMs: 20 });
    const { result, text, record } = await gate.call('inspect_app');
    assert.equal(result.isError, true);
    assert.match(
      text,
      /^No answer within 0\.02 s \(the API server or the app may be overloaded\)\. Retry with a narrower request\.$/,
    );
    assert.deepEqual([record.outcome, record.error], ['error', 'timeout']);
    slowWork.resolve({ done: true });
    await gate.close();
  });

  test('the tool handlers here never reached the API server', async () => {
    const gate = await start();
    await gate.call('list_pods', { name: 'web' });
    await gate.call('get_pod_logs');
    assert.equal(gate.kube.requestCount(), 0);
    await gate.close();
  });
});

describe('tools/call: action cooldown', () => {
  const args = (workload: string, dryRun = false) => ({
    workload,
    reason: 'pods stuck after the config change',
    dry_run: dryRun,
  });

  test('a dry run starts no cooldown; an applied action does, for that target only', async () => {
    const gate = await start({ cooldownSeconds: 300 });
    const dry = await gate.call('restart_deployment', args('web', true));
    assert.deepEqual(dry.result.structuredContent, { applied: false, target: 'Deployment/web' });
    assert.equal(dry.record.target, 'Deployment/web');
    assert.equal(dry.record.reason, 'pods stuck after the config change');

    const applied = await gate.call('restart_deployment', args('web'));
    assert.deepEqual(applied.result.structuredContent, { applied: true, target: 'Deployment/web' });
    assert.equal(applied.record.outcome, 'ok');

    const again = await gate.call('restart_deployment', args('web', true));
    assert.equal(again.result.isError, true);
    assert.match(again.text, /^Deployment\/web was changed by podmcp less than 300 s ago \(cooldown\)\./);
    assert.match(again.text, /retry after 300 s\.$/);
    assert.deepEqual([again.record.outcome, again.record.target], ['rate-limited', 'Deployment/web']);

    assert.equal((await gate.call('restart_deployment', args('api'))).result.isError, undefined, 'another target');
    gate.advance(300_000);
    assert.equal((await gate.call('restart_deployment', args('web'))).result.isError, undefined, 'after the cooldown');
    await gate.close();
  });

  test('two parallel calls on one target: only one acts', async () => {
    deleteStarted = deferred();
    deleteWork = deferred();
    const gate = await start();
    const first = gate.client.callTool({ name: 'delete_pod', arguments: args('web-1') });
    await deleteStarted.promise;
    const second = await gate.call('delete_pod', args('web-1'));
    assert.equal(second.result.isError, true);
    assert.match(second.text, /Pod\/web-1 is being acted on by another call right now/);
    assert.deepEqual([second.record.outcome, second.record.target], ['rate-limited', 'Pod/web-1']);
    deleteWork.resolve({ applied: true, target: 'Pod/web-1' });
    assert.equal(((await first) as CallToolResult).isError, undefined);
    const third = await gate.call('delete_pod', args('web-1'));
    assert.match(third.text, /cooldown/);
    await gate.close();
  });

  test('an action that outlives its deadline still starts the cooldown when it applies', async () => {
    deleteStarted = deferred();
    deleteWork = deferred();
    const gate = await start({ deadlineMs: 20 });
    const timedOut = await gate.call('delete_pod', args('web-2'));
    assert.match(timedOut.text, /^No answer within/);
    const meanwhile = await gate.call('delete_pod', args('web-2'));
    assert.match(meanwhile.text, /being acted on by another call right now/, 'still running in the background');
    deleteWork.resolve({ applied: true, target: 'Pod/web-2' });
    await new Promise((resolve) => setImmediate(resolve));
    const after = await gate.call('delete_pod', args('web-2'));
    assert.match(after.text, /cooldown/);
    await gate.close();
  });

  test('an action that did not apply starts no cooldown and releases the target', async () => {
    deleteStarted = deferred();
    deleteWork = deferred();
    const gate = await start();
    const first = gate.client.callTool({ name: 'delete_pod', arguments: args('web-3') });
    await deleteStarted.promise;
    deleteWork.resolve({ applied: false, target: 'Pod/web-3' });
    await first;
    deleteStarted = deferred();
    deleteWork = deferred();
    const next = gate.client.callTool({ name: 'delete_pod', arguments: args('web-3') });
    await deleteStarted.promise;
    deleteWork.resolve({ applied: true, target: 'Pod/web-3' });
    assert.equal(((await next) as CallToolResult).isError, undefined);
    await gate.close();
  });

  test('a handler that throws at once releases the target', async () => {
    const gate = await start();
    for (let i = 0; i < 2; i += 1) {
      const { text } = await gate.call('scale_workload', args('web'));
      assert.equal(text, 'replicas above the maximum of 10');
    }
    await gate.close();
  });
});

describe('resources', () => {
  test('list and templates', async () => {
    const gate = await start();
    const { resources } = await gate.client.listResources();
    assert.deepEqual(
      resources.map((resource) => resource.uri),
      ['podmcp://test/static'],
    );
    const { resourceTemplates } = await gate.client.listResourceTemplates();
    assert.deepEqual(
      resourceTemplates.map((template) => template.uriTemplate),
      ['podmcp://test/pods/{name}'],
    );
    await gate.close();
  });

  test('read a static resource: stripped and redacted, audited', async () => {
    const gate = await start();
    const before = gate.audit().length;
    const { contents } = await gate.client.readResource({ uri: 'podmcp://test/static' });
    assert.deepEqual(contents, [
      { uri: 'podmcp://test/static', mimeType: 'text/markdown', text: `# Static\nbold password=${REDACTED}` },
    ]);
    const records = gate.audit().slice(before);
    assert.equal(records.length, 1);
    assert.deepEqual(
      [records[0]?.kind, records[0]?.name, records[0]?.outcome],
      ['resource', 'podmcp://test/static', 'ok'],
    );
    await gate.close();
  });

  test('read a template resource', async () => {
    const gate = await start();
    const { contents } = await gate.client.readResource({ uri: 'podmcp://test/pods/web-1' });
    assert.deepEqual(contents, [{ uri: 'podmcp://test/pods/web-1', mimeType: 'text/plain', text: 'pod web-1' }]);
    await gate.close();
  });

  test('a read that throws at once fails and gives its place in the call gate back', async () => {
    const calls = createCallGate({ running: 1, waiting: 0 });
    const gate = await start({ calls });
    const error = await protocolError(gate.client.readResource({ uri: 'podmcp://test/pods/throw-at-once' }));
    assert.match(error.message, /thrown before any promise/);
    assert.equal(calls.running(), 0);
    const { contents } = await gate.client.readResource({ uri: 'podmcp://test/pods/web-2' });
    assert.deepEqual(contents, [{ uri: 'podmcp://test/pods/web-2', mimeType: 'text/plain', text: 'pod web-2' }]);
    await gate.close();
  });

  test("rate limit: resources and prompts answer the tools' one message, as InvalidRequest, audited", async () => {
    const gate = await start({ perMinute: 6 });
    for (let i = 0; i < 5; i += 1) await gate.client.readResource({ uri: 'podmcp://test/static' });
    const message = 'Rate limit reached (6 calls per minute per caller). Retry after 10 s.';
    const read = await protocolError(gate.client.readResource({ uri: 'podmcp://test/static' }));
    assert.deepEqual([read.code, read.message], [ProtocolErrorCode.InvalidRequest, message]);
    const prompt = await protocolError(gate.client.getPrompt({ name: 'triage', arguments: { pod: 'web-1' } }));
    assert.deepEqual([prompt.code, prompt.message], [ProtocolErrorCode.InvalidRequest, message]);
    assert.deepEqual(
      gate
        .audit()
        .filter((record) => record.outcome === 'rate-limited')
        .map((record) => record.kind),
      ['resource', 'prompt'],
    );
    await gate.close();
  });

  // -32602 with the URI in its data: the 2026-07-28 code, which the SDK answers in both eras (clients of the
  // 2025 versions are told to accept it beside -32002).
  test('an unknown resource is invalid params -32602 naming the URI', async () => {
    const gate = await start();
    const error = await protocolError(gate.client.readResource({ uri: 'podmcp://test/nothing' }));
    assert.deepEqual([error.code, error.data], [ProtocolErrorCode.InvalidParams, { uri: 'podmcp://test/nothing' }]);
    assert.match(error.message, /Unknown resource podmcp:\/\/test\/nothing/);
    await gate.close();
  });
});

describe('prompts and completion', () => {
  test('a prompt with its arguments', async () => {
    const gate = await start();
    const { prompts } = await gate.client.listPrompts();
    assert.deepEqual(prompts[0]?.arguments, triage.arguments);
    const prompt = await gate.client.getPrompt({ name: 'triage', arguments: { pod: 'web-1', focus: 'memory' } });
    assert.deepEqual(prompt.messages, [
      { role: 'user', content: { type: 'text', text: `Triage web-1 (memory); token=${REDACTED}` } },
    ]);
    await gate.close();
  });

  test('a missing required argument is an error naming it', async () => {
    const gate = await start();
    const error = await protocolError(gate.client.getPrompt({ name: 'triage', arguments: { focus: 'memory' } }));
    assert.equal(error.code, ProtocolErrorCode.InvalidParams);
    assert.match(error.message, /Missing argument: pod/);
    const unknown = await protocolError(gate.client.getPrompt({ name: 'nope' }));
    assert.match(unknown.message, /Unknown prompt nope\. Available: triage/);
    await gate.close();
  });

  test('completion filters by prefix, for prompts and resource templates', async () => {
    const gate = await start();
    const forPrompt = await gate.client.complete({
      ref: { type: 'ref/prompt', name: 'triage' },
      argument: { name: 'pod', value: 'web' },
    });
    assert.deepEqual(forPrompt.completion, { values: ['web-1', 'web-2'], total: 2, hasMore: false });
    const forResource = await gate.client.complete({
      ref: { type: 'ref/resource', uri: 'podmcp://test/pods/{name}' },
      argument: { name: 'name', value: 'api' },
    });
    assert.deepEqual(forResource.completion.values, ['api-1']);
    const none = await gate.client.complete({
      ref: { type: 'ref/prompt', name: 'triage' },
      argument: { name: 'focus', value: '' },
    });
    assert.deepEqual(none.completion.values, []);
    await gate.close();
  });
});
