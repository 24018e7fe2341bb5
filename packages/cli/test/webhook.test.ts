/**
 * `podmcp webhook` as users and the kubelet meet it: a real process with flags, probes on the admin port,
 * JSON log lines, and a graceful exit on SIGTERM. Admission itself is covered against a real API server in
 * test/e2e/injector.test.ts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '@podmcp/injector';
import { BIN, REPO, runBin } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'podmcp-cli-webhook-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');

before(async () => {
  const ca = await createCertificateAuthority('podmcp-cli-test', 1);
  const leaf = await issueServingCertificate(ca, { ip: ['127.0.0.1'] }, 1);
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcess;
  readonly adminPort: number;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts the bin and waits for its "webhook listening" log line, which carries the ports it bound. */
function startWebhook(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'webhook', ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`webhook did not start:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((text) => text.includes('"webhook listening"'));
      if (!line) return;
      clearTimeout(timer);
      const { adminPort } = JSON.parse(line) as { adminPort: number };
      resolve({ child, adminPort, output: () => output, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`webhook exited with ${code}:\n${output}`)));
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

const running = new Set<ChildProcess>();
afterEach(() => {
  // A failed assertion must not leave a server behind to hold the test file open.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

const baseArgs = [
  '--tls-cert',
  certFile,
  '--tls-key',
  keyFile,
  '--port',
  '0',
  '--admin-port',
  '0',
  '--bind-address',
  '127.0.0.1',
];

describe('podmcp webhook', { timeout: 30_000 }, () => {
  test('without an API server and with explicit cluster facts it becomes ready, and SIGTERM exits 0', async () => {
    const config = join(dir, 'injector.yaml');
    writeFileSync(config, 'sidecar:\n  image: ghcr.io/podmcp/podmcp:0.1.0\nnativeSidecars: always\n');
    const started = await startWebhook([...baseArgs, '--config', config, '--shutdown-delay', '0']);
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await getStatus(started.adminPort, '/readyz');
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200);
    assert.equal(await getStatus(started.adminPort, '/healthz'), 200);
    started.child.kill('SIGTERM');
    assert.equal(await started.exited, 0);
    assert.match(started.output(), /"msg":"stopped"/);
  });

  test('an unreachable API server keeps it unready and says why in the log', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const kubeconfig = join(dir, 'unreachable.kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: gone, cluster: {server: "https://127.0.0.1:${closedPort}"}}]`,
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: c, context: {cluster: gone, user: u}}]',
        'current-context: c',
      ].join('\n'),
    );
    const started = await startWebhook([...baseArgs, '--kubeconfig', kubeconfig, '--shutdown-delay', '0']);
    for (let attempt = 0; attempt < 50 && !started.output().includes('cannot reach the API server'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(started.output(), /cannot reach the API server to learn its version/);
    assert.match(started.output(), /ECONNREFUSED/);
    assert.equal(await getStatus(started.adminPort, '/readyz'), 503);
    started.child.kill('SIGTERM');
    assert.equal(await started.exited, 0);
  });

  test('missing TLS flags are a usage error (exit 2)', () => {
    const run = runBin(['webhook', '--port', '0']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--tls-cert and --tls-key are required/);
  });

  test('an invalid port is a usage error naming the flag', () => {
    const run = runBin(['webhook', ...baseArgs.slice(0, 4), '--port', '70000']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--port must be a port number/);
  });

  test('an invalid configuration file fails at start-up with every problem listed (exit 1)', () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'sidecar:\n  image: ""\n  port: 80\nnativeSidecars: sometimes\n');
    const run = runBin(['webhook', ...baseArgs, '--config', config]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bad\.yaml is invalid/);
    assert.match(run.stderr, /sidecar\.port/);
    assert.match(run.stderr, /nativeSidecars/);
  });

  test('an unreadable certificate fails at start-up (exit 1)', () => {
    const run = runBin(['webhook', '--tls-cert', join(dir, 'missing.crt'), '--tls-key', keyFile, '--port', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /missing\.crt/);
  });
});
