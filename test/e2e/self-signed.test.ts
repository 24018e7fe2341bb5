/**
 * `podmcp webhook --self-signed` as the default overlay runs it: as the shipped ServiceAccount with the
 * shipped RBAC, it creates its TLS Secret, fills in its webhook's caBundle, serves a certificate that verifies
 * for the Service's DNS name against that CA, and releases its Lease on SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AdmissionregistrationV1Api, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { BIN, REPO } from '../../packages/cli/test/helpers.ts';
import { eventually } from '../control-plane/kube.ts';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { createSelfSignedInjectorAccess } from './self-signed-access.ts';

const { plane, skip } = await controlPlaneForSuite({ needsLocal: true });
const NAMESPACE = 'podmcp-system';
const files = mkdtempSync(join(tmpdir(), 'podmcp-e2e-self-signed-'));
let child: ChildProcess | undefined;
after(() => {
  child?.kill('SIGKILL');
  rmSync(files, { recursive: true, force: true });
});

function post(
  port: number,
  caPem: string,
  servername: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        ca: caPem,
        servername,
        headers: { 'Content-Type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

describe('podmcp webhook --self-signed against a real API server', { skip }, () => {
  test('creates its Secret, fills the caBundle, serves a verifiable certificate, releases its Lease', async () => {
    if (!plane) return;
    const token = await createSelfSignedInjectorAccess(plane.kubeConfig, NAMESPACE);
    const kubeconfig = join(files, 'injector.kubeconfig');
    writeFileSync(kubeconfig, plane.kubeConfigForToken(token).exportConfig());

    child = spawn(
      process.execPath,
      [
        BIN,
        'webhook',
        '--self-signed',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--bind-address',
        '127.0.0.1',
        '--kubeconfig',
        kubeconfig,
        '--shutdown-delay',
        '0',
      ],
      {
        cwd: REPO,
        env: { PATH: process.env.PATH, POD_NAMESPACE: NAMESPACE, POD_NAME: 'podmcp-injector-0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    const port = await eventually('the webhook to listen', async () => {
      const line = output.split('\n').find((text) => text.includes('"webhook listening"'));
      return line ? (JSON.parse(line) as { port: number }).port : undefined;
    });

    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: 'podmcp-injector-tls' });
    assert.equal(secret.type, 'kubernetes.io/tls');
    const caPem = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString();
    assert.match(caPem, /BEGIN CERTIFICATE/);
    const configuration = await eventually('the caBundle to be filled in', async () => {
      const current = await plane.kubeConfig
        .makeApiClient(AdmissionregistrationV1Api)
        .readMutatingWebhookConfiguration({ name: 'podmcp-injector' });
      return current.webhooks?.every((webhook) => webhook.clientConfig.caBundle) ? current : undefined;
    });
    for (const webhook of configuration.webhooks ?? []) {
      assert.equal(Buffer.from(webhook.clientConfig.caBundle ?? '', 'base64').toString(), caPem);
    }

    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'self-signed-e2e',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        operation: 'CREATE',
        namespace: 'shop',
        object: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', annotations: { 'podmcp.dev/inject': 'true' } },
          spec: { containers: [{ name: 'app', image: 'registry.invalid/a:1' }] },
        },
        dryRun: false,
      },
    };
    // The name the API server verifies when it calls the webhook through the Service.
    const answer = await post(port, caPem, `podmcp-injector.${NAMESPACE}.svc`, JSON.stringify(review));
    assert.equal(answer.status, 200, answer.body);
    const response = (JSON.parse(answer.body) as { response: { allowed: boolean; patch?: string } }).response;
    assert.equal(response.allowed, true);
    assert.ok(response.patch, 'the opted-in pod is patched');

    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    const lease = await plane.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: NAMESPACE, name: 'podmcp-injector-cert' });
    assert.ok(!lease.spec?.holderIdentity, 'the Lease is released on shutdown so a peer takes over at once');
  });
});
