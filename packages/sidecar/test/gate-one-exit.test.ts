/**
 * One exit for every answer, through the MCP server over an in-memory transport: tool results (text and
 * structured content), resources, prompts, errors and audit records are redacted before anything is cut to the
 * answer budget, every error and echoed input stays within that budget, and a resource read with bad input is
 * invalid params. The definitions here never call Kubernetes.
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
import { createCallGate } from '../src/governance/concurrency.ts';
import { READ_HINTS } from '../src/hints.ts';
import { createMcpServer } from '../src/mcp/server.ts';
import { RESULT_BUDGET_BYTES } from '../src/output/budget.ts';
import type { PromptDefinition } from '../src/prompts/definition.ts';
import type { ResourceDefinition } from '../src/resources/definition.ts';
import { workloadResource } from '../src/resources/from-tools.ts';
import { REDACTED } from '../src/safety/redact.ts';
import { defineTool } from '../src/tools/definition.ts';
import { gateServices } from './gate-services.ts';

/** A value the redactor knows by heart (as it knows the sidecar's own token). */
const SECRET = 'the-sidecars-own-token-value';
/** Any 8 characters of the secret would be a leak. */
const FRAGMENTS = Array.from({ length: SECRET.length - 7 }, (_, index) => SECRET.slice(index, index + 8));
/** Text whose budget cut falls in the middle of the secret: cut first, its first half would be shown. */
const STRADDLING = `${'y'.repeat(RESULT_BUDGET_BYTES - 10)}${SECRET} and more`;
const HUGE_NAME = 'n'.repeat(1024 * 1024);

function assertNoFragment(text: string, where: string): void {
  for (const fragment of FRAGMENTS) assert.ok(!text.includes(fragment), `${where} shows "${fragment}"`);
}

const straddlingText = defineTool({
  name: 'read_runbook',
  title: 'Straddling text',
  description: 'A rendering with the secret across the budget cut.',
  input: z.object({}).strict(),
  output: z.object({ size: z.number() }),
  hints: READ_HINTS,
  run: async () => ({ size: 1 }),
  render: () => STRADDLING,
});

const secretHeavy = defineTool({
  name: 'list_events',
  title: 'Secret heavy',
  description: 'Structured content over the budget until its secrets are redacted.',
  input: z.object({}).strict(),
  output: z.object({ items: z.array(z.string()) }),
  hints: READ_HINTS,
  run: async () => ({ items: Array.from({ length: 1500 }, () => SECRET) }),
  render: (result) => `${result.items.length} items`,
});

const strict = defineTool({
  name: 'list_pods',
  title: 'Strict',
  description: 'Takes one argument.',
  input: z.object({ name: z.string() }).strict(),
  output: z.object({ name: z.string() }),
  hints: READ_HINTS,
  run: async (args) => ({ name: args.name }),
  render: (result) => result.name,
});

const loudFailure = defineTool({
  name: 'list_deployments',
  title: 'Loud failure',
  description: 'Fails with a message that echoes far too much.',
  input: z.object({}).strict(),
  output: z.object({}),
  hints: READ_HINTS,
  run: async () => {
    // Cut to the budget less room for its note, this message would end ten characters into the secret.
    throw new ToolFailure(`${'e'.repeat(RESULT_BUDGET_BYTES - 58)}${SECRET}${'z'.repeat(100)}`, 'not-found');
  },
  render: () => '',
});

