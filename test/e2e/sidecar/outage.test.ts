/**
 * The API server goes away mid-session and comes back. The sidecar reaches the real API server through a
 * loopback TCP relay that the test can cut and restore (the API server itself keeps its state, so the
 * session can check that the sidecar recovers without a restart).
 */
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
import { Relay } from './relay.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true, needsLocal: true });

describe('the API server goes away mid-session and comes back', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let relay: Relay;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'outage' });
    const { pods } = await deployApp(world, 'web');
    relay = new Relay(plane.server);
    await relay.open();
    const viaRelay = relay.route(plane.kubeConfigForToken(world.sidecarToken));
    sidecar = await connectSidecar(world, { kubeConfig: viaRelay, podName: pods[0]?.metadata?.name });
  });
  after(async () => {
    await sidecar?.close();
    await relay?.cut();
  });

  test('answers, says "unreachable" while the API server is away, and answers again when it is back', async () => {
    const first = await callTool<{ pods: unknown[] }>(sidecar.client, 'list_pods');
    assert.equal(first.structured.pods.length, 1);

    await relay.cut();
    for (const [tool, args] of [
      ['list_pods', {}],
      ['diagnose', {}],
      ['get_pod_logs', {}],
      ['list_events', {}],
    ] as const) {
      assert.match(await callToolError(sidecar.client, tool, args), /unreachable/i, tool);
    }
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://self' }), /unreachable/i);
    // The MCP side keeps serving: listing needs no API server.
    assert.ok((await sidecar.client.listTools()).tools.length > 0);
    const unreachable = sidecar.audit.filter((record) => record.outcome === 'error' && record.error === 'unreachable');
    assert.ok(unreachable.length >= 4, 'each failed call is audited as unreachable');

    await relay.open();
    const again = await callTool<{ pods: unknown[] }>(sidecar.client, 'list_pods');
    assert.equal(again.structured.pods.length, 1);
    await callTool(sidecar.client, 'diagnose');
  });
});
