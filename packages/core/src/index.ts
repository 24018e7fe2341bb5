/**
 * The public surface of @podmcp/core: what the injector, the sidecar and the CLI share. Named, so a symbol
 * leaves the package only when another package uses it.
 */
export {
  ANNOTATION_PREFIX,
  annotationKey,
  DEFAULT_CONTAINER_ANNOTATION,
  ENDPOINT_ANNOTATION,
  INJECTED_LABEL,
  parseAnnotations,
  renderAnnotationTable,
  STATUS_ANNOTATION,
} from './annotations.ts';
export {
  type ApiStatus,
  apiMessageOf,
  apiStatusOf,
  httpStatusOf,
  isNotFound,
  networkCodeOf,
  type TransportFailure,
  transportFailureOf,
} from './api-errors.ts';
export { podmcpCacheDir } from './cache-dir.ts';
export { decodeCursor, encodeCursor } from './cursor.ts';
export { DEFAULT_HEALTH_PORT, DEFAULT_MCP_PORT } from './defaults.ts';
export { CLAIMED_IDENTITY_HEADER, CLAIMED_IDENTITY_MAX_CHARS, cleanClaimedIdentity } from './headers.ts';
export {
  HEALTH_PORT_NAME,
  isInjected,
  MCP_PORT_NAME,
  PROMETHEUS_TOKEN_VOLUME,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_VOLUME_NAMES,
  sidecarContainerOf,
  TMP_VOLUME,
  TOKEN_VOLUME,
} from './injected.ts';
export { INJECTOR_NAME, WEBHOOK_ADMIN_PORT, WEBHOOK_PORT } from './injector-names.ts';
export { API_CONNECTIONS, type KubePool, pooledApiClient, poolFor } from './kube-pool.ts';
export { patientWatch } from './kube-watch.ts';
export {
  type Env,
  inClusterKubeConfig,
  inClusterTokenFile,
  KubeConfigError,
  type KubeConfigProblem,
  type KubeConfigRequest,
  kubeconfigFiles,
  loadKubeConfig,
  SERVICE_ACCOUNT_DIR,
  unconfiguredKubeConfig,
} from './kubeconfig.ts';
export { listen } from './listen.ts';
export { createProbeServer, type MetricsSource, type ProbeServerOptions } from './probe-server.ts';
export { isQuantity, parseQuantity } from './quantity.ts';
export {
  BUILTIN_DEFAULTS,
  checkPrometheusBearer,
  checkPrometheusTokenAudience,
  checkPrometheusUrl,
  DEFAULT_PROMETHEUS_TOKEN_AUDIENCE,
  decodeSidecarEnv,
  encodeSidecarEnv,
  IDENTITY_ENV,
  PROMETHEUS_TOKEN_MOUNT_PATH,
  type PrometheusSettings,
  type ResolvedSettings,
  resolveSettings,
  type SettingsDefaults,
  type SidecarSettings,
  TOKEN_FILE_ENV,
  TOKEN_MOUNT_PATH,
} from './settings.ts';
export { TokenBucket } from './token-bucket.ts';
export {
  ACTION_TOOLS,
  isActionTool,
  isPrometheusTool,
  PROMETHEUS_TOOLS,
  READ_TOOLS,
  TOOL_NAMES,
  type ToolName,
} from './tools.ts';
