/**
 * The annotation contract: every `podmcp.dev/` annotation is declared here once, with its value schema, the
 * allowed values as a user reads them, its default and a description. The injector validates with these
 * declarations, the sidecar decodes its environment with the same schemas, and the README table is rendered
 * from them — so the three cannot drift apart.
 */
import { z } from 'zod';
import { DEFAULTS } from './defaults.ts';
import { isQuantity } from './quantity.ts';
import { isToolName, TOOL_NAMES } from './tools.ts';

export const ANNOTATION_PREFIX = 'podmcp.dev/';

/** Written by the injector; users never set these, so they are not part of the input contract. */
export const STATUS_ANNOTATION = `${ANNOTATION_PREFIX}status`;
export const ENDPOINT_ANNOTATION = `${ANNOTATION_PREFIX}endpoint`;
export const INJECTED_LABEL = `${ANNOTATION_PREFIX}injected`;
/** Namespace label that switches injection off for a whole namespace (enforced by the webhook's namespaceSelector). */
export const NAMESPACE_OPT_OUT_LABEL = `${ANNOTATION_PREFIX}injection`;
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const unprivilegedPort = z
  .string()
  .regex(/^\d{1,5}$/)
  .transform(Number)
  .pipe(z.number().int().min(1024).max(65535));

const anyPort = z
  .string()
  .regex(/^\d{1,5}$/)
  .transform(Number)
  .pipe(z.number().int().min(1).max(65535));

const quantity = z.string().refine(isQuantity);

const urlPath = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/);

// RFC 1123 subdomain, the rule for ConfigMap names.
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);

const toolList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0),
  )
  .pipe(z.array(z.string().refine(isToolName)).min(1));

const duration = z
  .string()
  .regex(/^\d{1,6}(s|m|h)?$/)
  .transform((text) => {
    const unit = text.at(-1);
    const amount = Number.parseInt(text, 10);
    if (unit === 'h') return amount * 3600;
    if (unit === 'm') return amount * 60;
    return amount;
  })
  .pipe(z.number().int().min(0).max(86_400));

function bounded(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,7}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

export interface AnnotationSpec<Schema extends z.ZodType<unknown, string>> {
  readonly schema: Schema;
  /** What a user may write, as shown in errors and docs. */
  readonly allowed: string;
  readonly defaultText: string;
  readonly description: string;
}

function spec<Schema extends z.ZodType<unknown, string>>(s: AnnotationSpec<Schema>): AnnotationSpec<Schema> {
  return s;
}

