/**
 * The injector's cluster configuration (a YAML file, mounted from a ConfigMap): the sidecar image and the
 * defaults that annotations override. It is data, not code, so a cluster changes defaults without a release.
 */
import {
  BUILTIN_DEFAULTS,
  checkPrometheusBearer,
  checkPrometheusTokenAudience,
  checkPrometheusUrl,
  DEFAULT_PROMETHEUS_TOKEN_AUDIENCE,
  isQuantity,
  type SettingsDefaults,
} from '@podmcp/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import packageJson from '../package.json' with { type: 'json' };

const port = z.number().int().min(1024).max(65535);
const quantity = z.string().refine(isQuantity, 'must be a Kubernetes quantity such as 100m or 64Mi');

const InjectorConfigSchema = z
  .object({
    sidecar: z
      .object({
        image: z.string().min(1),
        imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
        port: port.default(BUILTIN_DEFAULTS.port),
        healthPort: port.default(BUILTIN_DEFAULTS.healthPort),
        logLevel: z.enum(['debug', 'info', 'warn', 'error']).default(BUILTIN_DEFAULTS.logLevel),
        resources: z
          .object({
            cpuRequest: quantity,
            cpuLimit: quantity.optional(),
            memoryRequest: quantity,
            memoryLimit: quantity,
          })
          .strict()
          .default(BUILTIN_DEFAULTS.resources),
        rateLimitPerMinute: z.number().int().min(1).max(6000).default(BUILTIN_DEFAULTS.rateLimitPerMinute),
        maxReplicas: z.number().int().min(0).max(1000).default(BUILTIN_DEFAULTS.maxReplicas),
        actionCooldownSeconds: z.number().int().min(0).max(86_400).default(BUILTIN_DEFAULTS.actionCooldownSeconds),
        // null leaves the uid to the platform (OpenShift assigns one per namespace).
        runAsUser: z.number().int().min(1).nullable().default(65532),
      })
      .strict(),
    /** Glob patterns (`*` = anything) an image override annotation must match; the default image always may. */
    allowedImages: z.array(z.string().min(1)).default([]),
    /** `auto` asks the API server's version (native sidecars are on by default from Kubernetes 1.29). */
    nativeSidecars: z.enum(['auto', 'always', 'never']).default('auto'),
    /** The cluster's Prometheus for `query_metrics`; absent, the tool does not exist. */
    prometheus: z
      .object({
        url: z.string().superRefine((url, context) => {
          const problem = checkPrometheusUrl(url);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        }),
        auth: z.enum(['none', 'service-account']).default('none'),
        caBundle: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM bundle' }).optional(),
        timeoutSeconds: z.number().int().min(1).max(120).default(10),
        /** service-account: the audience of the token sent, which the Prometheus side accepts (not the API's). */
        tokenAudience: z.string().optional(),
      })
      .strict()
      .superRefine((prometheus, context) => {
        const problem = checkPrometheusBearer(prometheus.url, prometheus.auth);
        if (problem) context.addIssue({ code: 'custom', path: ['auth'], message: problem });
        if (prometheus.tokenAudience === undefined) return;
        const audienceProblem =
          prometheus.auth === 'service-account'
            ? checkPrometheusTokenAudience(prometheus.tokenAudience)
            : 'only with auth: service-account (no token is sent otherwise)';
        if (audienceProblem) context.addIssue({ code: 'custom', path: ['tokenAudience'], message: audienceProblem });
      })
      .optional(),
  })
  .strict();

export type InjectorConfig = z.output<typeof InjectorConfigSchema>;
export type SidecarConfig = InjectorConfig['sidecar'];

export function settingsDefaults(config: InjectorConfig): SettingsDefaults {
  const { port, healthPort, logLevel, resources, rateLimitPerMinute, maxReplicas, actionCooldownSeconds } =
    config.sidecar;
  return {
    port,
    healthPort,
    logLevel,
    resources,
    rateLimitPerMinute,
    maxReplicas,
    actionCooldownSeconds,
    ...(config.prometheus ? { prometheus: prometheusDefaults(config.prometheus) } : {}),
  };
}

function prometheusDefaults(prometheus: NonNullable<InjectorConfig['prometheus']>): SettingsDefaults['prometheus'] {
  const { tokenAudience, ...rest } = prometheus;
  if (prometheus.auth !== 'service-account') return rest;
  return { ...rest, tokenAudience: tokenAudience ?? DEFAULT_PROMETHEUS_TOKEN_AUDIENCE };
}

/** Parses and validates the configuration; the error lists every problem with its path. */
export function parseInjectorConfig(text: string, source = 'injector configuration'): InjectorConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new Error(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = InjectorConfigSchema.safeParse(document ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  throw new Error(`${source} is invalid:\n  ${problems.join('\n  ')}`);
}

// The image of this release: the tag follows the package's version, so a release has one place to edit. The JSON
// import resolves to package.json from src/ and dist/ alike.
export const DEFAULT_IMAGE = `ghcr.io/podmcp/podmcp:${packageJson.version}`;

/** The configuration used when none is given (offline `podmcp inject`, tests). */
export function defaultInjectorConfig(): InjectorConfig {
  return InjectorConfigSchema.parse({ sidecar: { image: DEFAULT_IMAGE } });
}

export function imageAllowed(image: string, config: InjectorConfig): boolean {
  if (image === config.sidecar.image) return true;
  return config.allowedImages.some((pattern) => globToRegExp(pattern).test(image));
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`);
}
