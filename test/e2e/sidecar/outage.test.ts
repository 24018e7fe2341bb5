/**
 * The API server goes away mid-session and comes back. The sidecar reaches the real API server through a
 * loopback TCP relay that the test can cut and restore (the API server itself keeps its state, so the
 * session can check that the sidecar recovers without a restart).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
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

const { plane, skip } = await controlPlaneForSuite({ nodes: true, needsLocal: true });

/** Relays TCP from a loopback port to the API server; `cut` drops every connection and stops listening. */
class Relay {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;
  constructor(target: string) {
    const url = new URL(target);
    this.#target = { host: url.hostname, port: Number(url.port) };
  }
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      this.#track(client);
      this.#track(upstream);
      upstream.connect(this.#target.port, this.#target.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.#server = server;
  }
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}

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
    const viaRelay = plane.kubeConfigForToken(world.sidecarToken);
    const cluster = viaRelay.getCurrentCluster();
    if (!cluster) throw new Error('no cluster in the token kubeconfig');
    viaRelay.clusters = viaRelay.clusters.map((item) =>
      item.name === cluster.name ? { ...item, server: `https://127.0.0.1:${relay.port}` } : item,
    );
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
