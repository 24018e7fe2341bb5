/**
 * The injector's own name and ports. The CLI that runs it states them in its help and uses them as flag
 * defaults; the injector signs its Events and labels the Secret it manages with the name. One definition, so
 * a help text cannot promise a default the command does not use. manifests/base spells the same values.
 */
export const INJECTOR_NAME = 'podmcp-injector';
/** The webhook's HTTPS port (`--port`). */
export const WEBHOOK_PORT = 8443;
/** The injector's plain-HTTP port for /healthz, /readyz and /metrics (`--admin-port`). */
export const WEBHOOK_ADMIN_PORT = 8081;
