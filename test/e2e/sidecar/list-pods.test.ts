import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import {
  type ConnectedSidecar,
  callTool,
  callToolError,
  connectSidecar,
  createWorld,
  deployApp,
  type World,
} from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

describe('list_pods against the real API server, as the read-only ServiceAccount', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane);
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    await deployApp(world, 'worker');
    await deployApp(world, 'elsewhere', { namespace: world.otherNamespace });
    ownPod = pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, { podName: ownPod });
  });
  after(() => sidecar?.close());

  test('lists the namespace and never the other one', async () => {
    const { structured, text } = await callTool<{ pods: Array<{ name: string; status: string }>; namespace: string }>(
      sidecar.client,
      'list_pods',
    );
    assert.equal(structured.namespace, world.namespace);
    assert.equal(structured.pods.length, 3);
    assert.ok(structured.pods.every((pod) => pod.status === 'Running'));
    assert.ok(!text.includes('elsewhere'));
    assert.match(text, /NAME\s+READY\s+STATUS/);
  });

  test('workload "self" narrows to this pod\'s Deployment through the owner chain', async () => {
    const { structured } = await callTool<{ pods: Array<{ name: string; owner?: string }> }>(
      sidecar.client,
      'list_pods',
      { workload: 'self' },
    );
    assert.equal(structured.pods.length, 2);
    assert.ok(structured.pods.some((pod) => pod.name === ownPod));
  });

  test('pages with a cursor', async () => {
    const first = await callTool<{ pods: unknown[]; next_cursor?: string }>(sidecar.client, 'list_pods', { limit: 2 });
    assert.equal(first.structured.pods.length, 2);
    assert.ok(first.structured.next_cursor);
    const second = await callTool<{ pods: unknown[] }>(sidecar.client, 'list_pods', {
      limit: 2,
      cursor: first.structured.next_cursor,
    });
    assert.equal(second.structured.pods.length, 1);
  });

  test('bad input is an isError answer that says what to fix, and is audited', async () => {
    assert.match(await callToolError(sidecar.client, 'list_pods', { limit: 5000 }), /limit/);
    assert.match(await callToolError(sidecar.client, 'list_pods', { namespace: 'kube-system' }), /namespace/);
    assert.match(
      await callToolError(sidecar.client, 'list_pods', { workload: 'deploy/missing' }),
      /does not exist.*Existing Deployments: (web, worker|worker, web)/,
    );
    assert.ok(sidecar.audit.some((record) => record.name === 'list_pods' && record.outcome === 'error'));
  });
});
