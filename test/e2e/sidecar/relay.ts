/** A loopback TCP relay in front of the real API server, for tests that cut it or count its connections. */
import { createServer, type Server, Socket } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Relays TCP from a loopback port to the API server; `cut` drops every connection and stops listening; `stall`
 * keeps every connection open but forwards nothing more, old or new (a black-holed API server).
 * `accepted` counts the connections the API server saw through it.
 */
export class Relay {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  readonly #pairs = new Set<readonly [Socket, Socket]>();
  #stalled = false;
  #server: Server | undefined;
  port = 0;
  accepted = 0;
  constructor(target: string) {
    const url = new URL(target);
    this.#target = { host: url.hostname, port: Number(url.port) };
  }
  async open(): Promise<void> {
    this.#stalled = false;
    const server = createServer((client) => {
      this.#track(client);
      if (this.#stalled) {
        client.on('error', () => client.destroy());
        return;
      }
      this.accepted += 1;
      const upstream = new Socket();
      this.#track(upstream);
      upstream.connect(this.#target.port, this.#target.host);
      client.pipe(upstream).pipe(client);
      const pair = [client, upstream] as const;
      this.#pairs.add(pair);
      client.on('close', () => this.#pairs.delete(pair));
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
  /** Points the current cluster of `kubeConfig` at this (open) relay; returns it. */
  route(kubeConfig: KubeConfig): KubeConfig {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    kubeConfig.clusters = kubeConfig.clusters.map((item) =>
      item.name === cluster.name ? { ...item, server: `https://127.0.0.1:${this.port}` } : item,
    );
    return kubeConfig;
  }
  stall(): void {
    this.#stalled = true;
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#pairs.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
