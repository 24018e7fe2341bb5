/**
 * Built-in defaults, in a leaf module so the settings that apply them and the annotation docs that state them
 * read the same numbers.
 */

/** The sidecar's MCP port when neither the cluster nor the pod names one. */
export const DEFAULT_MCP_PORT = 9810;
export const DEFAULT_HEALTH_PORT = 9811;
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_RESOURCES = { cpuRequest: '10m', memoryRequest: '160Mi', memoryLimit: '320Mi' } as const;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 120;
export const DEFAULT_MAX_REPLICAS = 10;
export const DEFAULT_ACTION_COOLDOWN_SECONDS = 300;
