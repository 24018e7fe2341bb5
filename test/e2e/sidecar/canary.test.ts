/**
 * Secrets never reach the model. A canary value is planted everywhere a secret can hide — a Secret, a literal
 * env var with a password-like name, a ConfigMap key named like a password, pod annotations, log lines — and
 * every tool, resource and prompt is called; the canaries and the sidecar's own token must appear nowhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createSender } from '../../../packages/sidecar/src/kube/sender.ts';
import { appendPodLog } from '../../control-plane/harness.ts';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { exerciseEverything } from './exercise.ts';
import { type ConnectedSidecar, connectSidecar, createWorld, SERVICE_ACCOUNT, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const CANARIES = {
  secret: 'canary-in-a-secret-7f3a9c',
  env: 'canary-in-an-env-var-51be2d',
  configMap: 'canary-in-a-configmap-c0ffee',
  annotation: 'canary-in-an-annotation-9d8e7f',
  logPassword: 'canary-in-a-log-line-a1b2c3',
  logUrl: 'canary-in-a-log-url-d4e5f6',
  lastApplied: 'canary-in-last-applied-0a0b0c',
};

describe('canary secrets never appear in any answer', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let podName: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'canary' });
    const core = world.admin.makeApiClient(CoreV1Api);
    const apps = world.admin.makeApiClient(AppsV1Api);
    const namespace = world.namespace;
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'db' }, stringData: { password: CANARIES.secret } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'settings' },
        data: { 'db-password': CANARIES.configMap, 'log-level': 'debug' },
      },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'runbooks' }, data: { 'crash.md': '# Crash\nRead the logs.' } },
    });
    const labels = { app: 'vault-client' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: {
          name: 'vault-client',
          labels,
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ token: CANARIES.lastApplied }),
          },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { 'example.com/api-token': CANARIES.annotation } },
            spec: {
              serviceAccountName: SERVICE_ACCOUNT,
              containers: [
                {
                  name: 'app',
                  image: 'registry.example/vault-client:2',
                  env: [
                    { name: 'DB_PASSWORD', value: CANARIES.env },
                    { name: 'DB_PASSWORD_FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
                  ],
                  envFrom: [{ configMapRef: { name: 'settings' } }],
                  volumeMounts: [{ name: 'settings', mountPath: '/etc/settings' }],
                },
              ],
              volumes: [{ name: 'settings', configMap: { name: 'settings' } }],
            },
          },
        },
      },
    });
    podName = await eventually('a Running vault-client pod', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=vault-client' });
      return pods.items.find((pod) => pod.status?.phase === 'Running')?.metadata?.name;
    });
    appendPodLog(plane, [
      'starting vault-client',
      `connecting to the database with password=${CANARIES.logPassword}`,
      `upstream postgres://app:${CANARIES.logUrl}@db:5432/app`,
      'ready',
    ]);
    sidecar = await connectSidecar(world, {
      podName,
      env: { PODMCP_RUNBOOKS: 'runbooks', PODMCP_RATE_LIMIT: '6000' },
    });
  });
  after(() => sidecar?.close());

  test('every tool, resource and prompt answer is free of canaries and of the sidecar token', async () => {
    const answers = await exerciseEverything(sidecar.client, {
      names: [podName, 'vault-client', 'deploy/vault-client', 'settings', 'runbooks', 'db', 'self', 'crash.md'],
    });
    assert.ok(answers.length > 10, `expected many answers, got ${answers.length}`);
    const leaks: string[] = [];
    for (const answer of answers) {
      for (const [where, canary] of Object.entries(CANARIES)) {
        if (answer.text.includes(canary)) leaks.push(`${where} canary in ${answer.what}`);
      }
      if (answer.text.includes(world.sidecarToken)) leaks.push(`the sidecar's own token in ${answer.what}`);
    }
    assert.deepEqual(leaks, []);
    // The planted objects were really reachable, so the absence above is redaction, not blindness.
    const everything = answers.map((answer) => answer.text).join('\n');
    assert.match(everything, /vault-client/);
    assert.match(everything, /DB_PASSWORD|db-password/);
    // Every resource template was read with arguments it accepts (a kind it serves, a pod that exists), not
    // only refused: a template that answered nothing proved nothing about redaction.
    const { resourceTemplates } = await sidecar.client.listResourceTemplates();
    const unread = resourceTemplates
      .map((template) => template.uriTemplate)
      .filter((template) => !answers.some((answer) => answer.template === template && answer.ok));
    assert.deepEqual(unread, [], 'templates never read with valid arguments');
  });

  test('the sidecar cannot read Secrets at all: RBAC and podmcp both refuse', async () => {
    const asSidecar = world.sidecarKubeConfig.makeApiClient(CoreV1Api);
    await assert.rejects(asSidecar.listNamespacedSecret({ namespace: world.namespace }), (error: { code?: number }) => {
      assert.equal(error.code, 403);
      return true;
    });
    await assert.rejects(
      // The gateway has no Secret call at all; its sender refuses one before it is sent.
      createSender(world.sidecarKubeConfig, world.namespace).json(
        { method: 'GET', path: `/api/v1/namespaces/${world.namespace}/secrets` },
        undefined,
      ),
      /NamespaceViolation|never read/,
    );
  });
});
