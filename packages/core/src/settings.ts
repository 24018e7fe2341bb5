/**
 * Resolved settings: annotation values merged over cluster defaults, with the checks that span several
 * annotations. The injector resolves them from the pod's annotations and writes the sidecar's part as
 * environment variables; the sidecar decodes that environment with the same schemas and resolves again,
 * so both sides agree by construction.
 */
import {
  ANNOTATIONS,
  type AnnotationName,
  type AnnotationProblem,
  type AnnotationValues,
  annotationKey,
  parseAnnotation,
} from './annotations.ts';
import { DEFAULTS } from './defaults.ts';
import { parseQuantity } from './quantity.ts';
import { ACTION_TOOLS, isActionTool, PROMETHEUS_TOOLS, READ_TOOLS, type ToolName } from './tools.ts';

export type Mode = 'read-only' | 'read-write';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SidecarResources {
  readonly cpuRequest: string;
  readonly cpuLimit?: string | undefined;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

/** The cluster's Prometheus, which `query_metrics` reads with the namespace enforced in every query. */
export interface PrometheusSettings {
  /** Base URL (`http(s)://host:port[/prefix]`); the API is under `<url>/api/v1/`. */
  readonly url: string;
  /**
   * `service-account`: a ServiceAccount token bound to `tokenAudience` as a bearer, for an authorising proxy in
   * front; never the sidecar's API token, which the API server would accept from whoever runs that proxy.
   */
  readonly auth: 'none' | 'service-account';
  /** PEM bundle that signs the server's certificate, for https with a private CA. */
  readonly caBundle?: string | undefined;
  /** Per request: Prometheus unanswered after this long is a finding, not a hang. */
  readonly timeoutSeconds: number;
  /** The only audience the bearer may name (service-account); the Prometheus side checks for it. */
  readonly tokenAudience?: string | undefined;
  /** Where the bearer is read (every request, tokens rotate); the injector mounts it, apart from the API token. */
  readonly tokenFile?: string | undefined;
}

/** What the sidecar process needs to know; carried to it in `PODMCP_*` environment variables. */
export interface SidecarSettings {
  readonly mode: Mode;
  readonly tools: readonly ToolName[];
  readonly port: number;
  readonly healthPort: number;
  readonly expose: boolean;
  readonly logLevel: LogLevel;
  readonly runbooks?: string | undefined;
  readonly appMetrics?: { readonly port: number; readonly path: string } | undefined;
  readonly appHealth?: { readonly port: number; readonly path: string } | undefined;
  readonly rateLimitPerMinute: number;
  readonly maxReplicas: number;
  readonly actionCooldownSeconds: number;
  /** Actions may run without a human's approval when the client cannot elicit one. */
  readonly unattendedActions: boolean;
  readonly tokenAudience?: string | undefined;
  /** Absent when the cluster configures no Prometheus or the workload turned the metric history off. */
  readonly prometheus?: PrometheusSettings | undefined;
}

/** Cluster-wide defaults that annotations override; the injector's configuration file sets them. */
export interface SettingsDefaults {
  readonly port: number;
  readonly healthPort: number;
  readonly logLevel: LogLevel;
  readonly resources: SidecarResources;
  readonly rateLimitPerMinute: number;
  readonly maxReplicas: number;
  readonly actionCooldownSeconds: number;
  readonly prometheus?: PrometheusSettings | undefined;
}

export const BUILTIN_DEFAULTS: SettingsDefaults = DEFAULTS;

export interface ResolvedSettings {
  readonly sidecar: SidecarSettings;
  readonly resources: SidecarResources;
  readonly nativeSidecar: 'auto' | 'true' | 'false';
  readonly image?: string | undefined;
}

export type Resolution =
  | { readonly ok: true; readonly settings: ResolvedSettings }
  | { readonly ok: false; readonly errors: readonly AnnotationProblem[] };

export function resolveSettings(values: AnnotationValues, defaults: SettingsDefaults = BUILTIN_DEFAULTS): Resolution {
  const errors: AnnotationProblem[] = [];
  const problem = (name: AnnotationName, message: string) =>
    errors.push({ key: annotationKey(name), value: String(values[name] ?? ''), message });

  const mode = values.mode ?? DEFAULTS.mode;
  const prometheus = values['metrics-history'] === false ? undefined : defaults.prometheus;
  const reads = prometheus ? [...READ_TOOLS, ...PROMETHEUS_TOOLS] : [...READ_TOOLS];
  const tools = values.tools ?? (mode === 'read-write' ? [...reads, ...ACTION_TOOLS] : reads);
  const refusedActions = mode === 'read-only' ? tools.filter(isActionTool) : [];
  if (refusedActions.length > 0) {
    problem(
      'tools',
      `${annotationKey('tools')}: ${refusedActions.join(', ')} ${refusedActions.length === 1 ? 'is an action tool' : 'are action tools'}; set ${annotationKey('mode')}: read-write to allow actions`,
    );
  }

  const port = values.port ?? defaults.port;
  const healthPort = values['health-port'] ?? defaults.healthPort;
  if (port === healthPort) {
    problem(
      'health-port',
      `${annotationKey('health-port')}: ${healthPort} is also the MCP port; the two ports must differ`,
    );
  }

  // The token the sidecar sends to Prometheus must not be one it accepts from MCP callers: whoever runs
  // Prometheus (or the proxy in front of it) could otherwise call this sidecar as the workload.
  const callerAudience = values['token-audience'];
  if (prometheus?.auth === 'service-account' && callerAudience && callerAudience === prometheus.tokenAudience) {
    problem(
      'token-audience',
      `${annotationKey('token-audience')}: ${callerAudience} is also the audience of the token the sidecar sends to Prometheus (prometheus.tokenAudience in the injector configuration); choose another, or Prometheus's side could call this sidecar as the workload`,
    );
  }

  const resources: SidecarResources = {
    cpuRequest: values['cpu-request'] ?? defaults.resources.cpuRequest,
    cpuLimit: values['cpu-limit'] ?? defaults.resources.cpuLimit,
    memoryRequest: values['memory-request'] ?? defaults.resources.memoryRequest,
    memoryLimit: values['memory-limit'] ?? defaults.resources.memoryLimit,
  };
  checkRequestWithinLimit('cpu', resources.cpuRequest, resources.cpuLimit, problem);
  checkRequestWithinLimit('memory', resources.memoryRequest, resources.memoryLimit, problem);

  if (errors.length > 0) return { ok: false, errors };
  const appMetricsPort = values['app-metrics-port'];
  const appHealthPort = values['app-health-port'];
  return {
    ok: true,
    settings: {
      sidecar: {
        mode,
        tools: [...new Set(tools as ToolName[])],
        port,
        healthPort,
        expose: values.expose ?? false,
        logLevel: values['log-level'] ?? defaults.logLevel,
        runbooks: values.runbooks,
        appMetrics:
          appMetricsPort === undefined
            ? undefined
            : { port: appMetricsPort, path: values['app-metrics-path'] ?? DEFAULTS.appMetricsPath },
        appHealth:
          appHealthPort === undefined
            ? undefined
            : { port: appHealthPort, path: values['app-health-path'] ?? DEFAULTS.appHealthPath },
        rateLimitPerMinute: values['rate-limit'] ?? defaults.rateLimitPerMinute,
        maxReplicas: values['max-replicas'] ?? defaults.maxReplicas,
        actionCooldownSeconds: values['action-cooldown'] ?? defaults.actionCooldownSeconds,
        unattendedActions: values['unattended-actions'] ?? false,
        tokenAudience: values['token-audience'],
        ...(prometheus ? { prometheus } : {}),
      },
      resources,
      nativeSidecar: values['native-sidecar'] ?? DEFAULTS.nativeSidecar,
      image: values.image,
    },
  };
}

function checkRequestWithinLimit(
  resource: 'cpu' | 'memory',
  request: string,
  limit: string | undefined,
  problem: (name: AnnotationName, message: string) => void,
): void {
  if (limit === undefined) return;
  const requested = parseQuantity(request);
  const limited = parseQuantity(limit);
  if (requested !== undefined && limited !== undefined && requested > limited) {
    problem(
      `${resource}-request`,
      `${annotationKey(`${resource}-request`)}: ${request} is above the ${resource} limit ${limit}; a request must not exceed its limit`,
    );
  }
}

/** Annotations whose resolved value travels to the sidecar, and the variable that carries each. */
const SIDECAR_ENV: ReadonlyArray<readonly [AnnotationName, string]> = (
  [
    'mode',
    'tools',
    'port',
    'health-port',
    'expose',
    'log-level',
    'runbooks',
    'app-metrics-port',
    'app-metrics-path',
    'app-health-port',
    'app-health-path',
    'rate-limit',
    'max-replicas',
    'action-cooldown',
    'unattended-actions',
    'token-audience',
  ] as const
).map((name) => [name, envName(name)] as const);

export function envName(name: AnnotationName): string {
  return `PODMCP_${name.toUpperCase().replaceAll('-', '_')}`;
}

/** The sidecar's settings as environment variables, in the same text forms the annotations use. */
export function encodeSidecarEnv(settings: SidecarSettings): Array<{ name: string; value: string }> {
  const text: Partial<Record<AnnotationName, string | undefined>> = {
    mode: settings.mode,
    tools: settings.tools.join(','),
    port: String(settings.port),
    'health-port': String(settings.healthPort),
    expose: String(settings.expose),
    'log-level': settings.logLevel,
    runbooks: settings.runbooks,
    'app-metrics-port': settings.appMetrics && String(settings.appMetrics.port),
    'app-metrics-path': settings.appMetrics?.path,
    'app-health-port': settings.appHealth && String(settings.appHealth.port),
    'app-health-path': settings.appHealth?.path,
    'rate-limit': String(settings.rateLimitPerMinute),
    'max-replicas': String(settings.maxReplicas),
    'action-cooldown': String(settings.actionCooldownSeconds),
    'unattended-actions': String(settings.unattendedActions),
    'token-audience': settings.tokenAudience,
  };
  return [
    ...SIDECAR_ENV.flatMap(([name, variable]) => {
      const value = text[name];
      return value === undefined ? [] : [{ name: variable, value }];
    }),
    ...encodePrometheusEnv(settings.prometheus),
  ];
}

/** Variables that carry the Prometheus settings; absent settings write none, so nothing changes without them. */
export const PROMETHEUS_ENV = {
  url: 'PODMCP_PROMETHEUS_URL',
  auth: 'PODMCP_PROMETHEUS_AUTH',
  caBundle: 'PODMCP_PROMETHEUS_CA',
  timeoutSeconds: 'PODMCP_PROMETHEUS_TIMEOUT_SECONDS',
  tokenAudience: 'PODMCP_PROMETHEUS_TOKEN_AUDIENCE',
  tokenFile: 'PODMCP_PROMETHEUS_TOKEN_FILE',
} as const;

/** The audience of the token sent to Prometheus when the configuration names none. */
export const DEFAULT_PROMETHEUS_TOKEN_AUDIENCE = 'prometheus';

/** Where a pod's ServiceAccount token is when the injector did not mount its own. */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function encodePrometheusEnv(prometheus: PrometheusSettings | undefined): Array<{ name: string; value: string }> {
  if (!prometheus) return [];
  return [
    { name: PROMETHEUS_ENV.url, value: prometheus.url },
    { name: PROMETHEUS_ENV.auth, value: prometheus.auth },
    ...(prometheus.caBundle ? [{ name: PROMETHEUS_ENV.caBundle, value: prometheus.caBundle }] : []),
    { name: PROMETHEUS_ENV.timeoutSeconds, value: String(prometheus.timeoutSeconds) },
    ...(prometheus.auth === 'service-account' && prometheus.tokenAudience
      ? [{ name: PROMETHEUS_ENV.tokenAudience, value: prometheus.tokenAudience }]
      : []),
    ...(prometheus.auth === 'service-account' && prometheus.tokenFile
      ? [{ name: PROMETHEUS_ENV.tokenFile, value: prometheus.tokenFile }]
      : []),
  ];
}

/** A Prometheus base URL is http(s) with no credentials, query or fragment; the message says what is wrong. */
export function checkPrometheusUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${text}: only http and https are supported`;
  if (url.username || url.password) return `${text}: credentials do not belong in the URL; use auth`;
  if (url.search || url.hash) return `${text}: a base URL has no query or fragment`;
  return undefined;
}

/**
 * The audience the Prometheus token is bound to must be the Prometheus side's own: a token for the API server's
 * audience is what the API accepts, so it is refused here by name. The message says what is wrong.
 */
export function checkPrometheusTokenAudience(audience: string): string | undefined {
  if (audience.trim() === '' || /\s/.test(audience)) return `${JSON.stringify(audience)} is not an audience`;
  if (audience.length > 253) return 'an audience is at most 253 characters';
  if (/^(https?:\/\/)?kubernetes(\.default(\.svc)?)?(\.|:|\/|$)/.test(audience)) {
    return `${audience} is the API server's audience; name the Prometheus side's own (e.g. ${DEFAULT_PROMETHEUS_TOKEN_AUDIENCE})`;
  }
  return undefined;
}

/** The sidecar's token is a credential: it travels only over TLS. */
export function checkPrometheusBearer(url: string, auth: string): string | undefined {
  if (auth === 'service-account' && !url.startsWith('https://')) {
    return 'service-account sends a ServiceAccount token, which needs an https URL';
  }
  return undefined;
}

function decodePrometheusEnv(
  env: Readonly<Record<string, string | undefined>>,
  errors: string[],
): PrometheusSettings | undefined {
  const url = env[PROMETHEUS_ENV.url];
  if (!url) return undefined;
  const urlProblem = checkPrometheusUrl(url);
  if (urlProblem) errors.push(`${PROMETHEUS_ENV.url}: ${urlProblem}`);
  const auth = env[PROMETHEUS_ENV.auth] || 'none';
  if (auth !== 'none' && auth !== 'service-account') {
    errors.push(`${PROMETHEUS_ENV.auth}: ${JSON.stringify(auth)} is not valid; allowed: none, service-account`);
  }
  const bearerProblem = checkPrometheusBearer(url, auth);
  if (bearerProblem) errors.push(`${PROMETHEUS_ENV.auth}: ${bearerProblem}`);
  const timeoutText = env[PROMETHEUS_ENV.timeoutSeconds] || '10';
  const timeoutSeconds = Number(timeoutText);
  if (!/^\d{1,3}$/.test(timeoutText) || timeoutSeconds < 1 || timeoutSeconds > 120) {
    errors.push(`${PROMETHEUS_ENV.timeoutSeconds}: ${JSON.stringify(timeoutText)} is not valid; allowed: 1-120`);
  }
  const caBundle = env[PROMETHEUS_ENV.caBundle] || undefined;
  if (caBundle !== undefined && !caBundle.includes('-----BEGIN CERTIFICATE-----')) {
    errors.push(`${PROMETHEUS_ENV.caBundle}: not a PEM certificate bundle`);
  }
  if (auth !== 'service-account') {
    return { url, auth: 'none', ...(caBundle ? { caBundle } : {}), timeoutSeconds };
  }
  const tokenAudience = env[PROMETHEUS_ENV.tokenAudience] || DEFAULT_PROMETHEUS_TOKEN_AUDIENCE;
  const audienceProblem = checkPrometheusTokenAudience(tokenAudience);
  if (audienceProblem) errors.push(`${PROMETHEUS_ENV.tokenAudience}: ${audienceProblem}`);
  // Never falls back to the API token: that token is a credential for the API server, not for Prometheus.
  const tokenFile = env[PROMETHEUS_ENV.tokenFile];
  if (!tokenFile) {
    errors.push(
      `${PROMETHEUS_ENV.tokenFile}: required with service-account: a projected ServiceAccount token for the audience ${tokenAudience}, not the API token`,
    );
  } else if (tokenFile === DEFAULT_SERVICE_ACCOUNT_TOKEN || tokenFile === env[TOKEN_FILE_ENV]) {
    errors.push(
      `${PROMETHEUS_ENV.tokenFile}: ${tokenFile} is the sidecar's API token, which must not reach Prometheus`,
    );
  }
  return {
    url,
    auth: 'service-account',
    ...(caBundle ? { caBundle } : {}),
    timeoutSeconds,
    tokenAudience,
    ...(tokenFile ? { tokenFile } : {}),
  };
}

