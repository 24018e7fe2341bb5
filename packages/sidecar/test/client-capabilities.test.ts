/**
 * What the client of one request can do: a 2026-07-28 request's own `_meta` envelope first (a modern stdio
 * connection never fills the server's copy), the capabilities a 2025 client declared at initialize otherwise.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLIENT_CAPABILITIES_META_KEY, type Server, type ServerContext } from '@modelcontextprotocol/server';
import { clientCapabilitiesOf } from '../src/mcp/client-capabilities.ts';

function server(declared: Record<string, unknown> | undefined): Server {
  return { getClientCapabilities: () => declared } as unknown as Server;
}

function request(envelope: Record<string, unknown> | undefined): ServerContext {
  return { mcpReq: { envelope } } as unknown as ServerContext;
}

describe('clientCapabilitiesOf', () => {
  test("the request's envelope wins over what the connection declared", () => {
    const ctx = request({ [CLIENT_CAPABILITIES_META_KEY]: { elicitation: { form: {} } } });
    assert.deepEqual(clientCapabilitiesOf(ctx, server({ sampling: {} })), { elicitation: { form: {} } });
  });

  test('without an envelope, or with one that carries no capabilities object, the connection decides', () => {
    assert.deepEqual(clientCapabilitiesOf(request(undefined), server({ elicitation: {} })), { elicitation: {} });
    for (const carried of [undefined, null, 'elicitation', ['elicitation']]) {
      const ctx = request({ [CLIENT_CAPABILITIES_META_KEY]: carried });
      assert.deepEqual(clientCapabilitiesOf(ctx, server({ roots: {} })), { roots: {} }, String(carried));
    }
    assert.equal(clientCapabilitiesOf(request(undefined), server(undefined)), undefined);
  });
});
