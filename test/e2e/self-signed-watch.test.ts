/**
 * Self-signed TLS with two replicas, as the shipped ServiceAccount and RBAC: the replica that does not lead
 * installs the leader's serving pair when the API server reports the Secret changed — through its watch, not at
 * its next round (rounds are five minutes apart here, so only the watch can deliver within the test). The watch
 * itself: it outlives client-node's 30 s silence timer, and a Role without list and watch is reported, backing off.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { issueServingCertificate } from '../../packages/injector/src/certificates.ts';
import { startSelfSignedCertificates } from '../../packages/injector/src/self-signed/manager.ts';
import { serviceDnsNames } from '../../packages/injector/src/self-signed/plan.ts';
import { createSecretStore, type StoredSecret } from '../../packages/injector/src/self-signed/secret-store.ts';
import { watchFailureReport } from '../../packages/injector/src/self-signed/watch-retry.ts';
import type { LoadedCertificate } from '../../packages/injector/src/serving-certificate.ts';
import { createAll, eventually, serviceAccountToken } from '../control-plane/kube.ts';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { createSelfSignedInjectorAccess } from './self-signed-access.ts';

const { plane, skip } = await controlPlaneForSuite();
const NAMESPACE = 'podmcp-system';
const ROUND_MS = 300_000;

describe('self-signed TLS replicas watch the Secret', { skip }, () => {
  test('a replica that does not lead installs a rotated pair from its watch', async () => {
    if (!plane) return;
    const token = await createSelfSignedInjectorAccess(plane.kubeConfig, NAMESPACE);
    const replica = (identity: string, installed: LoadedCertificate[]) =>
      startSelfSignedCertificates({
        // Each replica its own kubeconfig object, so its own connection pool, as separate pods would have.
        kubeConfig: plane.kubeConfigForToken(token),
        namespace: NAMESPACE,
        secretName: 'podmcp-injector-tls',
        webhookName: 'podmcp-injector',
        serviceName: 'podmcp-injector',
        leaseName: 'podmcp-injector-cert',
        identity,
        logger: pino({ level: 'silent' }),
        intervalMs: ROUND_MS,
        leaseDurationSeconds: 2 * (ROUND_MS / 1000),
        onCertificate: (loaded) => installed.push(loaded),
      });
    const leaderInstalled: LoadedCertificate[] = [];
    const followerInstalled: LoadedCertificate[] = [];
    const leader = replica('replica-a', leaderInstalled);
    await leader.ready;
    assert.equal(leader.isLeader(), true);
    const follower = replica('replica-b', followerInstalled);
    try {
      await follower.ready;
      assert.equal(follower.isLeader(), false);
      assert.equal(followerInstalled[0]?.certPem, leaderInstalled[0]?.certPem);

      // A new serving pair from the same CA, written as the leader would at rotation.
      const core = plane.kubeConfig.makeApiClient(CoreV1Api);
      const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: 'podmcp-injector-tls' });
      const decode = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
      const issued = await issueServingCertificate(
        { certPem: decode('ca.crt'), keyPem: decode('ca.key') },
        { dns: serviceDnsNames('podmcp-injector', NAMESPACE) },
        30,
      );
      await core.replaceNamespacedSecret({
        namespace: NAMESPACE,
        name: 'podmcp-injector-tls',
        body: {
          ...secret,
          data: {
            ...secret.data,
            'tls.crt': Buffer.from(issued.certPem).toString('base64'),
            'tls.key': Buffer.from(issued.keyPem).toString('base64'),
          },
        },
      });
      const rotated = await eventually('the follower to install the rotated pair', () =>
        followerInstalled.find((loaded) => loaded.certPem === issued.certPem),
      );
      assert.equal(rotated.keyPem, issued.keyPem);
    } finally {
      await follower.stop();
      await leader.stop();
    }
  });

  test("a watch on a quiet Secret stays open past client-node's 30 s silence timer", async () => {
    if (!plane) return;
    const namespace = 'podmcp-watch-quiet';
    await createAll(plane.kubeConfig, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'podmcp-injector-tls' }, type: 'Opaque', data: { 'tls.crt': '' } },
    });
    // The administrator's credentials: this is about how long the watch lives, not about RBAC.
    const store = createSecretStore({ kubeConfig: plane.kubeConfig, namespace, name: 'podmcp-injector-tls' });
    const seen: Array<StoredSecret | undefined> = [];
    const failures: Error[] = [];
    const stop = store.watch(
      (secret) => seen.push(secret),
      (error) => failures.push(error),
    );
    try {
      await eventually('the watch to report the Secret', () => seen.length > 0);
      // Past the 30 s after which client-node ends a silent watch unless told otherwise.
      await new Promise((resolve) => setTimeout(resolve, 35_000));
      assert.deepEqual(failures, []);
      assert.equal(seen.length, 1, 'one watch, not a new one (and its initial ADDED) every 30 s');
    } finally {
      stop();
    }
  });

  test('without list and watch on the Secret, the watch fails with 403, backs off and says which permission', async () => {
    if (!plane) return;
    const namespace = 'podmcp-watch-forbidden';
    await createAll(plane.kubeConfig, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'no-secrets', namespace } },
    ]);
    const token = await serviceAccountToken(plane.kubeConfig, namespace, 'no-secrets');
    const store = createSecretStore({
      kubeConfig: plane.kubeConfigForToken(token),
      namespace,
      name: 'podmcp-injector-tls',
    });
    const failures: Array<{ error: Error; failures: number }> = [];
    const stop = store.watch(
      () => assert.fail('nothing is visible without the permission'),
      (error, count) => failures.push({ error, failures: count }),
      { restartMs: 10, firstMs: 10, capMs: 40, warnAfter: 3 },
    );
    try {
      await eventually('three failures in a row', () => failures.length >= 3);
    } finally {
      stop();
    }
    assert.deepEqual(
      failures.slice(0, 3).map((failure) => failure.failures),
      [1, 2, 3],
    );
    const third = failures[2];
    assert.ok(third, 'a third failure was reported');
    assert.equal((third.error as { statusCode?: number }).statusCode, 403);
    const report = watchFailureReport(third.error, 3, `Secret ${namespace}/podmcp-injector-tls`);
    assert.equal(report.level, 'warn');
    assert.match(report.message, /HTTP 403: the injector's Role lacks list and watch/);
  });
});
