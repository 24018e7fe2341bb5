/**
 * One connection pool per credential: tool calls reach the real API server over a handful of reused keep-alive
 * connections, not one new TLS connection per request. The sidecar talks to the API server through a loopback
 * relay that counts the connections the server sees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_CONNECTIONS } from '@podmcp/core';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type ConnectedSidecar, callTool, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';
import { Relay } from './relay.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true, needsLocal: true });

const CALLS = 60;
// One caller: at most its share of the call gate at once.
const PARALLEL = 4;

describe('API connections under many tool calls', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let relay: Relay;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'pool' });
    const { pods } = await deployApp(world, 'web');
    relay = new Relay(plane.server);
    await relay.open();
    const viaRelay = relay.route(plane.kubeConfigForToken(world.sidecarToken));
    sidecar = await connectSidecar(world, {
      kubeConfig: viaRelay,
      podName: pods[0]?.metadata?.name,
      env: { PODMCP_RATE_LIMIT: '6000' },
    });
  });
  after(async () => {
    await sidecar?.close();
    await relay?.cut();
  });

  test(`${CALLS} tool calls, ${PARALLEL} at a time, open at most ${API_CONNECTIONS} connections`, async () => {
    const tools = ['list_pods', 'diagnose', 'list_events', 'list_deployments', 'get_pod_logs'] as const;
    let next = 0;
    const worker = async () => {
      while (next < CALLS) {
        const tool = tools[next % tools.length] as string;
        next += 1;
        await callTool(sidecar.client, tool);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    // Each of these calls sends one to five API requests; one connection per request would be hundreds.
    assert.ok(
      sidecar.sidecar.services.kube.requestCount() >= CALLS,
      `only ${sidecar.sidecar.services.kube.requestCount()} API requests`,
    );
    assert.ok(relay.accepted >= 1, 'the relay saw no connection: the test measured nothing');
    assert.ok(
      relay.accepted <= API_CONNECTIONS,
      `${relay.accepted} connections for ${sidecar.sidecar.services.kube.requestCount()} API requests`,
    );
  });
});
