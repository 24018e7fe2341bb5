/**
 * @podmcp/sidecar: the MCP server that runs beside a workload. `runSidecar` is the process (what
 * `podmcp serve` runs); `createSidecar` and the transports are the parts, for embedding and tests.
 */

export type { Caller } from './caller.ts';
export type { SidecarServices } from './context.ts';
export type { AuditLog, AuditRecord } from './governance/audit.ts';
export { createHealthServer, type HealthServerOptions, startHealthServer } from './health-server.ts';
export { type Connection, type ConnectionOptions, resolveConnection } from './kube/connection.ts';
export type { NamespacedKube, RequestObserver } from './kube/namespaced-kube.ts';
export { parseWorkloadReference, WORKLOAD_REFERENCE_HELP } from './kube/workloads.ts';
export { CALL_DEADLINE_MS, type Catalogue } from './mcp/server.ts';
export type { SidecarMetrics } from './metrics.ts';
export type { ObjectRef } from './self.ts';
export {
  loadKubeConfig,
  planSidecar,
  type RunningSidecar,
  runSidecar,
  SidecarConfigError,
  type SidecarRunOptions,
  SidecarStartError,
  serveUntilStopped,
  startHttpTransport,
  TRANSPORTS,
  type TransportKind,
} from './serve.ts';
export { createSidecar, SIDECAR_VERSION, type Sidecar, type SidecarOptions } from './sidecar.ts';
// Not through http.ts: importing the package must load neither express nor the Streamable HTTP transport.
export { LOOPBACK_HOSTS } from './transport/hosts.ts';
export type { HttpTransportOptions, RunningHttpTransport } from './transport/http.ts';
export { createPeerAddressCaller } from './transport/identity.ts';
export { type Authenticate, HttpRefusal, type ServerSource } from './transport/seams.ts';
export { type RunningStdioTransport, STDIO_CALLER, startStdioTransport } from './transport/stdio.ts';
