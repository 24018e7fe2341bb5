/**
 * The API server stops answering on connections that stay open (a black hole: no reset, no refusal). Every
 * API request has a bound, so a tool call ends with a plain "did not answer" instead of hanging on the pool's
 * connections for minutes; and closing the pool ends open watches instead of waiting for them. The sidecar
 * reaches the real API server through a loopback TCP relay that the test stalls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { patientWatch, poolFor } from '@podmcp/core';
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

/** Well inside the 20 s call deadline, so the answer names the silent API server rather than the deadline. */
const REQUEST_TIMEOUT_MS = 2_000;

describe('an API server that stops answering', { skip }, () => {
  let world: World;
  let podName: string | undefined;
  const relays: Relay[] = [];
  const sidecars: ConnectedSidecar[] = [];
  const throughRelay = async (): Promise<{ relay: Relay; kubeConfig: KubeConfig }> => {
    if (!plane) throw new Error('no control plane');
    const relay = new Relay(plane.server);
    relays.push(relay);
    await relay.open();
    return { relay, kubeConfig: relay.route(plane.kubeConfigForToken(world.sidecarToken)) };
  };
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'silence' });
    const { pods } = await deployApp(world, 'web');
    podName = pods[0]?.metadata?.name;
  });
  after(async () => {
    for (const sidecar of sidecars) await sidecar.close();
    for (const relay of relays) await relay.cut();
  });

  test('a tool call ends with "did not answer", audited as unreachable, and its place in the gate is free', async () => {
    const { relay, kubeConfig } = await throughRelay();
    // The sidecar takes the pool of the KubeConfig it is given; made first, it carries the test's short bound.
    poolFor(kubeConfig, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const sidecar = await connectSidecar(world, { kubeConfig, podName });
    sidecars.push(sidecar);
    const first = await callTool<{ pods: unknown[] }>(sidecar.client, 'list_pods');
    assert.equal(first.structured.pods.length, 1);

    relay.stall();
    assert.match(
      await callToolError(sidecar.client, 'list_pods'),
      /did not answer in time \(UND_ERR_HEADERS_TIMEOUT\)/,
    );
    const last = sidecar.audit.at(-1);
    assert.deepEqual([last?.name, last?.outcome, last?.error], ['list_pods', 'error', 'unreachable']);
    assert.equal(sidecar.sidecar.services.calls?.running(), 0);
    // The MCP side keeps serving.
    assert.ok((await sidecar.client.listTools()).tools.length > 0);
  });

  test('closing the pool ends an open watch instead of waiting for it', { timeout: 60_000 }, async () => {
    const { relay, kubeConfig } = await throughRelay();
    const pool = poolFor(kubeConfig);
    let seen!: () => void;
    const firstEvent = new Promise<void>((resolve) => {
      seen = resolve;
    });
    let ended!: (error: unknown) => void;
    const done = new Promise<unknown>((resolve) => {
      ended = resolve;
    });
    // Long-lived, as the injector's watches are: client-node's own silence timer must not end it first.
    await patientWatch(pool.forWatch, 10 * 60_000).watch(
      `/api/v1/namespaces/${world.namespace}/pods`,
      {},
      () => seen(),
      (error) => ended(error),
    );
    await firstEvent;
    relay.stall();
    // Without ending the watch, close() would wait for the API server to end it: never, through a black hole.
    await pool.close();
    await done;
  });
});
