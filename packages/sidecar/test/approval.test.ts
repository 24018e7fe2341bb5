/**
 * The approval step of an action asked of a 2025 client (elicitation on its session), through the MCP gate
 * (createMcpServer) and an SDK client over an in-memory transport: the client answers the elicitation with yes, no, decline, cancel, an error, or not at all. The
 * action records every run; only a yes may run it for real (a dry run for the preview is the only other run).
 * With unattended actions off, a client that cannot ask is refused without running anything. The namespaced
 * client points at an address nothing listens on and is never used.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CallToolResult, Client, type ElicitResult, InMemoryTransport } from '@modelcontextprotocol/client';
import type { ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { requestApproval } from '../src/mcp/approval.ts';
import { createMcpServer } from '../src/mcp/server.ts';
import { defineTool } from '../src/tools/definition.ts';
import { gateServices } from './gate-services.ts';

const REASON = 'pods stuck after the config change';

/** What the client does when asked: answer, fail, or leave the question open. */
type Answering = ElicitResult | 'error' | 'never';

interface Setup {
  /** Declare form elicitation and answer with this; undefined: a client that cannot ask. */
  readonly answering?: Answering;
  readonly unattendedActions: boolean;
}

async function start(setup: Setup) {
  const runs: Array<{ dryRun: boolean }> = [];
  const restart = defineTool({
    name: 'restart_deployment',
    title: 'Restart Deployment',
    description: 'Records that it ran.',
    input: z.object({ workload: z.string(), reason: z.string(), dry_run: z.boolean().default(false) }).strict(),
    output: z.object({ applied: z.boolean(), target: z.string() }),
    hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    target: (args) => `Deployment/${args.workload}`,
    run: async (args) => {
      runs.push({ dryRun: args.dry_run });
      return { applied: !args.dry_run, target: `Deployment/${args.workload}` };
    },
    render: (result) => (result.applied ? `restarted ${result.target}` : `would restart ${result.target}`),
  });
  const { services, audit } = gateServices({
    tools: [restart.name],
    perMinute: 6000,
    cooldownSeconds: 0,
    unattendedActions: setup.unattendedActions,
    now: () => 0,
  });
  const server = createMcpServer({
    services,
    catalogue: { tools: [restart], resources: [], prompts: [], instructions: 'test' },
    caller: () => ({ id: 'agent', transport: 'in-memory' }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const asked: string[] = [];
  const client = new Client(
    { name: 'approval-test', version: '1.0.0' },
    setup.answering === undefined ? undefined : { capabilities: { elicitation: { form: {} } } },
  );
  const answering = setup.answering;
  if (answering !== undefined) {
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params.message);
      if (answering === 'error') throw new Error('the user interface crashed');
      if (answering === 'never') return new Promise<ElicitResult>(() => undefined);
      return answering;
    });
  }
  await client.connect(clientSide);
  return {
    client,
    server,
    runs,
    asked,
    audit,
    async restart(options: { signal?: AbortSignal } = {}) {
      const result = (await client.callTool(
        { name: 'restart_deployment', arguments: { workload: 'web', reason: REASON } },
        options,
      )) as CallToolResult;
      return { result, text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join('') };
    },
    close: () => client.close(),
  };
}

const applied = (runs: ReadonlyArray<{ dryRun: boolean }>) => runs.filter((run) => !run.dryRun).length;

