/**
 * The bridge's message-level decisions on plain values: which era a message belongs to, which request a cancel
 * names, when an HTTP error is the sidecar's own JSON-RPC answer, and the agent's line framing (a bad line is
 * skipped, the next one still counts, writing goes on after stdin ends).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { type JSONRPCMessage, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { cancelledRequest, claimedVersion, isModern } from '../src/connect/era.ts';
import { inBandRefusal } from '../src/connect/http-refusal.ts';
import { StdioFraming } from '../src/connect/stdio-framing.ts';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';

test('a message is of the 2026-07-28 era when its _meta envelope claims a protocol version', () => {
  const modern = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { [CLAIM]: '2026-07-28' } } } as const;
  assert.equal(claimedVersion(modern), '2026-07-28');
  assert.equal(isModern(modern), true);
  const cancel = {
    jsonrpc: '2.0',
    method: 'notifications/cancelled',
    params: { requestId: 1, _meta: { [CLAIM]: 'x' } },
  };
  assert.equal(isModern(cancel as JSONRPCMessage), true, 'notifications carry the envelope too');

  const legacy: JSONRPCMessage[] = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { progressToken: 1 } } },
    { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: { [CLAIM]: 20260728 } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 5, result: { _meta: { [CLAIM]: '2026-07-28' } } },
  ];
  for (const message of legacy) assert.equal(isModern(message), false, JSON.stringify(message));
});

test('a cancel names its request by string or number id; nothing else is a cancel', () => {
  const cancel = (requestId: unknown) =>
    ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } }) as JSONRPCMessage;
  assert.equal(cancelledRequest(cancel(7)), 7);
  assert.equal(cancelledRequest(cancel('listen:1')), 'listen:1');
  assert.equal(cancelledRequest(cancel(undefined)), undefined);
  assert.equal(cancelledRequest(cancel({ id: 1 })), undefined);
  assert.equal(
    cancelledRequest({ jsonrpc: '2.0', method: 'notifications/progress', params: { requestId: 7 } }),
    undefined,
  );
  assert.equal(cancelledRequest({ jsonrpc: '2.0', id: 7, method: 'notifications/cancelled' }), undefined);
});

test('an HTTP 4xx with a JSON-RPC error body for this request is the answer; anything else is a failure', () => {
  const http = (status: number, text: unknown) =>
    new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, 'Error POSTing to endpoint', { status, text });
  const body = (id: unknown) =>
    JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });

  assert.deepEqual(inBandRefusal(http(404, body(3)), 3), {
    jsonrpc: '2.0',
    id: 3,
    error: { code: -32601, message: 'Method not found' },
  });
  // No id (the sidecar could not read one): it answers this request, the only one that POST carried.
  assert.equal((inBandRefusal(http(400, body(null)), 'a') as { id: unknown }).id, 'a');
  const withData = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32020, message: 'm', data: { h: 1 } } });
  assert.deepEqual((inBandRefusal(http(400, withData), 1) as { error: unknown }).error, {
    code: -32020,
    message: 'm',
    data: { h: 1 },
  });

  assert.equal(inBandRefusal(http(404, body(4)), 3), undefined, 'another request’s error');
  assert.equal(inBandRefusal(http(503, body(3)), 3), undefined, 'a server error is the pod failing');
  assert.equal(inBandRefusal(http(400, 'Bad Request'), 3), undefined);
  assert.equal(inBandRefusal(http(400, undefined), 3), undefined);
  assert.equal(inBandRefusal(http(400, JSON.stringify({ jsonrpc: '2.0', id: 3, result: {} })), 3), undefined);
  assert.equal(inBandRefusal(new Error('fetch failed'), 3), undefined);
});

test('stdio framing: a line that is not JSON-RPC is skipped and the next one still counts; writing goes on after stdin ends', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const log: string[] = [];
  const framing = new StdioFraming(stdin, stdout, (line) => log.push(line));
  const received: JSONRPCMessage[] = [];
  framing.onmessage = (message) => received.push(message);
  framing.start();
  const ended = new Promise((resolve) => stdin.once('end', resolve));
  stdin.write('not json\n{"jsonrpc":"2.0","id":1,"method":"a"}\n{"no":"rpc"}\n');
  stdin.end('{"jsonrpc":"2.0","id":2,"method":"b"}\r\n');
  await ended;
  assert.deepEqual(
    received.map((message) => (message as { id: unknown }).id),
    [1, 2],
  );
  assert.equal(log.length, 1, log.join('\n'));
  assert.match(log[0] ?? '', /not a JSON-RPC message was ignored/);

  await framing.send({ jsonrpc: '2.0', id: 2, result: {} });
  assert.equal(String(stdout.read()), '{"jsonrpc":"2.0","id":2,"result":{}}\n');
  framing.close();
});
