/**
 * Probes and metrics on a listener of their own (the health port), so the kubelet and Prometheus never
 * compete with MCP traffic, and so the MCP port can stay on loopback while probes arrive on the pod IP.
 *
 *   /healthz  200 while the process runs (liveness)
 *   /readyz   200 while the MCP transport is serving, 503 before that and while shutting down; it never asks
 *             the API server — an API outage must not take the app's pod out of its Services
 *   /metrics  Prometheus text format
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from './transport/http.ts';

export interface HealthServerOptions {
  readonly ready: () => boolean;
  readonly registry: Registry;
}

export function createHealthServer(options: HealthServerOptions): Server {
  const server = createServer(async (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      try {
        const body = await options.registry.metrics();
        response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(body);
      } catch (error) {
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`);
      }
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
  // Probes are tiny; a client that sends headers slowly is not a probe.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  return server;
}

export interface RunningHealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  options: HealthServerOptions & { readonly host: string; readonly port: number },
): Promise<RunningHealthServer> {
  const server = createHealthServer(options);
  const port = await listen(server, options.port, options.host);
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
