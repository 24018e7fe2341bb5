/**
 * Health and metrics on a plain-HTTP port of their own, so probes and scrapes never compete with admission
 * traffic or need the webhook's certificate.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface AdminOptions {
  readonly ready: () => boolean;
  readonly registry: Registry;
}

export function createAdminServer(options: AdminOptions): Server {
  return createServer(async (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      const body = await options.registry.metrics();
      response.writeHead(200, { 'Content-Type': options.registry.contentType }).end(body);
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
}
