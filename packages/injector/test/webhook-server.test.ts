import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import type { AdmissionReviewResponse } from '../src/admission.ts';
import { createCertificateAuthority, issueServingCertificate } from '../src/certificates.ts';
import { defaultInjectorConfig } from '../src/config.ts';
import { createInjectorMetrics } from '../src/metrics.ts';
import { loadCertificate, watchCertificate } from '../src/serving-certificate.ts';
import { createWebhookServer, installCertificate } from '../src/webhook-server.ts';
import { admissionReview, applyReview, podWith } from './fixtures.ts';
import { post } from './http-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'podmcp-webhook-test-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');
let ca: { certPem: string; keyPem: string };
let port: number;
let server: ReturnType<typeof createWebhookServer>;
let watcher: { close(): void };
const metrics = createInjectorMetrics();

async function writeLeaf(authority: { certPem: string; keyPem: string }) {
  const leaf = await issueServingCertificate(authority, { ip: ['127.0.0.1'], dns: ['localhost'] }, 7);
  writeFileSync(keyFile, leaf.keyPem);
  writeFileSync(certFile, leaf.certPem);
  return leaf;
}

before(async () => {
  ca = await createCertificateAuthority('podmcp-test-ca', 30);
  await writeLeaf(ca);
  const certificate = await loadCertificate(certFile, keyFile);
  server = createWebhookServer({
    config: defaultInjectorConfig,
    cluster: { nativeSidecars: true },
    logger: pino({ level: 'silent' }),
    metrics,
    certificate,
    requestTimeoutMs: 1_500,
  });
  watcher = watchCertificate(
    certFile,
    keyFile,
    certificate,
    {
      onReload: (loaded) => installCertificate(server, loaded),
      onError: () => {},
    },
    500,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  watcher.close();
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

function reviewOf(body: string): AdmissionReviewResponse {
  return JSON.parse(body) as AdmissionReviewResponse;
}

describe('webhook HTTP edge', () => {
  test('an opted-in pod gets a patch; uid, apiVersion and kind are echoed', async () => {
    const request = admissionReview(podWith({}));
    const answer = await post(port, ca.certPem, JSON.stringify(request));
    assert.equal(answer.status, 200);
    const review = reviewOf(answer.body);
    assert.equal(review.apiVersion, 'admission.k8s.io/v1');
    assert.equal(review.kind, 'AdmissionReview');
    assert.equal(review.response.uid, (request.request as { uid: string }).uid);
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.patchType, 'JSONPatch');
  });

  test('an invalid annotation is denied with the message', async () => {
    const answer = await post(port, ca.certPem, JSON.stringify(admissionReview(podWith({ 'podmcp.dev/mode': 'god' }))));
    const review = reviewOf(answer.body);
    assert.equal(review.response.allowed, false);
    assert.equal(
      review.response.status?.message,
      'podmcp: podmcp.dev/mode: "god" is not valid; allowed: read-only, read-write',
    );
  });

  const BAD_REQUESTS: Array<{
    name: string;
    body: string;
    options?: Parameters<typeof post>[3];
    status: number;
    error: RegExp;
  }> = [
    { name: 'malformed JSON', body: '{"apiVersion":', status: 400, error: /not valid JSON/ },
    { name: 'a JSON array', body: '[]', status: 400, error: /must be a JSON object/ },
    {
      name: 'the wrong apiVersion',
      body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }),
      status: 400,
      error: /expected apiVersion admission\.k8s\.io\/v1/,
    },
    {
      name: 'a review without a uid',
      body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
      status: 400,
      error: /no uid/,
    },
    {
      name: 'the wrong content type',
      body: '{}',
      options: { contentType: 'text/plain' },
      status: 415,
      error: /application\/json/,
    },
    { name: 'no content type', body: '{}', options: { contentType: null }, status: 415, error: /application\/json/ },
    { name: 'GET', body: '', options: { method: 'GET' }, status: 405, error: /POST/ },
    { name: 'another path', body: '{}', options: { path: '/inject' }, status: 404, error: /POST \/mutate/ },
  ];
  for (const bad of BAD_REQUESTS) {
    test(`${bad.name} → ${bad.status} with a reason`, async () => {
      const answer = await post(port, ca.certPem, bad.body, bad.options);
      assert.equal(answer.status, bad.status);
      assert.match((JSON.parse(answer.body) as { error: string }).error, bad.error);
    });
  }

  test('a body over the limit → 413', async () => {
    const answer = await post(port, ca.certPem, Buffer.alloc(9 * 1024 * 1024, 0x20));
    assert.equal(answer.status, 413);
  });

  test('a pod with 2000 env vars is injected', async () => {
    const env = Array.from({ length: 2000 }, (_, index) => ({
      name: `VAR_${index}`,
      value: `value-${index}-`.repeat(8),
    }));
    const pod = podWith({}, { containers: [{ name: 'big', image: 'big:1', env }] });
    const body = JSON.stringify(admissionReview(pod));
    assert.ok(body.length > 200_000, 'the request is larger than common default body limits');
    const answer = await post(port, ca.certPem, body);
    assert.equal(answer.status, 200);
    const injected = applyReview(pod, reviewOf(answer.body));
    assert.equal(injected.spec?.containers[0]?.env?.length, 2000);
    assert.equal(injected.spec?.initContainers?.[0]?.name, 'podmcp');
  });

  // The server's request timeout (1.5 s here) answers the stalled request; the test's own timeout only keeps a
  // broken server from hanging the run.
  test('a request that never finishes its body is answered 408 and closed', { timeout: 60_000 }, async () => {
    const { connect } = await import('node:tls');
    const closed = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem }, () => {
        socket.write(
          'POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        );
      });
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    assert.match(closed, /^HTTP\/1\.1 408/);
  });

  test('metrics count requests by result and reason', async () => {
    const text = await metrics.registry.metrics();
    assert.match(text, /podmcp_injector_admission_requests_total\{result="injected",reason="injected"\} \d+/);
    assert.match(text, /podmcp_injector_invalid_annotations_total\{key="podmcp.dev\/mode"\} 1/);
  });

  test('random AdmissionReviews never crash the server and always get a well-formed answer', async () => {
    const podLike = fc.record(
      {
        metadata: fc.record(
          {
            annotations: fc.dictionary(
              fc.oneof(
                fc.constantFrom('podmcp.dev/inject', 'podmcp.dev/port', 'podmcp.dev/mode', 'podmcp.dev/tools'),
                fc.string(),
              ),
              fc.oneof(fc.constantFrom('true', 'false', '9810', 'read-write', 'list_pods'), fc.string()),
            ),
            name: fc.string(),
          },
          { requiredKeys: [] },
        ),
        spec: fc.oneof(fc.anything(), fc.record({ containers: fc.array(fc.anything(), { maxLength: 3 }) })),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(podLike, fc.anything()),
        fc.oneof(fc.constant('CREATE'), fc.string()),
        async (object, operation) => {
          const request = admissionReview(object as V1Pod, { operation });
          const answer = await post(port, ca.certPem, JSON.stringify(request));
          assert.equal(answer.status, 200, answer.body);
          const review = reviewOf(answer.body);
          assert.equal(review.kind, 'AdmissionReview');
          assert.equal(review.response.uid, (request.request as { uid: string }).uid);
          assert.equal(typeof review.response.allowed, 'boolean');
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a rotated certificate is served without a restart', async () => {
    const before = (await post(port, ca.certPem, JSON.stringify(admissionReview(podWith({}))))).peerCertificatePem;
    const newCa = await createCertificateAuthority('podmcp-rotated-ca', 30);
    const leaf = await writeLeaf(newCa);
    let after: string | undefined;
    for (let attempt = 0; attempt < 50 && after !== leaf.certPem.trim(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = (await post(port, newCa.certPem, '{}').catch(() => undefined))?.peerCertificatePem?.trim();
    }
    assert.notEqual(before?.trim(), leaf.certPem.trim());
    assert.equal(after, leaf.certPem.trim());
    ca = newCa;
  });
});
