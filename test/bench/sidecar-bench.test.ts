/**
 * The sidecar benchmark stays runnable: a quick run (no peers: CI must not depend on their packages)
 * completes on the local control plane, writes its JSON with every section, and podmcp answered every call
 * right, under load too. No timing is asserted — numbers are for people to read, not for tests to gate.
 *
 * Without a control plane (no Go to build it) a developer's run skips; a CI run fails instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipOrFail } from '../control-plane/suite.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NO_CONTROL_PLANE = 3;

test('bench/sidecar/main.ts --quick runs every section and podmcp makes no errors', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'podmcp-sidecar-bench-'));
  try {
    const run = spawnSync(process.execPath, ['bench/sidecar/main.ts', '--quick', '--json', '--out', out], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 240_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    if (run.status === NO_CONTROL_PLANE) {
      t.skip(skipOrFail(`no control plane: ${run.stderr.trim().split('\n').at(-1)}`));
      return;
    }
    assert.equal(run.status, 0, run.stderr.slice(-4000));
    const results = JSON.parse(readFileSync(join(out, 'sidecar.json.tmp'), 'utf8')) as Record<string, unknown> & {
      footprint: Array<{ server: string; coldStartMedianMs: number | null; rssAfterIdleBytes: number | null }>;
      latency: Array<{ server: string; operation: string; errors: number; textBytes: number | null }>;
      apiCost: { idle: Record<string, unknown>; perCall: unknown[] };
      load: { server: string; calls: number; errors: number };
      catalogue: { catalogues: Array<{ server: string; tools: unknown[]; totalBytes: number }> };
      webhook: { totalErrors?: number; scenarios?: unknown[] };
      webhookAtRate: Array<{ errors: number }>;
      session: {
        scenarios: unknown[];
        servers: Array<{
          server: string;
          calls: number;
          catalogueBytes: number;
          scenarios: Array<{ factsFound: boolean }>;
        }>;
      };
      podmcpErrors: number;
      goals: Array<{ goal: string; met: boolean | null }>;
      earlierGoals: unknown[];
    };
    assert.deepEqual(JSON.parse(run.stdout), results, '--json prints what it writes');
    const sections = [
      'meta',
      'servers',
      'footprint',
      'latency',
      'apiCost',
      'catalogue',
      'load',
      'peerLoad',
      'sidecarDefaults',
      'webhook',
      'webhookAtRate',
      'session',
      'goals',
    ];
    for (const section of sections) {
      assert.ok(results[section] !== undefined, `section ${section}`);
    }
    for (const name of ['podmcp', 'podmcp (image bundle)']) {
      const row = results.footprint.find((entry) => entry.server === name);
      assert.ok(row?.coldStartMedianMs && row.rssAfterIdleBytes, `${name}: cold start and RSS measured`);
    }
    const catalogue = results.catalogue.catalogues.find((entry) => entry.server === 'podmcp');
    assert.ok(catalogue && catalogue.tools.length > 0 && catalogue.totalBytes > 0, 'podmcp catalogue measured');
    assert.equal(results.goals.length, 11, 'every goal of issue 15 has a row');
    const operations = new Set(results.latency.filter((row) => row.server === 'podmcp').map((row) => row.operation));
    assert.equal(operations.size, 4, 'all four operations measured');
    for (const row of results.latency.filter((entry) => entry.server === 'podmcp' || entry.server === 'direct')) {
      assert.equal(row.errors, 0, `${row.server} ${row.operation}`);
      assert.ok((row.textBytes ?? 0) > 0, `${row.server} ${row.operation} answered`);
    }
    assert.equal(results.load.server, 'podmcp');
    assert.ok(results.load.calls > 0);
    assert.equal(results.load.errors, 0);
    assert.equal(results.podmcpErrors, 0);
    assert.ok(results.apiCost.idle.podmcp !== undefined && results.apiCost.perCall.length === 4);
    assert.equal(results.webhook.totalErrors, 0);
    assert.ok(Array.isArray(results.webhook.scenarios) && results.webhook.scenarios.length >= 4);
    assert.ok(results.webhookAtRate.length >= 8, 'webhook and baseline at a fixed rate, per scenario');
    assert.ok(results.webhookAtRate.every((run) => run.errors === 0));
    assert.equal(results.session.scenarios.length, 6, 'six broken workloads');
    const session = results.session.servers.find((entry) => entry.server === 'podmcp');
    assert.ok(session && session.catalogueBytes > 0 && session.calls >= 6);
    assert.ok(
      session.scenarios.every((scenario) => scenario.factsFound),
      'podmcp put every scenario’s facts in its answers',
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
