/**
 * The rule every suite that cannot run follows (suite.ts): a developer's run skips it with the reason, a CI run
 * fails with it. A small suite is run in a child `node --test` with its control plane made unavailable — a
 * kube-apiserver path that is not executable, or a KUBECONFIG where a local control plane is needed — once as a
 * developer's run and once under each spelling of CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/suite-needing-a-control-plane.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'podmcp-suite-rule-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A kubeconfig for a cluster nobody runs: loading it sends nothing. */
const elsewhere = join(scratch, 'elsewhere.kubeconfig');
writeFileSync(
  elsewhere,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
    'users: [{ name: u, user: { token: t } }]',
    'contexts: [{ name: x, context: { cluster: c, user: u } }]',
    'current-context: x',
    '',
  ].join('\n'),
);

function runFixture(env: Record<string, string>): { status: number | null; output: string } {
  const inherited = { ...process.env };
  // The child is a test run of its own, not a subtest of this one, and decides CI and KUBECONFIG from `env` alone.
  for (const name of ['NODE_TEST_CONTEXT', 'CI', 'KUBECONFIG']) delete inherited[name];
  const ran = spawnSync(process.execPath, ['--test', '--test-reporter=tap', FIXTURE], {
    env: { ...inherited, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: ran.status, output: `${ran.stdout}\n${ran.stderr}` };
}

const NO_APISERVER = { KUBE_APISERVER_BIN: join(scratch, 'no-such-kube-apiserver') };
const NOT_LOCAL = { KUBECONFIG: elsewhere, PODMCP_FIXTURE_NEEDS_LOCAL: '1' };

describe('a suite that cannot run', () => {
  test("skips with the reason in a developer's run", () => {
    for (const [env, reason] of [
      [NO_APISERVER, /no control plane: KUBE_APISERVER_BIN=\S+ is not an executable file/],
      [NOT_LOCAL, /needs the local control plane .*KUBECONFIG is set/],
    ] as const) {
      const run = runFixture({ ...env, CI: 'false' });
      assert.equal(run.status, 0, run.output);
      assert.match(run.output, /^# skipped 1$/m, run.output);
      assert.match(run.output, new RegExp(`# SKIP ${reason.source}`), run.output);
      assert.match(run.output, /^# fail 0$/m, run.output);
    }
  });

  test('fails with the reason under CI, whatever true-ish value CI has', () => {
    for (const [env, reason] of [
      [{ ...NO_APISERVER, CI: 'true' }, /no control plane: KUBE_APISERVER_BIN=\S+ is not an executable file/],
      [{ ...NO_APISERVER, CI: '1' }, /no control plane/],
      [{ ...NOT_LOCAL, CI: 'yes' }, /needs the local control plane .*KUBECONFIG is set/],
    ] as const) {
      const run = runFixture(env);
      assert.notEqual(run.status, 0, run.output);
      assert.match(run.output, reason, run.output);
      assert.match(run.output, /under CI this is a failure, not a skip/, run.output);
      assert.doesNotMatch(run.output, /^# skipped [1-9]/m, run.output);
    }
  });
});
