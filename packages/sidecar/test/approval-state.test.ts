/**
 * The sealed state an approval carries between the requests of a 2026-07-28 call (mcp/request-state.ts), on
 * plain handler contexts: it comes back as it was minted for the same caller and method, and anything else
 * (another caller, another method, a changed byte, past its time, not a state at all) is an invalid verdict,
 * never a throw, so the tool can answer and the audit can record it. Then a bare SDK server made with the
 * exported options, as server.ts makes its own: the hook's verdict reaches the approval, and a broken state is a
 * tool answer rather than the protocol error the SDK gives when a hook throws.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CallToolResult, Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, Server, type ServerContext } from '@modelcontextprotocol/server';
import { type ApprovalVerdict, requestApproval, STATE_REFUSED } from '../src/mcp/approval.ts';
import {
  APPROVAL_TIMEOUT_MS,
  type ApprovalState,
  approvalStateOf,
  INPUT_REQUIRED_OPTIONS,
  mintApprovalState,
  requestStateOptions,
  SPENT_APPROVALS_MAX,
  spendApproval,
  verifyRequestState,
} from '../src/mcp/request-state.ts';

const STATE: ApprovalState = { tool: 'restart_deployment', args: 'a', preview: 'p', at: 0, id: 'id-1', round: 1 };

/** The parts of a handler context the state reads: who calls (the edge's caller as authInfo), which method. */
function contextOf(
  callerId: string | undefined,
  method = 'tools/call',
  requestState?: unknown,
  transport = 'http',
): ServerContext {
  return {
    mcpReq: { method, requestState: () => requestState },
    http: callerId === undefined ? undefined : { authInfo: { id: callerId, transport } },
  } as unknown as ServerContext;
}

