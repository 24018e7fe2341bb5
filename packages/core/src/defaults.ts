/**
 * Built-in defaults, in a leaf module so the settings that apply them and the annotation docs that state them
 * read the same numbers.
 */
export const DEFAULTS = {
  port: 9810,
  healthPort: 9811,
  logLevel: 'info',
  resources: { cpuRequest: '10m', memoryRequest: '96Mi', memoryLimit: '160Mi' },
  rateLimitPerMinute: 120,
  maxReplicas: 10,
  actionCooldownSeconds: 300,
  // What a pod gets when it leaves these annotations out; the cluster's configuration does not change them.
  mode: 'read-only',
  nativeSidecar: 'auto',
  appMetricsPath: '/metrics',
  appHealthPath: '/healthz',
} as const;

/** The sidecar's MCP port when neither the cluster nor the pod names one. */
export const DEFAULT_MCP_PORT = DEFAULTS.port;
export const DEFAULT_HEALTH_PORT = DEFAULTS.healthPort;