/** Every user-settable annotation, keyed by its name without the prefix. Order is the README's order. */
export const ANNOTATIONS = {
  inject: spec({
    schema: flag,
    allowed: '`true`, `false`',
    defaultText: 'absent: not injected',
    description: 'Opt the pod in. Put it on the pod template, not on the Deployment itself.',
  }),
  mode: spec({
    schema: z.enum(['read-only', 'read-write']),
    allowed: '`read-only`, `read-write`',
    defaultText: `\`${DEFAULTS.mode}\``,
    description: 'Whether action tools (restart, scale, delete pod, roll back) exist at all.',
  }),
  tools: spec({
    schema: toolList,
    allowed: `comma-separated tool names: ${TOOL_NAMES.map((name) => `\`${name}\``).join(', ')}`,
    defaultText: 'every tool the mode allows',
    description: 'Allow-list of tools the sidecar offers. Action tools still need `mode: read-write`.',
  }),
  port: spec({
    schema: unprivilegedPort,
    allowed: '1024-65535',
    defaultText: `cluster default (\`${DEFAULTS.port}\`)`,
    description: 'Port of the MCP endpoint (`/mcp`, Streamable HTTP). Must not clash with an app container port.',
  }),
  'health-port': spec({
    schema: unprivilegedPort,
    allowed: '1024-65535',
    defaultText: `cluster default (\`${DEFAULTS.healthPort}\`)`,
    description: 'Port of `/healthz`, `/readyz` and `/metrics`, probed by the kubelet.',
  }),
  expose: spec({
    schema: flag,
    allowed: '`true`, `false`',
    defaultText: '`false`',
    description:
      'Bind the MCP endpoint to the pod IP instead of loopback. Off, it is reachable only from inside the pod or by port-forward.',
  }),
  'cpu-request': spec({
    schema: quantity,
    allowed: 'a Kubernetes quantity',
    defaultText: `cluster default (\`${DEFAULTS.resources.cpuRequest}\`)`,
    description: 'CPU request of the sidecar container.',
  }),
  'cpu-limit': spec({
    schema: quantity,
    allowed: 'a Kubernetes quantity',
    defaultText: 'cluster default (none)',
    description: 'CPU limit of the sidecar container.',
  }),
  'memory-request': spec({
    schema: quantity,
    allowed: 'a Kubernetes quantity',
    defaultText: `cluster default (\`${DEFAULTS.resources.memoryRequest}\`)`,
    description: 'Memory request of the sidecar container.',
  }),
  'memory-limit': spec({
    schema: quantity,
    allowed: 'a Kubernetes quantity',
    defaultText: `cluster default (\`${DEFAULTS.resources.memoryLimit}\`)`,
    description: 'Memory limit of the sidecar container (always set, so quota-enforcing namespaces admit the pod).',
  }),
  'log-level': spec({
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    allowed: '`debug`, `info`, `warn`, `error`',
    defaultText: `\`${DEFAULTS.logLevel}\``,
    description: 'Log level of the sidecar.',
  }),
  'native-sidecar': spec({
    schema: z.enum(['auto', 'true', 'false']),
    allowed: '`auto`, `true`, `false`',
    defaultText: `\`${DEFAULTS.nativeSidecar}\``,
    description:
      'Inject as a native sidecar (an init container with `restartPolicy: Always`, started before the app, never blocking Job completion). `auto` follows the cluster.',
  }),
  'token-audience': spec({
    schema: z.string().regex(/^[\x21-\x7e]{1,253}$/),
    allowed: 'an audience string (no spaces)',
    defaultText: 'none',
    description:
      "The audience that remote MCP callers' bearer tokens must be issued for, when the sidecar is exposed beyond loopback. The sidecar's own Kubernetes API token always has the API server's audience.",
  }),
  runbooks: spec({
    schema: dnsSubdomain,
    allowed: 'a ConfigMap name',
    defaultText: 'none',
    description: 'ConfigMap in the namespace whose keys are runbooks (Markdown) served to the agent.',
  }),
  'app-metrics-port': spec({
    schema: anyPort,
    allowed: '1-65535',
    defaultText: 'none',
    description: "Port of the app's Prometheus metrics, read by the sidecar over localhost.",
  }),
  'app-metrics-path': spec({
    schema: urlPath,
    allowed: 'a URL path',
    defaultText: `\`${DEFAULTS.appMetricsPath}\``,
    description: "Path of the app's Prometheus metrics.",
  }),
  'app-health-port': spec({
    schema: anyPort,
    allowed: '1-65535',
    defaultText: 'none',
    description: "Port of the app's health endpoint, read by the sidecar over localhost.",
  }),
  'app-health-path': spec({
    schema: urlPath,
    allowed: 'a URL path',
    defaultText: `\`${DEFAULTS.appHealthPath}\``,
    description: "Path of the app's health endpoint.",
  }),
  'metrics-history': spec({
    schema: flag,
    allowed: '`true`, `false`',
    defaultText: '`true` when the cluster configures a Prometheus',
    description:
      "Offer `query_metrics`, this namespace's metric history from the cluster's Prometheus (configured in the injector). `false` turns it off for this workload.",
  }),
  'rate-limit': spec({
    schema: bounded(1, 6000),
    allowed: '1-6000',
    defaultText: `\`${DEFAULTS.rateLimitPerMinute}\``,
    description: 'Tool calls per minute per caller.',
  }),
  'unattended-actions': spec({
    schema: flag,
    allowed: '`true`, `false`',
    defaultText: '`false`',
    description:
      'Let actions run without a human approval when the MCP client cannot ask for one (elicitation). Off, such clients can only preview actions (`dry_run: true`).',
  }),
  'max-replicas': spec({
    schema: bounded(0, 1000),
    allowed: '0-1000',
    defaultText: `\`${DEFAULTS.maxReplicas}\``,
    description: 'Upper bound for `scale_workload`.',
  }),
  'action-cooldown': spec({
    schema: duration,
    allowed: 'seconds, or a number with `s`, `m` or `h` (at most 24h)',
    defaultText: `\`${DEFAULTS.actionCooldownSeconds / 60}m\``,
    description: 'Minimum time between two actions on the same object.',
  }),
  image: spec({
    schema: z.string().regex(/^[a-z0-9]+([._/:@-][A-Za-z0-9_.-]+)*$/),
    allowed: 'an image reference matching the cluster allow-list',
    defaultText: 'cluster default',
    description: 'Override the sidecar image; refused unless the injector configuration allows it.',
  }),
} as const;

