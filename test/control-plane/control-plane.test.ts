/**
 * The harness itself: the control plane it starts has RBAC, service-account token issuance and review,
 * controllers and a simulated node; and it leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { appendPodLog, startControlPlane } from './harness.ts';
import { eventually } from './kube.ts';
import { controlPlaneForSuite, skipOrFail } from './suite.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

describe('control plane harness', { skip }, () => {
  test('a Deployment becomes Running pods on the simulated node, whose logs the API server serves', async () => {
    if (!plane) return;
    const apps = plane.kubeConfig.makeApiClient(AppsV1Api);
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'harness-check' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'harness-check' } },
          template: {
            metadata: { labels: { app: 'harness-check' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        },
      },
    });
    const pods = await eventually('two running pods', async () => {
      const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=harness-check' });
      const running = list.items.filter((pod: V1Pod) => pod.status?.phase === 'Running');
      return running.length === 2 ? running : undefined;
    });
    for (const pod of pods) assert.equal(pod.spec?.nodeName, plane.nodeName);

    appendPodLog(plane, ['listening on :8080', 'GET /healthz 200']);
    const name = pods[0]?.metadata?.name ?? '';
    const logs = await eventually('the pod log through the API server', async () => {
      const text = await core.readNamespacedPodLog({ namespace: 'default', name, container: 'app' });
      return text.includes('GET /healthz 200') ? text : undefined;
    });
    assert.match(logs, /listening on :8080/);
  });

  test('TokenRequest mints a token that TokenReview accepts and RBAC restricts', async (t) => {
    if (!plane) return;
    if (plane.external) {
      t.skip(skipOrFail('checks the local control plane (KUBECONFIG is set)'));
      return;
    }
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'harness-probe' } } });
    const minted = await core.createNamespacedServiceAccountToken({
      namespace: 'default',
      name: 'harness-probe',
      body: { spec: { audiences: ['podmcp-test'], expirationSeconds: 600 } },
    });
    const token = minted.status?.token;
    assert.ok(token);
    const review = await plane.kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({
      body: { spec: { token, audiences: ['podmcp-test'] } },
    });
    assert.equal(review.status?.authenticated, true);
    assert.equal(review.status?.user?.username, 'system:serviceaccount:default:harness-probe');

    // A token for the API server's own audience (the default) authenticates; RBAC then decides.
    const apiToken = (
      await core.createNamespacedServiceAccountToken({
        namespace: 'default',
        name: 'harness-probe',
        body: { spec: {} },
      })
    ).status?.token;
    assert.ok(apiToken);
    const asProbe = plane.kubeConfigForToken(apiToken).makeApiClient(CoreV1Api);
    await assert.rejects(asProbe.listNamespacedPod({ namespace: 'default' }), (error: { code?: number }) => {
      assert.equal(error.code, 403, 'a ServiceAccount with no RoleBinding may not list pods');
      return true;
    });
  });

  test('stop() ends every process and removes the directory', async (t) => {
    if (!plane) return;
    if (plane.external) {
      t.skip(skipOrFail('checks the local control plane (KUBECONFIG is set)'));
      return;
    }
    const second = await startControlPlane();
    const directory = second.kubeconfigFile.replace(/\/admin\.kubeconfig$/, '');
    assert.ok(existsSync(directory));
    await second.stop();
    assert.equal(existsSync(directory), false);
    const core = second.kubeConfig.makeApiClient(CoreV1Api);
    await assert.rejects(core.listNamespace(), (error: Error & { cause?: { code?: string } }) => {
      assert.equal(error.cause?.code, 'ECONNREFUSED', 'the API server is gone');
      return true;
    });
  });
});