describe('an action where the client can ask its user', () => {
  test('yes: the user sees the dry run and the reason, then the action runs once, audited as approved by a human', async () => {
    const gate = await start({ answering: { action: 'accept', content: { approve: true } }, unattendedActions: false });
    try {
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.deepEqual(result.structuredContent, { applied: true, target: 'Deployment/web' });
      assert.deepEqual(gate.runs, [{ dryRun: true }, { dryRun: false }], 'the preview, then the real run');
      assert.equal(gate.asked.length, 1);
      assert.match(gate.asked[0] ?? '', /^podmcp asks to restart deployment \(Deployment\/web\)\./);
      assert.match(gate.asked[0] ?? '', new RegExp(`Reason given: ${REASON}`));
      assert.match(gate.asked[0] ?? '', /The server-side dry run says:\nwould restart Deployment\/web\n/);
      const record = gate.audit().find((line) => line.name === 'restart_deployment');
      assert.deepEqual([record?.outcome, record?.approval, record?.approvalStatus], ['ok', 'human', 'approved']);
    } finally {
      await gate.close();
    }
  });

  for (const [label, answer, says] of [
    ['accepted without approving', { action: 'accept', content: { approve: false } }, 'the user did not approve'],
    ['accepted with no content', { action: 'accept' }, 'the user did not approve'],
    ['declined', { action: 'decline' }, 'the user declined'],
    ['cancelled', { action: 'cancel' }, 'the user cancelled'],
  ] as const) {
    test(`${label}: the action never runs for real, the answer says so, the refusal is audited`, async () => {
      const gate = await start({ answering: answer as ElicitResult, unattendedActions: true });
      try {
        const { result, text } = await gate.restart();
        assert.equal(result.isError, true);
        assert.equal(text, `Nothing was changed: ${says} the action.`);
        assert.equal(gate.asked.length, 1, 'the user was asked');
        assert.equal(applied(gate.runs), 0, 'run() was only called as a dry run');
        const record = gate.audit().find((line) => line.name === 'restart_deployment');
        assert.deepEqual([record?.outcome, record?.error], ['refused', 'refused']);
      } finally {
        await gate.close();
      }
    });
  }

  test('the client fails to answer: nothing runs, and the answer says the approval was not answered', async () => {
    const gate = await start({ answering: 'error', unattendedActions: true });
    try {
      const { result, text } = await gate.restart();
      assert.equal(result.isError, true);
      assert.match(text, /^Nothing was changed: the approval was not answered \(.*the user interface crashed.*\)\.$/);
      assert.equal(applied(gate.runs), 0);
    } finally {
      await gate.close();
    }
  });

  test('the caller gives up while the question is open: nothing runs', { timeout: 10_000 }, async (t) => {
    const gate = await start({ answering: 'never', unattendedActions: true });
    try {
      const controller = new AbortController();
      const call = gate.restart({ signal: controller.signal });
      await waitUntil(() => gate.asked.length === 1, t.signal);
      controller.abort();
      await assert.rejects(call);
      // The server saw the cancellation: its refusal is the call's one audit record.
      await waitUntil(() => gate.audit().some((line) => line.name === 'restart_deployment'), t.signal);
      const record = gate.audit().find((line) => line.name === 'restart_deployment');
      assert.equal(record?.outcome, 'refused');
      assert.equal(applied(gate.runs), 0);
    } finally {
      await gate.close();
    }
  });
});

describe('requestApproval on its own', () => {
  test('no answer within its timeout: not approved, and the preview was shown first', async () => {
    const gate = await start({ answering: 'never', unattendedActions: true });
    try {
      const signal = new AbortController().signal;
      const verdict = await requestApproval({
        server: gate.server,
        // A 2025 request's context: no envelope, no state; the session's capabilities are the server's.
        ctx: {
          mcpReq: { id: 1, method: 'tools/call', signal, requestState: () => undefined },
        } as unknown as ServerContext,
        era: 'legacy',
        toolTitle: 'Restart Deployment',
        target: 'Deployment/web',
        reason: undefined,
        preview: async () => ({ text: 'would restart Deployment/web', digest: 'd', at: 0 }),
        unattendedAllowed: true,
        relatedRequestId: 1,
        signal,
        timeoutMs: 10,
      });
      assert.equal(verdict.approved, false);
      assert.match(
        'message' in verdict ? verdict.message : '',
        /^Nothing was changed: the approval was not answered \(.*timed out.*\)\.$/i,
      );
      assert.equal(gate.asked.length, 1);
    } finally {
      await gate.close();
    }
  });
});

describe('an action where the client cannot ask its user', () => {
  test('unattended actions off: refused with how to proceed, and run() is never called, not even as a dry run', async () => {
    const gate = await start({ unattendedActions: false });
    try {
      const { result, text } = await gate.restart();
      assert.equal(result.isError, true);
      assert.match(text, /^Nothing was changed\. This MCP client cannot ask a human to approve actions/);
      assert.match(text, /dry_run: true/);
      assert.deepEqual(gate.runs, []);
      const record = gate.audit().find((line) => line.name === 'restart_deployment');
      assert.equal(record?.outcome, 'refused');
    } finally {
      await gate.close();
    }
  });

  test('unattended actions on: the policy approves, the action runs once, audited as approved by policy', async () => {
    const gate = await start({ unattendedActions: true });
    try {
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.deepEqual(gate.runs, [{ dryRun: false }]);
      const record = gate.audit().find((line) => line.name === 'restart_deployment');
      assert.deepEqual([record?.outcome, record?.approval], ['ok', 'policy']);
    } finally {
      await gate.close();
    }
  });
});

/** Waits for something the other side of the in-memory transport does, until the test's own timeout. */
async function waitUntil(condition: () => boolean, signal: AbortSignal): Promise<void> {
  while (!condition()) {
    signal.throwIfAborted();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