/**
 * Reads the sidecar's settings from its environment (as the injector wrote it, or as a user set it for
 * `podmcp serve`); unset variables take the defaults. Errors name the variable and the allowed values.
 */
export function decodeSidecarEnv(
  env: Readonly<Record<string, string | undefined>>,
  defaults: SettingsDefaults = BUILTIN_DEFAULTS,
): { ok: true; settings: SidecarSettings } | { ok: false; errors: readonly string[] } {
  const values: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [name, variable] of SIDECAR_ENV) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const parsed = parseAnnotation(name, raw);
    if (parsed.ok) values[name] = parsed.value;
    else
      errors.push(
        `${variable}: ${JSON.stringify(raw)} is not valid; allowed: ${ANNOTATIONS[name].allowed.replaceAll('`', '')}`,
      );
  }
  const prometheus = decodePrometheusEnv(env, errors);
  if (errors.length > 0) return { ok: false, errors };
  const resolved = resolveSettings(values as AnnotationValues, { ...defaults, prometheus });
  if (!resolved.ok) return { ok: false, errors: resolved.errors.map((error) => error.message) };
  return { ok: true, settings: resolved.settings.sidecar };
}

/** Downward-API variables that tell the sidecar who it is. */
export const IDENTITY_ENV = {
  podName: 'PODMCP_POD_NAME',
  podNamespace: 'PODMCP_POD_NAMESPACE',
  podUid: 'PODMCP_POD_UID',
  podIp: 'PODMCP_POD_IP',
  nodeName: 'PODMCP_NODE_NAME',
  serviceAccount: 'PODMCP_SERVICE_ACCOUNT',
} as const;

/** Where the injector mounts the projected token when `token-audience` is set; the sidecar reads it from there. */
export const TOKEN_FILE_ENV = 'PODMCP_TOKEN_FILE';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/podmcp.dev/token';
/** Where the injector mounts the token for Prometheus's audience, apart from the API token. */
export const PROMETHEUS_TOKEN_MOUNT_PATH = '/var/run/secrets/podmcp.dev/prometheus-token';
