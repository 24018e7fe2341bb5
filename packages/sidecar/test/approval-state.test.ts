/**
 * The sealed state an approval carries between the requests of a 2026-07-28 call (mcp/request-state.ts), on
 * plain handler contexts: it comes back as it was minted for the same caller and method, and anything else
 * (another caller, another method, a changed byte, past its time, not a state at all) is an invalid verdict,
 * never a throw, so the tool can answer and the audit can record it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerContext } from '@modelcontextprotocol/server';
import {
  APPROVAL_TIMEOUT_MS,
  type ApprovalState,
  approvalStateOf,
  INPUT_REQUIRED_OPTIONS,
  mintApprovalState,
  requestStateOptions,
  verifyRequestState,
} from '../src/mcp/request-state.ts';

const STATE: ApprovalState = { tool: 'restart_deployment', args: 'a', preview: 'p', at: 0, id: 'id-1', round: 1 };

/** The parts of a handler context the state reads: who calls (the edge's caller as authInfo), which method. */
function contextOf(callerId: string | undefined, method = 'tools/call', requestState?: unknown): ServerContext {
  return {
    mcpReq: { method, requestState: () => requestState },
    http: callerId === undefined ? undefined : { authInfo: { id: callerId } },
  } as unknown as ServerContext;
}

describe('the approval state', () => {
  test('verified for the caller and method it was minted for: the same state comes back', async () => {
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    assert.deepEqual(await verifyRequestState(sealed, contextOf('agent')), { valid: true, state: STATE });
    const stdio = await mintApprovalState(STATE, contextOf(undefined));
    assert.deepEqual(await verifyRequestState(stdio, contextOf(undefined)), { valid: true, state: STATE });
  });

  test('another caller or another method: invalid (bind), not a throw', async () => {
    const sealed = await mintApprovalState(STATE, contextOf('agent'));
    assert.deepEqual(await verifyRequestState(sealed, contextOf('other')), { valid: false, reason: 'bind' });
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
