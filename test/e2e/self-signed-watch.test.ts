/**
 * Self-signed TLS with two replicas, as the shipped ServiceAccount and RBAC: the replica that does not lead
 * installs the leader's serving pair when the API server reports the Secret changed — through its watch, not at
 * its next round (rounds are five minutes apart here, so only the watch can deliver within the test).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { issueServingCertificate } from '../../packages/injector/src/certificates.ts';
import { startSelfSignedCertificates } from '../../packages/injector/src/self-signed/manager.ts';
import { serviceDnsNames } from '../../packages/injector/src/self-signed/plan.ts';
import type { LoadedCertificate } from '../../packages/injector/src/serving-certificate.ts';
import { eventually } from '../control-plane/kube.ts';
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
});
