/**
 * The approval of an action asked of a 2026-07-28 client (multi-round-trip): the sidecar's server for that era
 * (createMcpServer) behind the SDK's serving entry in strict mode, in process, and an SDK client pinned to
 * 2026-07-28 whose requests go straight into the entry. The first call answers "input required" with the dry
 * run; the client asks its user and calls again with the answer and the sealed state. Only a yes to the change
 * still about to be applied runs it, once; a no, a cancel, no answer, a state past its time or changed, answers
 * without a state and a change that differs from the one shown change nothing. Each request leaves an audit
 * record, the rounds of one approval linked by its id. The same over the sidecar's stdio transport, where the
 * client's capabilities come only with each request. The namespaced client is never used.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import {
  type CallToolResult,
  Client,
  type ElicitResult,
  ReadBuffer,
  StreamableHTTPClientTransport,
  serializeMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { z } from 'zod';
import type { Caller } from '../src/caller.ts';
import {
  APPROVAL_MAX_ROUNDS,
  APPROVAL_TIMEOUT_MS,
  STATE_MISMATCH,
  STATE_REFUSED,
  STATE_REPLAYED,
} from '../src/mcp/approval.ts';
import { createMcpServer } from '../src/mcp/server.ts';
import { defineTool } from '../src/tools/definition.ts';
import { startStdioTransport } from '../src/transport/stdio.ts';
import { gateServices } from './gate-services.ts';

const REASON = 'pods stuck after the config change';
const ARGS = { workload: 'web', reason: REASON };
const CALLER: Caller = { id: 'agent', transport: 'http' };

interface AuditLine {
  readonly name: string;
  readonly outcome: string;
  readonly approval?: string;
  readonly approvalId?: string;
  readonly approvalStatus?: string;
  readonly error?: string;
}

/** What the user answers, turn by turn (the last answer repeats); 'expire' answers yes after the approval's time. */
type Turn = ElicitResult | 'error' | 'expire';

interface Setup {
  /** How the client reaches the server: the SDK's HTTP entry (default), or the sidecar's stdio transport. */
  readonly wire?: 'http' | 'stdio';
  readonly turns?: readonly Turn[];
  readonly autoFulfill?: boolean;
  /** A client that declares no form elicitation, and the workload's policy for it. */
  readonly cannotAsk?: { readonly unattendedActions: boolean };
}