const resources: ResourceDefinition[] = [
  {
    uri: 'podmcp://test/straddling',
    name: 'straddling',
    title: 'Straddling',
    description: 'Text with the secret across the budget cut.',
    mimeType: 'text/plain',
    read: async () => STRADDLING,
  },
  {
    uri: 'podmcp://test/pods/{name}',
    name: 'pod',
    title: 'Pod',
    description: 'One pod; names are checked.',
    mimeType: 'text/plain',
    list: async () => [{ uri: 'podmcp://test/pods/web-1', name: `web-1 \x1b[1m${SECRET}` }],
    complete: { name: async () => [`web-${SECRET}`, 'web-2'] },
    read: async (variables) => {
      if (variables.name === 'bug') throw new TypeError('undefined is not a function');
      if (!/^[a-z0-9-]+$/.test(variables.name ?? '')) {
        throw new ToolFailure(`"${variables.name}" is not a pod name.`, 'invalid');
      }
      return `pod ${variables.name}`;
    },
  },
];

const prompts: PromptDefinition[] = [
  {
    name: 'straddling',
    title: 'Straddling',
    description: 'A prompt with the secret across the budget cut.',
    arguments: [],
    build: async () => STRADDLING,
  },
];

async function start() {
  const offline = gateServices({
    tools: [straddlingText.name, secretHeavy.name, strict.name, loudFailure.name],
    perMinute: 6000,
    cooldownSeconds: 0,
    unattendedActions: false,
    now: () => 0,
    secrets: [SECRET],
    calls: createCallGate(),
  });
  const server = createMcpServer({
    services: offline.services,
    catalogue: { tools: [straddlingText, secretHeavy, strict, loudFailure], resources, prompts, instructions: 'test' },
    caller: () => ({ id: 'agent', transport: 'in-memory' }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'one-exit-test', version: '1.0.0' });
  await client.connect(clientSide);
  await client.listTools();
  return {
    client,
    audit: () => offline.audit(),
    async call(name: string, args: Record<string, unknown> = {}) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      return { result, text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join('') };
    },
  };
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

describe('redaction before the budget', () => {
  test('a tool’s text: the cut falls where the secret was, and no fragment of it shows', async () => {
    const gate = await start();
    const { result, text } = await gate.call('read_runbook');
    assert.equal(result.isError, undefined);
    assert.match(text, /\[truncated: \d+ more bytes; the structured result is complete\]$/);
    assert.ok(text.includes(`y${REDACTED.slice(0, 5)}`), 'the redaction marker is what was cut');
    assertNoFragment(text, 'the text');
  });

  test('structured content is measured once redacted: secrets that made it too big do not refuse it', async () => {
    const gate = await start();
    const { result, text } = await gate.call('list_events');
    assert.equal(result.isError, undefined, text);
    const items = (result.structuredContent as { items: string[] }).items;
    assert.equal(items.length, 1500);
    assert.ok(items.every((item) => item === REDACTED));
  });

  test('a resource and a prompt: the same', async () => {
    const gate = await start();
    const { contents } = await gate.client.readResource({ uri: 'podmcp://test/straddling' });
    const resourceText = (contents[0] as { text: string }).text;
    assert.match(resourceText, /\[truncated: \d+ more bytes\]$/);
    assertNoFragment(resourceText, 'the resource');
    const prompt = await gate.client.getPrompt({ name: 'straddling' });
    const promptText = String((prompt.messages[0]?.content as { text?: string } | undefined)?.text);
    assert.match(promptText, /\[truncated: \d+ more bytes\]$/);
    assertNoFragment(promptText, 'the prompt');
  });

  test('an error message: redacted, then bounded by the budget', async () => {
    const gate = await start();
    const { result, text } = await gate.call('list_deployments');
    assert.equal(result.isError, true);
    assert.ok(Buffer.byteLength(text) <= RESULT_BUDGET_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.match(text, /\[truncated: \d+ more bytes\]$/);
    assertNoFragment(text, 'the error');
  });

  test('audit records: arguments, their names and the reason redacted the same way', async () => {
    const gate = await start();
    await gate.call('list_pods', { name: `x ${SECRET}`, [`password=${SECRET}`]: 1 });
    const record = JSON.stringify(gate.audit().at(-1));
    assertNoFragment(record, 'the audit record');
    assert.ok(record.includes(`password=${REDACTED}`), record);
  });
});

describe('bounded echoes', () => {
  test('an unknown argument whose name is 1 MB long: a short error, a short audit record', async () => {
    const gate = await start();
    const { result, text } = await gate.call('list_pods', { name: 'web', [HUGE_NAME]: 1 });
    assert.equal(result.isError, true);
    assert.match(text, /^Invalid arguments for list_pods: /);
    assert.match(text, /nnnn…/);
    assert.ok(Buffer.byteLength(text) < 1024, `${Buffer.byteLength(text)} bytes`);
    const record = gate.audit().at(-1);
    assert.ok(Buffer.byteLength(JSON.stringify(record)) < 2048, 'the audit record is bounded too');
    assert.deepEqual([record?.outcome, record?.error], ['error', 'invalid']);
  });

  test('many bad arguments: the first few are named, and how many more', async () => {
    const gate = await start();
    const args = Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`extra_${index}`, index]));
    const { text } = await gate.call('list_pods', { name: 'web', ...args });
    assert.ok(Buffer.byteLength(text) <= RESULT_BUDGET_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.match(text, /Fix them and call again\.$/);
  });

  test('a tool, a resource, a prompt, a subscription with a 1 MB name: refusals within a few hundred bytes', async () => {
    const gate = await start();
    const errors = [
      await protocolError(gate.client.callTool({ name: HUGE_NAME, arguments: {} })),
      await protocolError(gate.client.readResource({ uri: `podmcp://${HUGE_NAME}` })),
      await protocolError(gate.client.getPrompt({ name: HUGE_NAME })),
      await protocolError(gate.client.subscribeResource({ uri: `podmcp://${HUGE_NAME}` })),
    ];
    for (const error of errors) {
      assert.ok(Buffer.byteLength(error.message) < 512, `${error.code}: ${Buffer.byteLength(error.message)} bytes`);
      const data = JSON.stringify(error.data ?? null);
      assert.ok(Buffer.byteLength(data) < 512, `${error.code}: data of ${Buffer.byteLength(data)} bytes`);
    }
    assert.deepEqual(
      errors.map((error) => error.code),
      [
        ProtocolErrorCode.InvalidParams,
        ProtocolErrorCode.InvalidParams,
        ProtocolErrorCode.InvalidParams,
        ProtocolErrorCode.InvalidParams,
      ],
      'a URI over the matcher’s limit is bad input, not an unknown resource',
    );
    assert.match(errors[1]?.message ?? '', /This URI cannot be read: URI exceeds maximum length/);
    const records = gate.audit();
    assert.equal(records.length, 3, 'a call, a read and a prompt; a subscription is not a call');
    for (const record of records) assert.ok(String(record.name).length <= 513, 'the audit keeps the start of the name');
  });
});

