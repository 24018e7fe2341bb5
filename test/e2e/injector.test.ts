/**
 * The injector against a real kube-apiserver: the shipped MutatingWebhookConfiguration (rendered from the
 * default overlay, pointed at a loopback URL) is registered, and the API server itself calls the webhook.
 * The injector runs with the shipped ServiceAccount RBAC, so Events prove that RBAC suffices.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  type KubernetesObject,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { createCertificateAuthority, issueServingCertificate } from '../../packages/injector/src/certificates.ts';
import { type RunningWebhook, runWebhook } from '../../packages/injector/src/run-webhook.ts';
import { apiErrorMessage, createAll, eventually, serviceAccountToken } from '../control-plane/kube.ts';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { MANIFESTS, render } from '../manifests/render.ts';

const { plane, skip } = await controlPlaneForSuite({ controllers: true, needsLocal: true });

const APPS = 'shop';
const WEBHOOK = 'podmcp-injector';
const files = mkdtempSync(join(tmpdir(), 'podmcp-e2e-injector-'));
const certFile = join(files, 'tls.crt');
const keyFile = join(files, 'tls.key');
let injector: RunningWebhook;
let caPem: string;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhooks: AdmissionregistrationV1Api;

async function writeServingCertificate(): Promise<string> {
  const ca = await createCertificateAuthority('podmcp-e2e-webhook-ca', 1);
  const leaf = await issueServingCertificate(ca, { ip: ['127.0.0.1'] }, 1);
  writeFileSync(keyFile, leaf.keyPem);
  writeFileSync(certFile, leaf.certPem);
  return ca.certPem;
}

async function updateWebhook(change: (configuration: V1MutatingWebhookConfiguration) => void): Promise<void> {
  const current = await webhooks.readMutatingWebhookConfiguration({ name: WEBHOOK });
  change(current);
  await webhooks.replaceMutatingWebhookConfiguration({ name: WEBHOOK, body: current });
}

function pointWebhookAt(url: string, bundle: string) {
  return (configuration: V1MutatingWebhookConfiguration) => {
    for (const webhook of configuration.webhooks ?? []) {
      webhook.clientConfig = { url, caBundle: Buffer.from(bundle).toString('base64') };
    }
  };
}

function annotatedPod(name: string, annotations: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, annotations: { 'podmcp.dev/inject': 'true', ...annotations } },
    spec: { containers: [{ name: 'app', image: 'registry.invalid/shop:1', ports: [{ containerPort: 8080 }] }] },
  };
}

function webhookCalls(): Promise<number> {
  return injector.metrics.requests.get().then((metric) => metric.values.reduce((sum, value) => sum + value.value, 0));
}

function sidecarOf(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === 'podmcp');
}

async function eventsFor(kind: string, name: string, reason: string) {
  const list = await core.listNamespacedEvent({
    namespace: APPS,
    fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name},reason=${reason}`,
  });
  return list.items;
}

before(async () => {
  if (!plane) return;
  core = plane.kubeConfig.makeApiClient(CoreV1Api);
  apps = plane.kubeConfig.makeApiClient(AppsV1Api);
  webhooks = plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);

  const rendered = render(join(MANIFESTS, 'overlays/default'));
  const pick = (kind: string, name: string) => rendered.one(kind, name) as KubernetesObject;
  await createAll(plane.kubeConfig, [
    pick('Namespace', 'podmcp-system'),
    pick('ServiceAccount', 'podmcp-injector'),
    pick('ClusterRole', 'podmcp-injector'),
    pick('ClusterRoleBinding', 'podmcp-injector'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APPS } },
  ]);
  const token = await serviceAccountToken(plane.kubeConfig, 'podmcp-system', 'podmcp-injector');

  caPem = await writeServingCertificate();
  injector = await runWebhook({
    host: '127.0.0.1',
    port: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    tls: { kind: 'files', certFile, keyFile },
    kubeConfig: plane.kubeConfigForToken(token),
    instance: 'podmcp-injector-e2e',
    logger: pino({ level: 'silent' }),
  });
  await injector.ready;

  const configuration = pick('MutatingWebhookConfiguration', WEBHOOK) as V1MutatingWebhookConfiguration;
  pointWebhookAt(`https://127.0.0.1:${injector.port}/mutate`, caPem)(configuration);
  await webhooks.createMutatingWebhookConfiguration({ body: configuration });
  // The API server picks up new webhook configurations asynchronously.
  await eventually('the webhook to be called', async () => {
    const pod = await core.createNamespacedPod({ namespace: APPS, body: annotatedPod('warm-up'), dryRun: 'All' });
    return sidecarOf(pod) ? true : undefined;
  });
});

after(async () => {
  await injector?.close();
  rmSync(files, { recursive: true, force: true });
});

describe('injector against a real API server', { skip }, () => {
  test('an annotated Pod gets the native sidecar and the status annotation', async () => {
    const pod = await core.createNamespacedPod({ namespace: APPS, body: annotatedPod('bare') });
    const sidecar = pod.spec?.initContainers?.find((container) => container.name === 'podmcp');
    assert.ok(sidecar, 'the API server (1.29+) runs native sidecars, so podmcp is an init container');
    assert.equal(sidecar.restartPolicy, 'Always');
    assert.equal(pod.spec?.containers.length, 1, 'the app container is untouched');
    const status = JSON.parse(pod.metadata?.annotations?.['podmcp.dev/status'] ?? '{}') as { native?: boolean };
    assert.equal(status.native, true);
    assert.equal(pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'], 'app');
  });

  test("a Deployment's pods, created by the ReplicaSet controller, get the sidecar and an Injected Event", async () => {
    await apps.createNamespacedDeployment({
      namespace: APPS,
      body: {
        metadata: { name: 'checkout' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'checkout' } },
          template: {
            metadata: { labels: { app: 'checkout' }, annotations: { 'podmcp.dev/inject': 'true' } },
            spec: annotatedPod('template').spec,
          },
        },
      },
    });
    const pods = await eventually('two checkout pods', async () => {
      const list = await core.listNamespacedPod({ namespace: APPS, labelSelector: 'app=checkout' });
      return list.items.length === 2 ? list.items : undefined;
    });
    for (const pod of pods) assert.ok(sidecarOf(pod), `${pod.metadata?.name} has the sidecar`);
    const owner = pods[0]?.metadata?.ownerReferences?.[0];
    assert.equal(owner?.kind, 'ReplicaSet');
    const events = await eventually('an Injected event on the ReplicaSet', async () => {
      await injector.events?.flush();
      const found = await eventsFor('ReplicaSet', owner?.name ?? '', 'Injected');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(events[0]?.type, 'Normal');
    assert.equal(events[0]?.source?.component, 'podmcp-injector');
  });

  test('a pod without the annotation never reaches the webhook (matchConditions)', async () => {
    const before = await webhookCalls();
    const pod = await core.createNamespacedPod({
      namespace: APPS,
      body: { metadata: { name: 'plain' }, spec: { containers: [{ name: 'app', image: 'registry.invalid/x:1' }] } },
    });
    assert.equal(sidecarOf(pod), undefined);
    assert.equal(await webhookCalls(), before);
  });

  test('a namespace labelled podmcp.dev/injection=disabled is never injected', async () => {
    await core.createNamespace({
      body: { metadata: { name: 'opted-out', labels: { 'podmcp.dev/injection': 'disabled' } } },
    });
    const before = await webhookCalls();
    const pod = await core.createNamespacedPod({ namespace: 'opted-out', body: annotatedPod('ignored') });
    assert.equal(sidecarOf(pod), undefined);
    assert.equal(await webhookCalls(), before);
  });

  test('an invalid annotation is denied with the key, the value and the allowed values', async () => {
    await assert.rejects(
      core.createNamespacedPod({ namespace: APPS, body: annotatedPod('bad-mode', { 'podmcp.dev/mode': 'godmode' }) }),
      (error) => {
        const message = apiErrorMessage(error);
        assert.match(message, /denied the request/);
        assert.match(message, /podmcp\.dev\/mode/);
        assert.match(message, /godmode/);
        assert.match(message, /read-only/);
        return true;
      },
    );
    await assert.rejects(core.readNamespacedPod({ namespace: APPS, name: 'bad-mode' }), { code: 404 });
  });

  test('a Windows pod that opted in is denied with why, before the API server would refuse the Linux sidecar', async () => {
    const windows = annotatedPod('windows-app');
    windows.spec = { ...windows.spec, os: { name: 'windows' } } as V1Pod['spec'];
    await assert.rejects(core.createNamespacedPod({ namespace: APPS, body: windows }), (error) => {
      const message = apiErrorMessage(error);
      assert.match(message, /denied the request/);
      assert.match(message, /spec\.os\.name is "windows": the podmcp sidecar is a Linux container/);
      assert.match(message, /remove podmcp\.dev\/inject/);
      return true;
    });
    await assert.rejects(core.readNamespacedPod({ namespace: APPS, name: 'windows-app' }), { code: 404 });
    const linux = annotatedPod('linux-app');
    linux.spec = { ...linux.spec, os: { name: 'linux' } } as V1Pod['spec'];
    assert.ok(sidecarOf(await core.createNamespacedPod({ namespace: APPS, body: linux })), 'a declared Linux pod');
  });

  test('a Deployment with an invalid annotation gets an InjectionDenied Event on its ReplicaSet', async () => {
    await apps.createNamespacedDeployment({
      namespace: APPS,
      body: {
        metadata: { name: 'broken' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'broken' } },
          template: {
            metadata: {
              labels: { app: 'broken' },
              annotations: { 'podmcp.dev/inject': 'true', 'podmcp.dev/port': '80' },
            },
            spec: annotatedPod('template').spec,
          },
        },
      },
    });
    const events = await eventually('an InjectionDenied event', async () => {
      await injector.events?.flush();
      const sets = await apps.listNamespacedReplicaSet({ namespace: APPS, labelSelector: 'app=broken' });
      const name = sets.items[0]?.metadata?.name;
      const found = name ? await eventsFor('ReplicaSet', name, 'InjectionDenied') : [];
      return found.length > 0 ? found : undefined;
    });
    assert.equal(events[0]?.type, 'Warning');
    assert.match(events[0]?.message ?? '', /podmcp\.dev\/port/);
  });

  test('a server-side dry run is injected but records no Event', async () => {
    const pod = await core.createNamespacedPod({ namespace: APPS, body: annotatedPod('dry'), dryRun: 'All' });
    assert.ok(sidecarOf(pod));
    await injector.events?.flush();
    assert.deepEqual(await eventsFor('Pod', 'dry', 'Injected'), []);
  });

  test('a rotated serving certificate is picked up without a restart', async () => {
    const newCa = await writeServingCertificate();
    // From now on the API server trusts only the new CA: calls succeed only once the injector serves the new
    // certificate it read from disk.
    await updateWebhook(pointWebhookAt(`https://127.0.0.1:${injector.port}/mutate`, newCa));
    const pod = await eventually('injection with the rotated certificate', async () => {
      const created = await core.createNamespacedPod({ namespace: APPS, body: annotatedPod('rotated'), dryRun: 'All' });
      return sidecarOf(created) ? created : undefined;
    });
    assert.ok(pod);
    caPem = newCa;
  });

  test('injector down: failurePolicy Fail rejects opted-in pods only; Ignore admits them uninjected', async () => {
    const closedPort = injector.adminPort + 0; // the admin port speaks plain HTTP: every TLS call fails
    await updateWebhook(pointWebhookAt(`https://127.0.0.1:${closedPort}/mutate`, caPem));
    await eventually('annotated pods to be rejected', async () => {
      try {
        await core.createNamespacedPod({ namespace: APPS, body: annotatedPod('down'), dryRun: 'All' });
        return undefined;
      } catch (error) {
        return /failed calling webhook/.test(apiErrorMessage(error)) ? true : undefined;
      }
    });
    const plain = await core.createNamespacedPod({
      namespace: APPS,
      body: {
        metadata: { name: 'plain-while-down' },
        spec: { containers: [{ name: 'app', image: 'registry.invalid/x:1' }] },
      },
    });
    assert.ok(plain.metadata?.uid, 'pods that did not opt in are never affected by an injector outage');

    await updateWebhook((configuration) => {
      for (const webhook of configuration.webhooks ?? []) webhook.failurePolicy = 'Ignore';
    });
    const admitted = await eventually('annotated pods to be admitted uninjected', async () => {
      try {
        return await core.createNamespacedPod({
          namespace: APPS,
          body: annotatedPod('ignored-failure'),
          dryRun: 'All',
        });
      } catch {
        return undefined;
      }
    });
    assert.equal(sidecarOf(admitted), undefined);
    await updateWebhook((configuration) => {
      pointWebhookAt(`https://127.0.0.1:${injector.port}/mutate`, caPem)(configuration);
      for (const webhook of configuration.webhooks ?? []) webhook.failurePolicy = 'Fail';
    });
  });
});