async function start(options: Setup = {}) {
  const runs: Array<{ dryRun: boolean; replicas: number }> = [];
  const world = { replicas: 3 };
  const restart = defineTool({
    name: 'restart_deployment',
    title: 'Restart Deployment',
    description: 'Records that it ran; its dry run shows how many pods it would replace.',
    input: z.object({ workload: z.string(), reason: z.string(), dry_run: z.boolean().default(false) }).strict(),
    output: z.object({ applied: z.boolean(), target: z.string(), pods: z.number() }),
    hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    target: (args) => `Deployment/${args.workload}`,
    run: async (args) => {
      runs.push({ dryRun: args.dry_run, replicas: world.replicas });
      return { applied: !args.dry_run, target: `Deployment/${args.workload}`, pods: world.replicas };
    },
    render: (result) =>
      result.applied ? `restarted ${result.target}` : `would restart ${result.target}: ${result.pods} pod(s) replaced`,
  });
  const { services, audit } = gateServices({
    tools: [restart.name],
    perMinute: 6000,
    cooldownSeconds: 0,
    unattendedActions: options.cannotAsk?.unattendedActions ?? false,
    now: () => 0,
  });
  const source = {
    server: (caller: (authInfo: unknown) => Caller, era?: 'legacy' | 'modern') =>
      createMcpServer({
        services,
        catalogue: { tools: [restart], resources: [], prompts: [], instructions: 'test' },
        caller,
        era,
      }),
  };
  const handler = createMcpHandler(
    () =>
      source.server((authInfo) => (authInfo as Caller | undefined) ?? { id: 'nobody', transport: 'http' }, 'modern'),
    { legacy: 'reject' },
  );
  const asked: string[] = [];
  const client = new Client(
    { name: 'approval-modern-test', version: '1.0.0' },
    {
      capabilities: options.cannotAsk ? {} : { elicitation: { form: {} } },
      versionNegotiation: { mode: { pin: '2026-07-28' } },
      ...(options.autoFulfill === false ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  const turns = options.turns ?? [];
  /** Moves the clock the sealed state is checked against (a test that lets it run out replaces it). */
  const clock: { tick: (ms: number) => void } = { tick: () => undefined };
  // A client that cannot ask registers no handler (the SDK refuses one it did not declare).
  if (!options.cannotAsk) {
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params.message);
      const turn = turns[Math.min(asked.length, turns.length) - 1];
      if (turn === undefined || turn === 'error') throw new Error('the user interface crashed');
      if (turn === 'expire') {
        // The user answers yes, after the approval's time.
        clock.tick(APPROVAL_TIMEOUT_MS + 2000);
        return { action: 'accept', content: { approve: true } };
      }
      if (turn.action === 'accept' && turn.content?.approve === 'change-first') {
        world.replicas += 1;
        return { action: 'accept', content: { approve: true } };
      }
      return turn;
    });
  }
  // Over stdio the sidecar's own transport serves the client on a pair of streams; else the HTTP entry.
  const stdio = options.wire === 'stdio' ? await stdioPair(source) : undefined;
  await client.connect(
    stdio?.clientSide ??
      new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
        fetch: (url, init) => handler.fetch(new Request(url, init), { authInfo: CALLER as never }),
      }),
  );
  return {
    client,
    runs,
    asked,
    world,
    clock,
    audit: () => audit<AuditLine>().filter((line) => line.name === 'restart_deployment'),
    async restart() {
      const result = (await client.callTool({ name: 'restart_deployment', arguments: ARGS })) as CallToolResult;
      return { result, text: textOf(result) };
    },
    close: async () => {
      await client.close();
      await stdio?.running.close({ drainMs: 0 });
      await handler.close();
    },
  };
}

/** The sidecar's stdio transport on in-process streams, and a client transport speaking newline JSON to it. */
async function stdioPair(source: Parameters<typeof startStdioTransport>[0]['sidecar']) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const running = await startStdioTransport({
    sidecar: source,
    stdin: toServer,
    stdout: toClient,
    logger: pino({ level: 'silent' }),
    modernEra: true,
    drainMs: 0,
  });
  const buffer = new ReadBuffer();
  const clientSide: Transport = {
    async start() {
      toClient.on('data', (chunk: Buffer) => {
        buffer.append(chunk);
        for (let message = buffer.readMessage(); message !== null; message = buffer.readMessage()) {
          clientSide.onmessage?.(message);
        }
      });
    },
    async send(message) {
      toServer.write(serializeMessage(message));
    },
    async close() {
      toServer.end();
      clientSide.onclose?.();
    },
  };
  return { running, clientSide };
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

const applied = (runs: ReadonlyArray<{ dryRun: boolean }>) => runs.filter((run) => !run.dryRun).length;

/** Every record of one approval carries the same id, and there is one. */
function oneApprovalId(lines: readonly AuditLine[]): string {
  const ids = new Set(lines.map((line) => line.approvalId));
  assert.equal(ids.size, 1, `one approval id across ${JSON.stringify(lines)}`);
  const [id] = ids;
  assert.ok(typeof id === 'string' && id.length > 0);
  return id;
}