describe('every path out', () => {
  /** How each request the server answers leaves it; a new handler must be placed here before it ships. */
  const EXITS: Record<string, string> = {
    initialize: 'the SDK: server info and instructions',
    ping: 'the SDK: an empty result',
    'logging/setLevel': 'the SDK: an empty result (the log notes name a call and its outcome, never its arguments)',
    'tools/list': 'the catalogue: fixed text',
    'resources/templates/list': 'the catalogue: fixed text',
    'prompts/list': 'the catalogue: fixed text',
    'tools/call': 'the gate',
    'resources/read': 'the gate; a not-found error also echoes the URI in its data: redacted, then clipped',
    'prompts/get': 'the gate',
    'resources/list': 'names from the cluster: stripped and redacted',
    'completion/complete': 'names from the cluster: stripped and redacted',
    'resources/subscribe': 'a refusal that echoes the URI: clipped and redacted; or fixed text',
    'resources/unsubscribe': 'an empty result',
  };

  test('the server answers exactly the requests placed in the table', async () => {
    const offline = gateServices({
      tools: [],
      perMinute: 60,
      cooldownSeconds: 0,
      unattendedActions: false,
      now: () => 0,
    });
    const server = createMcpServer({
      services: offline.services,
      catalogue: { tools: [], resources: [], prompts: [], instructions: '' },
      caller: () => ({ id: 'agent', transport: 'in-memory' }),
    });
    // The SDK keeps its handlers in a private map; reading it is the only way to see every registered method.
    const handlers = (server as unknown as { _requestHandlers: Map<string, unknown> })._requestHandlers;
    assert.deepEqual([...handlers.keys()].sort(), Object.keys(EXITS).sort());
  });

  test('names from the cluster in resources/list and completion/complete are stripped and redacted', async () => {
    const gate = await start();
    const { resources: listed } = await gate.client.listResources();
    const listedText = JSON.stringify(listed);
    assertNoFragment(listedText, 'resources/list');
    assert.ok(!listedText.includes('\\u001b'), listedText);
    assert.ok(listedText.includes(`web-1 ${REDACTED}`), listedText);
    const completion = await gate.client.complete({
      ref: { type: 'ref/resource', uri: 'podmcp://test/pods/{name}' },
      argument: { name: 'name', value: 'web' },
    });
    assert.deepEqual(completion.completion.values, [`web-${REDACTED}`, 'web-2']);
  });
});