export type AnnotationName = keyof typeof ANNOTATIONS;
export type AnnotationValues = {
  -readonly [Name in AnnotationName]?: z.output<(typeof ANNOTATIONS)[Name]['schema']>;
};

export const ANNOTATION_NAMES = Object.keys(ANNOTATIONS) as AnnotationName[];

export function annotationKey(name: AnnotationName): string {
  return `${ANNOTATION_PREFIX}${name}`;
}

export interface AnnotationProblem {
  readonly key: string;
  readonly value: string;
  readonly message: string;
}

export interface ParsedAnnotations {
  readonly values: AnnotationValues;
  readonly errors: readonly AnnotationProblem[];
  readonly warnings: readonly AnnotationProblem[];
}

const WRITTEN_KEYS = new Set([STATUS_ANNOTATION, ENDPOINT_ANNOTATION]);

function isAnnotationName(name: string): name is AnnotationName {
  return Object.hasOwn(ANNOTATIONS, name);
}

/** Parses one annotation value; the error names the key, the bad value and what is allowed. */
export function parseAnnotation<Name extends AnnotationName>(
  name: Name,
  value: string,
): { ok: true; value: NonNullable<AnnotationValues[Name]> } | { ok: false; message: string } {
  const declared = ANNOTATIONS[name];
  const result = declared.schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data as NonNullable<AnnotationValues[Name]> };
  return {
    ok: false,
    message: `${annotationKey(name)}: ${JSON.stringify(value)} is not valid; allowed: ${declared.allowed.replaceAll('`', '')}`,
  };
}

/**
 * Reads the `podmcp.dev/` annotations of a pod (template). Invalid values are errors (the pod is denied);
 * unknown keys under the prefix are warnings with a suggestion, because a typo there silently does nothing.
 */
export function parseAnnotations(annotations: Readonly<Record<string, string>> | undefined): ParsedAnnotations {
  const values: Record<string, unknown> = {};
  const errors: AnnotationProblem[] = [];
  const warnings: AnnotationProblem[] = [];
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(ANNOTATION_PREFIX) || WRITTEN_KEYS.has(key)) continue;
    const name = key.slice(ANNOTATION_PREFIX.length);
    if (!isAnnotationName(name)) {
      const suggestion = closestName(name);
      warnings.push({
        key,
        value,
        message: `unknown annotation ${key} is ignored${suggestion ? `; did you mean ${annotationKey(suggestion)}?` : ''}`,
      });
      continue;
    }
    const parsed = parseAnnotation(name, value);
    if (parsed.ok) values[name] = parsed.value;
    else errors.push({ key, value, message: parsed.message });
  }
  return { values: values as AnnotationValues, errors, warnings };
}

function closestName(name: string): AnnotationName | undefined {
  let best: AnnotationName | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 3)) + 1;
  for (const candidate of ANNOTATION_NAMES) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The README's annotation table, generated so it cannot go stale. */
export function renderAnnotationTable(): string {
  const rows = ANNOTATION_NAMES.map((name) => {
    const declared = ANNOTATIONS[name];
    return `| \`${annotationKey(name)}\` | ${declared.allowed} | ${declared.defaultText} | ${declared.description} |`;
  });
  return ['| Annotation | Values | Default | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