describe('an action asked of a 2026-07-28 client', () => {
  test('yes: the user sees the dry run and the reason; the action runs once; both requests audited, linked', async () => {
    const gate = await start({ turns: [{ action: 'accept', content: { approve: true } }] });
    try {
      assert.equal(gate.client.getProtocolEra?.(), 'modern');
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.deepEqual(result.structuredContent, { applied: true, target: 'Deployment/web', pods: 3 });
      assert.equal(applied(gate.runs), 1, 'applied exactly once');
      assert.equal(gate.runs.at(-1)?.dryRun, false, 'the real run comes last, after the dry runs');
      assert.equal(gate.asked.length, 1);
      assert.match(gate.asked[0] ?? '', /^podmcp asks to restart deployment \(Deployment\/web\)\./);
      assert.match(gate.asked[0] ?? '', new RegExp(`Reason given: ${REASON}`));
      assert.match(gate.asked[0] ?? '', /The server-side dry run says:\nwould restart Deployment\/web: 3 pod/);
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => [line.outcome, line.approvalStatus, line.approval]),
        [
          ['approval-requested', 'asked', undefined],
          ['ok', 'approved', 'human'],
        ],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });

  for (const [label, answer, says, status] of [
    [
      'accepted without approving',
      { action: 'accept', content: { approve: false } },
      'did not approve',
      'not-approved',
    ],
    ['accepted with no content', { action: 'accept' }, 'did not approve', 'not-approved'],
    ['declined', { action: 'decline' }, 'declined', 'declined'],
    ['cancelled', { action: 'cancel' }, 'cancelled', 'cancelled'],
  ] as const) {
    test(`${label}: nothing runs for real, the answer says so, both requests audited`, async () => {
      const gate = await start({ turns: [answer as ElicitResult] });
      try {
        const { result, text } = await gate.restart();
        assert.equal(result.isError, true);
        assert.equal(text, `Nothing was changed: the user ${says} the action.`);
        assert.equal(gate.asked.length, 1);
        assert.equal(applied(gate.runs), 0);
        const lines = gate.audit();
        assert.deepEqual(
          lines.map((line) => [line.outcome, line.approvalStatus]),
          [
            ['approval-requested', 'asked'],
            ['refused', status],
          ],
        );
        oneApprovalId(lines);
      } finally {
        await gate.close();
      }
    });
  }

  test('the client cannot answer (its user interface fails): nothing runs, the question is on record', async () => {
    const gate = await start({ turns: ['error'] });
    try {
      await assert.rejects(gate.restart());
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => line.outcome),
        ['approval-requested'],
      );
    } finally {
      await gate.close();
    }
  });

  test('a yes after the approval’s time: refused as expired, call again; nothing runs', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const gate = await start({ turns: ['expire'] });
    gate.clock.tick = (ms) => t.mock.timers.tick(ms);
    try {
      const { result, text } = await gate.restart();
      assert.equal(result.isError, true, 'a tool answer, not the protocol error');
      assert.equal(text, STATE_REFUSED);
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['refused', 'state-expired'],
        ],
      );
    } finally {
      await gate.close();
    }
  });

  test('the change differs from the one shown by the time of the yes: asked again with the new dry run', async () => {
    const gate = await start({
      turns: [
        { action: 'accept', content: { approve: 'change-first' } },
        { action: 'accept', content: { approve: true } },
      ],
    });
    try {
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.equal(gate.asked.length, 2, 'asked again');
      assert.match(gate.asked[0] ?? '', /3 pod\(s\) replaced/);
      assert.match(gate.asked[1] ?? '', /4 pod\(s\) replaced/);
      assert.equal(applied(gate.runs), 1);
      assert.deepEqual(gate.runs.at(-1), { dryRun: false, replicas: 4 }, 'applied what the second question showed');
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['approval-requested', 'preview-changed'],
          ['ok', 'approved'],
        ],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });
});

describe('an action asked of a 2026-07-28 client over stdio (its capabilities only in each request)', () => {
  test('yes: applied once, both requests audited and linked', async () => {
    const gate = await start({ wire: 'stdio', turns: [{ action: 'accept', content: { approve: true } }] });
    try {
      assert.equal(gate.client.getProtocolEra(), 'modern');
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.equal(applied(gate.runs), 1);
      assert.equal(gate.asked.length, 1);
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['ok', 'approved'],
        ],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });

  test('no: nothing runs for real', async () => {
    const gate = await start({ wire: 'stdio', turns: [{ action: 'decline' }] });
    try {
      const { text } = await gate.restart();
      assert.equal(text, 'Nothing was changed: the user declined the action.');
      assert.equal(applied(gate.runs), 0);
    } finally {
      await gate.close();
    }
  });
});

