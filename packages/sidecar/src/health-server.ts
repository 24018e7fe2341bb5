/**
 * Probes and metrics on a listener of their own (the health port), so the kubelet and Prometheus never
 * compete with MCP traffic, and so the MCP port can stay on loopback while probes arrive on the pod IP.
 * The server itself is core's probe server (the injector's admin port is the same one):
 *
 *   /healthz  200 while the process runs (liveness)
 *   /readyz   200 while the MCP transport is serving, 503 before that and while shutting down; it never asks
 *             the API server — an API outage must not take the app's pod out of its Services
 *   /metrics  Prometheus text format
 */
import type { Server } from 'node:http';
import { createProbeServer, listen, type ProbeServerOptions } from '@podmcp/core';

export type HealthServerOptions = ProbeServerOptions;

export function createHealthServer(options: HealthServerOptions): Server {
  return createProbeServer(options);
}

export interface RunningHealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  options: HealthServerOptions & { readonly host: string; readonly port: number },
): Promise<RunningHealthServer> {
  const server = createProbeServer(options);
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
