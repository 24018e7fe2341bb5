/**
 * The webhook benchmark stays runnable: a quick run completes, every answer it got was correct, and every
 * scenario reports a ratio. No timing is asserted — numbers are for people to read, not for tests to gate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

test('bench/webhook/main.ts --quick runs every scenario with no wrong answers', () => {
  const run = spawnSync(process.execPath, ['bench/webhook/main.ts', '--quick', '--json'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { totalErrors: number; scenarios?: unknown[] };
  assert.equal(report.totalErrors, 0);
  assert.ok(Array.isArray(report.scenarios) && report.scenarios.length >= 4, 'all four scenarios reported');
});