describe('resource error codes', () => {
  test('an unknown URI: -32602 with the URI in its data, redacted before it is clipped, as in the message', async () => {
    const gate = await start();
    // The cut at 128 characters falls inside the secret: clipped first, its first part would be shown.
    const uri = `podmcp://nothing/${'x'.repeat(128 - 'podmcp://nothing/'.length - 12)}${SECRET}`;
    const error = await protocolError(gate.client.readResource({ uri }));
    assert.equal(error.code, ProtocolErrorCode.InvalidParams);
    const echoed = String((error.data as { uri?: unknown } | undefined)?.uri);
    assert.ok(echoed.startsWith('podmcp://nothing/xxx') && echoed.length <= 129, echoed);
    assertNoFragment(echoed, 'the error’s data');
    assertNoFragment(error.message, 'the error’s message');
  });

  test('bad input in the URI is invalid params (-32602), naming what is wrong', async () => {
    const gate = await start();
    const error = await protocolError(gate.client.readResource({ uri: 'podmcp://test/pods/Not_A_Name' }));
    assert.equal(error.code, ProtocolErrorCode.InvalidParams);
    assert.match(error.message, /"Not_A_Name" is not a pod name\./);
  });

  test('the workload resource with a kind it does not serve: invalid params, before any API request', async () => {
    const offline = gateServices({
      tools: ['get_resources'],
      perMinute: 60,
      cooldownSeconds: 0,
      unattendedActions: false,
      now: () => 0,
    });
    const server = createMcpServer({
      services: offline.services,
      catalogue: { tools: [], resources: [workloadResource], prompts: [], instructions: '' },
      caller: () => ({ id: 'agent', transport: 'in-memory' }),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'one-exit-test', version: '1.0.0' });
    await client.connect(clientSide);
    const error = await protocolError(client.readResource({ uri: 'podmcp://workloads/secrets/web' }));
    assert.equal(error.code, ProtocolErrorCode.InvalidParams);
    assert.match(error.message, /kind must be one of deployments, /);
    assert.equal(offline.kube.requestCount(), 0);
  });

  test('a bug while reading is still an internal error (-32603): the agent’s input was fine', async () => {
    const gate = await start();
    const error = await protocolError(gate.client.readResource({ uri: 'podmcp://test/pods/bug' }));
    assert.equal(error.code, ProtocolErrorCode.InternalError);
  });

  test('a good read still answers', async () => {
    const gate = await start();
    const { contents } = await gate.client.readResource({ uri: 'podmcp://test/pods/web-1' });
    assert.equal((contents[0] as { text: string }).text, 'pod web-1');
  });
});
