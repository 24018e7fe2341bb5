/**
 * Starts a server listening and resolves with the port it bound (0 asks for a free one), rejecting on the
 * listen error (a port in use) instead of leaving it to an `error` event nobody handles.
 */
import type { AddressInfo, Server } from 'node:net';

/** Brackets around an IPv6 host (`[::1]`, as written in URLs and flags) are dropped. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
