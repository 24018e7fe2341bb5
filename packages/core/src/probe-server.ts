/**
 * Probes and metrics on a plain-HTTP listener of their own, for both the injector (its admin port) and the
 * sidecar (its health port), so probes and scrapes never queue behind admission or MCP traffic:
 *
 *   /healthz  200 while the process runs (liveness)
 *   /readyz   200 while `ready()` says so, 503 otherwise
 *   /metrics  the registry in Prometheus text format
 */
import { createServer, type Server } from 'node:http';

/** The part of a prom-client Registry a scrape needs. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface ProbeServerOptions {
  readonly ready: () => boolean;
  readonly registry: MetricsSource;
}

const TEXT = { 'Content-Type': 'text/plain' } as const;

export function createProbeServer(options: ProbeServerOptions): Server {
  const server = createServer(async (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', ...TEXT }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, TEXT).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, TEXT).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      try {
        const body = await options.registry.metrics();
        response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(body);
      } catch (error) {
        response.writeHead(500, TEXT).end(`metrics failed: ${(error as Error).message}\n`);
      }
    } else {
      response.writeHead(404, TEXT).end('not found\n');
    }
  });
  // Probes are tiny; a client that sends headers slowly is not a probe.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  return server;
}