describe('a 2026-07-28 client that cannot ask its user', () => {
  test('unattended actions off: refused with how to proceed, nothing runs, not even a dry run', async () => {
    const gate = await start({ cannotAsk: { unattendedActions: false } });
    try {
      const { result, text } = await gate.restart();
      assert.equal(result.isError, true);
      assert.match(text, /^Nothing was changed\. This MCP client cannot ask a human to approve actions/);
      assert.deepEqual([gate.runs, gate.asked], [[], []]);
      assert.deepEqual(
        gate.audit().map((line) => line.outcome),
        ['refused'],
      );
    } finally {
      await gate.close();
    }
  });

  test('unattended actions on: the policy approves, the action runs once in one request', async () => {
    const gate = await start({ cannotAsk: { unattendedActions: true } });
    try {
      const { result } = await gate.restart();
      assert.equal(result.isError, undefined);
      assert.deepEqual(gate.runs, [{ dryRun: false, replicas: 3 }]);
      assert.deepEqual(
        gate.audit().map((line) => [line.outcome, line.approval]),
        [['ok', 'policy']],
      );
    } finally {
      await gate.close();
    }
  });
});

describe('retries a client makes by hand', () => {
  /** The first round: the input-required answer, as a client in manual mode receives it. */
  async function firstRound(gate: Awaited<ReturnType<typeof start>>) {
    const first = (await gate.client.callTool(
      { name: 'restart_deployment', arguments: ARGS },
      { allowInputRequired: true },
    )) as unknown as { resultType?: string; requestState?: string; inputRequests?: Record<string, unknown> };
    assert.equal(first.resultType, 'input_required');
    assert.equal(typeof first.requestState, 'string');
    assert.ok(first.inputRequests?.approve, 'the question is keyed approve');
    return first.requestState as string;
  }

  async function retry(
    gate: Awaited<ReturnType<typeof start>>,
    extra: { requestState?: string; inputResponses?: Record<string, unknown> },
  ) {
    return (await gate.client.callTool({ name: 'restart_deployment', arguments: ARGS, ...extra } as never, {
      allowInputRequired: true,
    })) as unknown as CallToolResult & { resultType?: string; requestState?: string };
  }

  const YES = { approve: { action: 'accept', content: { approve: true } } };

  test('a yes without a state is not believed: the question is asked, nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const answer = await retry(gate, { inputResponses: YES });
      assert.equal(answer.resultType, 'input_required');
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => [line.outcome, line.approvalStatus]),
        [['approval-requested', 'asked']],
      );
    } finally {
      await gate.close();
    }
  });

  test('a yes with a changed state: refused as a tool answer, call again; nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const [prefix, body, mac] = state.split('.');
      const payload = JSON.parse(Buffer.from(body ?? '', 'base64url').toString());
      payload.p.round = 0;
      const forged = `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
      const answer = await retry(gate, { requestState: forged, inputResponses: YES });
      assert.equal(answer.isError, true);
      assert.equal(textOf(answer), STATE_REFUSED);
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['refused', 'state-invalid'],
        ],
      );
    } finally {
      await gate.close();
    }
  });

  test('an answer of no known kind, with a good state: not an answer, so asked again; nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const response = { action: 'approve', content: { approve: true } };
      const answer = await retry(gate, { requestState: state, inputResponses: { approve: response } });
      assert.equal(answer.resultType, 'input_required');
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => line.approvalStatus),
        ['asked', 'asked-again'],
      );
    } finally {
      await gate.close();
    }
  });

  test('a yes whose approve is not the boolean true, with a good state: refused, nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const response = { action: 'accept', content: { approve: 'true' } };
      const answer = await retry(gate, { requestState: state, inputResponses: { approve: response } });
      assert.equal(answer.isError, true);
      assert.equal(textOf(answer), 'Nothing was changed: the user did not approve the action.');
      assert.equal(applied(gate.runs), 0);
    } finally {
      await gate.close();
    }
  });

  test('a retry that never brings the answer: asked again, a bounded number of times, then refused', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      let state = await firstRound(gate);
      for (let round = 2; round <= APPROVAL_MAX_ROUNDS; round += 1) {
        const again = await retry(gate, { requestState: state });
        assert.equal(again.resultType, 'input_required', `round ${round} asks again`);
        state = again.requestState as string;
      }
      const last = await retry(gate, { requestState: state });
      assert.equal(last.isError, true);
      assert.match(textOf(last), /^Nothing was changed: the approval was not answered/);
      assert.equal(applied(gate.runs), 0);
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => line.outcome),
        [...Array.from({ length: APPROVAL_MAX_ROUNDS }, () => 'approval-requested'), 'refused'],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });

  test('a yes replayed with its state (no cooldown to hide it): applied once, every replay refused', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const yes = await retry(gate, { requestState: state, inputResponses: YES });
      assert.equal(yes.isError, undefined, textOf(yes));
      assert.equal(applied(gate.runs), 1);
      for (const extra of [{ inputResponses: YES }, { inputResponses: YES }, {}]) {
        const again = await retry(gate, { requestState: state, ...extra });
        assert.equal(again.isError, true);
        assert.equal(textOf(again), STATE_REPLAYED);
      }
      assert.equal(applied(gate.runs), 1, 'the cooldown is 0: only the spent approval stops the replays');
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['ok', 'approved'],
          ['refused', 'state-replayed'],
          ['refused', 'state-replayed'],
          ['refused', 'state-replayed'],
        ],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });

  test('two retries with the same yes at once: exactly one applies', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const answers = await Promise.all([
        retry(gate, { requestState: state, inputResponses: YES }),
        retry(gate, { requestState: state, inputResponses: YES }),
      ]);
      assert.equal(applied(gate.runs), 1);
      assert.deepEqual(answers.map((answer) => textOf(answer) === STATE_REPLAYED).sort(), [false, true]);
    } finally {
      await gate.close();
    }
  });

  test('a no, then the same state with a yes: still refused, nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const no = await retry(gate, { requestState: state, inputResponses: { approve: { action: 'decline' } } });
      assert.equal(no.isError, true);
      const yes = await retry(gate, { requestState: state, inputResponses: YES });
      assert.equal(textOf(yes), STATE_REPLAYED);
      assert.equal(applied(gate.runs), 0);
      assert.deepEqual(
        gate.audit().map((line) => line.approvalStatus),
        ['asked', 'declined', 'state-replayed'],
      );
    } finally {
      await gate.close();
    }
  });

  test('an earlier round’s state after a later round’s yes: refused, applied once', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const first = await firstRound(gate);
      const again = await retry(gate, { requestState: first });
      assert.equal(again.resultType, 'input_required');
      const yes = await retry(gate, { requestState: again.requestState as string, inputResponses: YES });
      assert.equal(yes.isError, undefined, textOf(yes));
      const replay = await retry(gate, { requestState: first, inputResponses: YES });
      assert.equal(textOf(replay), STATE_REPLAYED);
      assert.equal(applied(gate.runs), 1);
    } finally {
      await gate.close();
    }
  });

  test('the same arguments in another key order are the same call: a yes applies it once', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const answer = (await gate.client.callTool(
        {
          name: 'restart_deployment',
          arguments: { reason: REASON, workload: 'web' },
          requestState: state,
          inputResponses: YES,
        } as never,
        { allowInputRequired: true },
      )) as unknown as CallToolResult;
      assert.equal(answer.isError, undefined, textOf(answer));
      assert.equal(applied(gate.runs), 1);
    } finally {
      await gate.close();
    }
  });

  test('the state of one call answering another (other arguments): refused, nothing runs', async () => {
    const gate = await start({ autoFulfill: false });
    try {
      const state = await firstRound(gate);
      const answer = (await gate.client.callTool(
        {
          name: 'restart_deployment',
          arguments: { ...ARGS, workload: 'api' },
          requestState: state,
          inputResponses: YES,
        } as never,
        { allowInputRequired: true },
      )) as unknown as CallToolResult & { resultType?: string };
      assert.equal(answer.isError, true);
      assert.equal(textOf(answer), STATE_MISMATCH);
      assert.equal(applied(gate.runs), 0);
      const lines = gate.audit();
      assert.deepEqual(
        lines.map((line) => [line.outcome, line.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['refused', 'state-mismatch'],
        ],
      );
      oneApprovalId(lines);
    } finally {
      await gate.close();
    }
  });
});