describe('the approval state', () => {
  test('verified for the caller and method it was minted for: the same state comes back', async () => {
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent')), { valid: true, state: STATE });
    const stdio = await mintApprovalState(STATE, contextOf(undefined));
    assert.deepEqual(await verifyRequestState(stdio, contextOf(undefined)), { valid: true, state: STATE });
  });

  test('another caller (id or transport), none, or another method: invalid (bind), not a throw', async () => {
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    assert.deepEqual(await verifyRequestState(sealed, contextOf('other')), { valid: false, reason: 'bind' });
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent', 'tools/call', undefined, 'in-memory')), {
      valid: false,
      reason: 'bind',
    });
    assert.deepEqual(await verifyRequestState(sealed, contextOf(undefined)), { valid: false, reason: 'bind' });
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent', 'prompts/get')), {
      valid: false,
      reason: 'bind',
    });
  });

  test('a changed payload or signature, or no state at all: invalid', async () => {
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    const [prefix, body, mac] = sealed.split('.');
    const payload = JSON.parse(Buffer.from(body ?? '', 'base64url').toString());
    payload.p.round = 0;
    const forged = `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    assert.deepEqual(await verifyRequestState(forged, contextOf('agent')), { valid: false, reason: 'mac' });
    const flipped = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await verifyRequestState(flipped, contextOf('agent'))).valid, false);
    assert.deepEqual(await verifyRequestState('approve-please', contextOf('agent')), {
      valid: false,
      reason: 'malformed',
    });
  });

  test('past the approval’s time: invalid (expired)', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    t.mock.timers.tick(APPROVAL_TIMEOUT_MS - 1000);
    assert.equal((await verifyRequestState(sealed, contextOf('agent'))).valid, true, 'still in time');
    t.mock.timers.tick(2000);
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent')), { valid: false, reason: 'expired' });
  });

  test('a shorter time to answer seals a shorter state, and the server’s hook still reads it', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const sealed = await mintApprovalState(STATE, contextOf('agent'), 10_000);
    assert.equal((await requestStateOptions.verify(sealed, contextOf('agent'))).valid, true);
    t.mock.timers.tick(12_000);
    assert.deepEqual(await requestStateOptions.verify(sealed, contextOf('agent')), {
      valid: false,
      reason: 'expired',
    });
  });

  test('the time to answer is exact to the millisecond, not rounded to whole seconds', async (t) => {
    // On a whole second, where the codec's whole-second expiry would add 999 ms.
    t.mock.timers.enable({ apis: ['Date'], now: 1_800_000_000_000 });
    const sealed = await mintApprovalState(STATE, contextOf('agent'), 10_000);
    t.mock.timers.tick(10_000);
    assert.equal((await verifyRequestState(sealed, contextOf('agent'))).valid, true, 'the last millisecond');
    t.mock.timers.tick(1);
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent')), { valid: false, reason: 'expired' });
  });

  test('a spent approval: spent once, known while its states verify, forgotten after', () => {
    assert.equal(spendApproval('spent-1', 2_000, 1_000), 'spent-now');
    assert.equal(spendApproval('spent-1', 2_000, 1_500), 'spent');
    assert.equal(spendApproval('spent-1', 3_000, 2_000), 'spent', 'up to its end');
    assert.equal(spendApproval('spent-1', 3_000, 2_001), 'spent-now', 'its states no longer verify');
  });

  test('full of live spent approvals: refuses rather than forget one; room again once they expire', () => {
    for (let index = 0; index < SPENT_APPROVALS_MAX; index += 1) {
      assert.equal(spendApproval(`live-${index}`, 20_000, 10_000), 'spent-now');
    }
    assert.equal(spendApproval('one-more', 20_000, 10_000), 'full');
    assert.equal(spendApproval('live-0', 20_000, 10_000), 'spent', 'none forgotten');
    assert.equal(spendApproval(`live-${SPENT_APPROVALS_MAX - 1}`, 20_000, 10_000), 'spent');
    assert.equal(spendApproval('one-more', 30_000, 20_001), 'spent-now');
  });

  test('what a handler reads: none, the hook’s verdict, a raw string verified, anything else invalid', async () => {
    assert.equal(await approvalStateOf(contextOf('agent')), undefined);
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    const hooked = await verifyRequestState(sealed, contextOf('agent'));
    assert.equal(await approvalStateOf(contextOf('agent', 'tools/call', hooked)), hooked);
    assert.deepEqual(await approvalStateOf(contextOf('agent', 'tools/call', sealed)), { valid: true, state: STATE });
    // Shaped like a verdict but not made by the hook: not believed.
    const lookalike = { valid: true, state: STATE };
    assert.deepEqual(await approvalStateOf(contextOf('agent', 'tools/call', lookalike)), {
      valid: false,
      reason: 'unverified',
    });
  });

  test('the SDK’s stand-in for 2025 clients stays off', () => {
    assert.equal(INPUT_REQUIRED_OPTIONS.legacyShim, false);
  });
});

describe('a server made with the options (the SDK runs the hook before the handler)', () => {
  /**
   * A bare SDK server for the 2026-07-28 era whose one tool asks for approval and answers with the verdict:
   * what server.ts does, without the gate. The client answers yes, or is made to echo a broken state.
   */
  async function serve(options: { readonly breakState?: boolean } = {}) {
    const verdicts: ApprovalVerdict[] = [];
    const handler = createMcpHandler(
      () => {
        const server = new Server(
          { name: 'hooked', version: '1.0.0' },
          {
            capabilities: { tools: {} },
            requestState: requestStateOptions,
            inputRequired: INPUT_REQUIRED_OPTIONS,
          },
        );
        server.setRequestHandler('tools/list', () => ({
          tools: [{ name: 'act', inputSchema: { type: 'object' as const } }],
        }));
        server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
          const verdict = await requestApproval({
            server,
            ctx,
            era: 'modern',
            toolTitle: 'Act',
            target: 'Thing/x',
            reason: undefined,
            name: request.params.name,
            arguments: request.params.arguments,
            preview: async (at) => ({ text: 'would act', digest: 'same', at: at ?? 0 }),
            unattendedAllowed: false,
            relatedRequestId: ctx.mcpReq.id,
            signal: ctx.mcpReq.signal,
          });
          verdicts.push(verdict);
          if ('pending' in verdict) return verdict.pending as CallToolResult;
          return { content: [{ type: 'text', text: verdict.approved ? 'acted' : verdict.message }] };
        });
        return server;
      },
      { legacy: 'reject' },
    );
    const client = new Client(
      { name: 'hooked-test', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { approve: true } }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
        fetch: async (url, init) => {
          const body = typeof init?.body === 'string' ? init.body : undefined;
          // The retry's state, one byte changed: what a client tampering with it sends.
          const sent = options.breakState && body?.includes('"requestState"') ? body.replace(/"v1\./, '"v1.x') : body;
          return handler.fetch(new Request(url, { ...init, body: sent }), { authInfo: { id: 'agent' } as never });
        },
      }),
    );
    return { client, verdicts, close: () => Promise.all([client.close(), handler.close()]) };
  }

  const textOf = (result: CallToolResult) =>
    result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

  test('a yes with the state the hook verified: approved by a human, one approval id across both requests', async () => {
    const served = await serve();
    try {
      const result = (await served.client.callTool({ name: 'act', arguments: { n: 1 } })) as CallToolResult;
      assert.equal(textOf(result), 'acted');
      assert.deepEqual(
        served.verdicts.map((verdict) => [verdict.approved, verdict.status]),
        [
          [false, 'asked'],
          [true, 'approved'],
        ],
      );
      assert.equal(served.verdicts[0]?.correlation, served.verdicts[1]?.correlation);
    } finally {
      await served.close();
    }
  });

  test('a broken state: the tool answers that nothing changed, never the SDK’s bare -32602', async () => {
    const served = await serve({ breakState: true });
    try {
      const result = (await served.client.callTool({ name: 'act', arguments: { n: 1 } })) as CallToolResult;
      assert.equal(textOf(result), STATE_REFUSED);
      assert.equal(served.verdicts.at(-1)?.status, 'state-invalid');
    } finally {
      await served.close();
    }
  });
});
