/**
 * `npm run demo` end to end: the transcript a newcomer sees must show the injected sidecar and a working MCP
 * session, and the demo must clean up after itself (exit 0 only after stopping everything it started).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipOrFail } from '../control-plane/suite.ts';

const demo = fileURLToPath(new URL('../../examples/demo/run.ts', import.meta.url));
const skip = process.env.KUBECONFIG
  ? skipOrFail('the demo runs on the local control plane only (KUBECONFIG is set)')
  : false;

test('npm run demo prints the injected pod spec and an MCP session transcript', { skip, timeout: 600_000 }, () => {
  const run = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 590_000 });
  assert.equal(run.status, 0, `demo failed:\n${run.stdout}\n${run.stderr}`);
  const transcript = run.stdout;
  for (const heading of [
    '1. Control plane',
    '2. Injector',
    '3. Demo workload',
    '4. The injected sidecar',
    '6. An MCP session',
  ]) {
    assert.ok(transcript.includes(`== ${heading}`), `missing section ${heading}`);
  }
  assert.match(transcript, /image: ghcr\.io\/podmcp\/podmcp/);
  assert.match(transcript, /^ {7}name: podmcp$/m);
  assert.match(transcript, /restartPolicy: Always/);
  assert.match(transcript, /← \d+ tools: diagnose, list_pods, get_pod_logs/);
  assert.match(transcript, /demo-app-[a-z0-9]+-[a-z0-9]+\s+2\/2\s+Running/);
  // The app's own log: the real test app's on a real node, the lines the demo wrote for kwok on a simulated one.
  const realNode = transcript.includes('this machine can run a real node');
  assert.match(transcript, realNode ? /testapp listening on :9898/ : /upstream timeout/);
  assert.match(transcript, /owner chain: ReplicaSet\/demo-app-[a-z0-9]+ → Deployment\/demo-app/);
  assert.doesNotMatch(transcript, /restart_deployment/, 'the demo workload is read-only');
});
