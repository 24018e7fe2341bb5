/**
 * The catalogue an agent sees — tools/list, resources/templates/list, resources/list's fixed entries and
 * prompts/list — is a contract: this golden file makes every change to it visible in review. Set
 * UPDATE_GOLDEN=1 to rewrite it after an intended change (refused under CI). Also checks the catalogue against
 * the contract in @podmcp/core and the modes: read-only lists no actions, read-write lists exactly the
 * allow-list.
 */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { ACTION_TOOLS, decodeSidecarEnv, READ_TOOLS, TOOL_NAMES } from '@podmcp/core';
import pino from 'pino';
import { updatingGoldens } from '../../../test/ci.ts';
import { createSidecar } from '../src/sidecar.ts';
import { TOOL_DEFINITIONS } from '../src/tools/catalog.ts';

/** Bytes of tools/list as JSON (8 read tools; 12 with the actions), measured before these ceilings were set. */
const CATALOGUE_CEILINGS = { readOnly: 7_150, readOnlyFull: 19_250, readWrite: 10_750, readWriteFull: 30_400 };

const golden = new URL('./golden/catalogue.json', import.meta.url);

/** A sidecar that never reaches an API server: listing needs none. */
async function connect(env: Record<string, string>) {
  const decoded = decodeSidecarEnv(env);
  if (!decoded.ok) throw new Error(decoded.errors.join('; '));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'none', token: 'not-a-real-token' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none', namespace: 'shop' }],
    currentContext: 'none',
  });
  const sidecar = createSidecar({
    settings: decoded.settings,
    connection: { kubeConfig, namespace: 'shop', namespaceSource: 'test' },
    logger: pino({ level: 'silent' }),
  });
  const server = sidecar.server(() => ({ id: 'golden', transport: 'in-memory' }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'golden', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

describe('the catalogue', () => {
  test('every tool of the contract has a definition, and nothing else does', () => {
    assert.deepEqual(Object.keys(TOOL_DEFINITIONS).sort(), [...TOOL_NAMES].sort());
  });

  test('each definition sits under its own name, and the type refuses another pairing', () => {
    for (const [name, definition] of Object.entries(TOOL_DEFINITIONS)) assert.equal(definition.name, name);
    // @ts-expect-error list_pods paired with list_events's definition does not compile (tsc checks this line)
    const misfiled: typeof TOOL_DEFINITIONS = { ...TOOL_DEFINITIONS, list_pods: TOOL_DEFINITIONS.list_events };
    assert.equal(misfiled.list_pods.name, 'list_events');
  });

  test('matches the golden snapshot (UPDATE_GOLDEN=1 to rewrite)', async () => {
    const client = await connect({
      PODMCP_MODE: 'read-write',
      PODMCP_RUNBOOKS: 'runbooks',
      PODMCP_APP_METRICS_PORT: '9090',
    });
    const { tools } = await client.listTools();
    const { resourceTemplates } = await client.listResourceTemplates();
    const { prompts } = await client.listPrompts();
    const { instructions, capabilities } = {
      instructions: client.getInstructions(),
      capabilities: client.getServerCapabilities(),
    };
    await client.close();
    const snapshot = `${JSON.stringify({ capabilities, instructions, tools, resourceTemplates, prompts }, null, 2)}\n`;
    if (updatingGoldens()) writeFileSync(golden, snapshot);
    assert.equal(snapshot, readFileSync(golden, 'utf8'));
  });

  test('tools/list stays within its byte ceilings, with and without output schemas', async () => {
    // An agent re-reads the catalogue on every model turn, so its size is a cost of every session. Raise a
    // ceiling only on purpose: each byte here is paid once per turn.
    const ceilings = {
      'read-only': {
        withoutOutputSchema: CATALOGUE_CEILINGS.readOnly,
        withOutputSchema: CATALOGUE_CEILINGS.readOnlyFull,
      },
      'read-write': {
        withoutOutputSchema: CATALOGUE_CEILINGS.readWrite,
        withOutputSchema: CATALOGUE_CEILINGS.readWriteFull,
      },
    };
    for (const [mode, ceiling] of Object.entries(ceilings)) {
      const client = await connect({ PODMCP_MODE: mode });
      const { tools } = await client.listTools();
      await client.close();
      const full = Buffer.byteLength(JSON.stringify({ tools }));
      const lean = Buffer.byteLength(
        JSON.stringify({ tools: tools.map(({ outputSchema: _dropped, ...tool }) => tool) }),
      );
      assert.ok(
        lean <= ceiling.withoutOutputSchema,
        `${mode} without outputSchema: ${lean} > ${ceiling.withoutOutputSchema} bytes`,
      );
      assert.ok(
        full <= ceiling.withOutputSchema,
        `${mode} with outputSchema: ${full} > ${ceiling.withOutputSchema} bytes`,
      );
    }
  });

  test('every tool says it works on a closed world, has a described input and an output schema', async () => {
    const client = await connect({ PODMCP_MODE: 'read-write' });
    const { tools } = await client.listTools();
    await client.close();
    for (const tool of tools) {
      assert.equal(tool.annotations?.openWorldHint, false, tool.name);
      assert.ok(tool.outputSchema, `${tool.name} has an outputSchema`);
      assert.ok((tool.description ?? '').length > 60, `${tool.name} has a description written for an agent`);
      assert.ok(tool.name.length <= 64);
      for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
        assert.ok((property as { description?: string }).description, `${tool.name}.${name} is described`);
      }
      assert.ok(!('namespace' in (tool.inputSchema.properties ?? {})), `${tool.name} takes no namespace`);
    }
  });

  test('read-only lists no actions; read-write lists the allow-list in contract order', async () => {
    const readOnly = await connect({});
    assert.deepEqual(
      (await readOnly.listTools()).tools.map((tool) => tool.name),
      [...READ_TOOLS],
    );
    await readOnly.close();
    const allowList = await connect({ PODMCP_MODE: 'read-write', PODMCP_TOOLS: 'scale_workload,diagnose' });
    assert.deepEqual(
      (await allowList.listTools()).tools.map((tool) => tool.name),
      ['diagnose', 'scale_workload'],
    );
    await allowList.close();
    const everything = await connect({ PODMCP_MODE: 'read-write' });
    assert.deepEqual(
      (await everything.listTools()).tools.map((tool) => tool.name),
      [...READ_TOOLS, ...ACTION_TOOLS],
    );
    await everything.close();
  });
});
