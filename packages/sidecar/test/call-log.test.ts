/**
 * The log notes of a call, on plain objects: one short line per outcome that went wrong, none for one that went
 * well, never the call's arguments, and a log that cannot be written never fails the call.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerContext } from '@modelcontextprotocol/server';
import { ToolFailure } from '../src/failure.ts';
import type { Call } from '../src/gate/call.ts';
import { logOutcome } from '../src/mcp/call-log.ts';

const SECRET_ARGUMENT = 'password=hunter2';

function context(log: (level: string, data: unknown) => Promise<void>): ServerContext {
  return { mcpReq: { log } } as unknown as ServerContext;
}

function failed(failure: ToolFailure | undefined, unexpected = false): Call {
  return {
    kind: 'tool',
    name: 'list_pods',
    arguments: { name: SECRET_ARGUMENT },
    failure,
    unexpected,
  } as unknown as Call;
}

function notesOf(call: Call): string[] {
  const notes: string[] = [];
  logOutcome(
    context(async (level, data) => {
      notes.push(`${level} ${String(data)}`);
    }),
    call,
    'list_pods',
  );
  return notes;
}

describe('log notes of a call', () => {
  test('each way a call goes wrong has its level and words; a call that went well has none', () => {
    const cases: Array<[Call, string[]]> = [
      [failed(undefined), []],
      [failed(new ToolFailure('x', 'rate-limited', 12)), ['warning tool list_pods: rate limited, retry after 12 s.']],
      [failed(new ToolFailure('x', 'busy', 1)), ['warning tool list_pods: the sidecar is busy, retry after 1 s.']],
      [failed(new ToolFailure('x', 'timeout')), ['warning tool list_pods: no answer before the deadline.']],
      [failed(new ToolFailure('x', 'refused')), ['notice tool list_pods: refused.']],
      [failed(new ToolFailure('x', 'not-found')), ['info tool list_pods: failed (not-found).']],
      [failed(new ToolFailure('x', 'invalid'), true), ['error tool list_pods: failed (invalid).']],
    ];
    for (const [call, expected] of cases) assert.deepEqual(notesOf(call), expected);
  });

  test('a note never carries the arguments or the failure text', () => {
    const notes = notesOf(failed(new ToolFailure(`No pod ${SECRET_ARGUMENT}`, 'not-found')));
    assert.equal(notes.length, 1);
    assert.ok(!notes[0]?.includes('hunter2'), notes[0]);
  });

  test('a log that throws or rejects never fails the call', async () => {
    const call = failed(new ToolFailure('x', 'timeout'));
    assert.doesNotThrow(() =>
      logOutcome(
        context(() => {
          throw new Error('not connected');
        }),
        call,
        'list_pods',
      ),
    );
    let rejected = false;
    logOutcome(
      context(() => {
        rejected = true;
        return Promise.reject(new Error('gone'));
      }),
      call,
      'list_pods',
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(rejected, true);
  });
});
