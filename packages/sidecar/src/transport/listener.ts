/** The node:http server under the edge: bounded timeouts, and a listen that resolves with the bound port. */
import { createServer, type Server as NodeServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server for `app` whose slow or idle clients cannot hold a socket forever. */
export function createListener(app: RequestListener): NodeServer {
  const http = createServer(app);
  // A request itself is bounded by the tool deadline.
  http.headersTimeout = 10_000;
  http.requestTimeout = 60_000;
  http.keepAliveTimeout = 5_000;
  return http;
}

/** Listens on host (brackets around an IPv6 address are dropped) and resolves with the bound port. */
export function listen(server: NodeServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
