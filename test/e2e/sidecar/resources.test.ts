import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type ConnectedSidecar, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

describe('resources against the real API server, as the read-only ServiceAccount', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'res' });
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    ownPod = pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, { podName: ownPod });
  });
  after(() => sidecar?.close());

  test('self shows this pod, its owner chain and its Deployment', async () => {
    const { contents } = await sidecar.client.readResource({ uri: 'podmcp://self' });
    const text = String(contents[0]?.text);
    assert.match(text, new RegExp(`pod ${ownPod} in namespace ${world.namespace}`));
    assert.match(text, /owner chain: ReplicaSet\/web-[a-z0-9]+ → Deployment\/web/);
    assert.match(text, /## Deployment web/);
    assert.match(text, /mode: read-only/);
  });

  test('self/permissions is what the API server says the ServiceAccount may do', async () => {
    const { contents } = await sidecar.client.readResource({ uri: 'podmcp://self/permissions' });
    const text = String(contents[0]?.text);
    assert.match(text, /\| core \| pods, events, configmaps/);
    assert.match(text, /\| core \| pods\/log \| get \|/);
    assert.doesNotMatch(text, /secrets/);
    assert.doesNotMatch(text, /\| apps \| deployments \| patch/);
  });

  test('an unknown resource is a -32002 error naming what to do', async () => {
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://nope' }), /Unknown resource podmcp:\/\/nope/);
  });

  test('subscribing to self signals a change of this pod', async () => {
    const updates: string[] = [];
    sidecar.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri);
    });
    const requestsBefore = sidecar.sidecar.services.kube.requestCount();
    await sidecar.client.subscribeResource({ uri: 'podmcp://self' });
    assert.equal(sidecar.sidecar.services.kube.requestCount(), requestsBefore + 1, 'one watch request');
    const core = world.admin.makeApiClient(CoreV1Api);
    await core.patchNamespacedPod(
      { name: ownPod, namespace: world.namespace, body: { metadata: { labels: { touched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('a resources/updated notification for podmcp://self', () => updates.includes('podmcp://self'));
    await sidecar.client.unsubscribeResource({ uri: 'podmcp://self' });
  });

  test('subscribing to a resource without a change feed is refused', async () => {
    await assert.rejects(
      sidecar.client.subscribeResource({ uri: 'podmcp://self/permissions' }),
      /does not support subscriptions/,
    );
  });
});
