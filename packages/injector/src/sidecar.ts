/**
 * The sidecar container and volumes the injector adds, rendered from a plan. Everything that ends up in the
 * pod is decided here, so the patch builder only places it.
 */
import { createHash } from 'node:crypto';
import type {
  V1Container,
  V1EnvVar,
  V1Probe,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import {
  encodeSidecarEnv,
  HEALTH_PORT_NAME,
  IDENTITY_ENV,
  MCP_PORT_NAME,
  PROMETHEUS_TOKEN_MOUNT_PATH,
  PROMETHEUS_TOKEN_VOLUME,
  parseQuantity,
  SIDECAR_CONTAINER_NAME,
  type SidecarSettings,
  TMP_VOLUME,
  TOKEN_FILE_ENV,
  TOKEN_MOUNT_PATH,
  TOKEN_VOLUME,
} from '@podmcp/core';
import type { InjectorConfig } from './config.ts';
import type { InjectionPlan } from './decide.ts';

/** Bumped when the rendered sidecar changes shape, so the status annotation tells old injections apart. */
export const INJECTION_VERSION = '2';

const TOKEN_EXPIRY_SECONDS = 3600;

export interface RenderedSidecar {
  readonly container: V1Container;
  readonly volumes: readonly V1Volume[];
  /** Short hash of what was rendered: equal hashes mean an identical sidecar. */
  readonly configHash: string;
}

export function renderSidecar(plan: InjectionPlan, config: InjectorConfig): RenderedSidecar {
  const { resources } = plan.settings;
  const prometheusToken = prometheusTokenVolume(plan.settings.sidecar);
  const sidecar = prometheusToken?.settings ?? plan.settings.sidecar;
  const volumes: V1Volume[] = [{ name: TMP_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }];
  const mounts: V1VolumeMount[] = [{ name: TMP_VOLUME, mountPath: '/tmp' }];
  const env: V1EnvVar[] = [...identityEnv(), ...encodeSidecarEnv(sidecar), ...heapLimitEnv(resources.memoryLimit)];

  if (plan.ownToken) {
    volumes.push(apiTokenVolume());
    mounts.push({ name: TOKEN_VOLUME, mountPath: TOKEN_MOUNT_PATH, readOnly: true });
    env.push({ name: TOKEN_FILE_ENV, value: `${TOKEN_MOUNT_PATH}/token` });
  }
  if (prometheusToken) {
    volumes.push(prometheusToken.volume);
    mounts.push({ name: PROMETHEUS_TOKEN_VOLUME, mountPath: PROMETHEUS_TOKEN_MOUNT_PATH, readOnly: true });
  }

  const container: V1Container = {
    name: SIDECAR_CONTAINER_NAME,
    image: plan.image,
    imagePullPolicy: config.sidecar.imagePullPolicy,
    args: ['serve'],
    ports: [
      { name: HEALTH_PORT_NAME, containerPort: sidecar.healthPort, protocol: 'TCP' },
      ...(sidecar.expose ? [{ name: MCP_PORT_NAME, containerPort: sidecar.port, protocol: 'TCP' }] : []),
    ],
    env,
    resources: {
      requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
      limits: { memory: resources.memoryLimit, ...(resources.cpuLimit ? { cpu: resources.cpuLimit } : {}) },
    },
    securityContext: securityContext(config.sidecar.runAsUser),
    livenessProbe: LIVENESS_PROBE,
    volumeMounts: mounts,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(plan.native ? { restartPolicy: 'Always' } : {}),
  };
  const configHash = createHash('sha256').update(JSON.stringify({ container, volumes })).digest('hex').slice(0, 16);
  return { container, volumes, configHash };
}

/**
 * The sidecar must never take its app out of service nor hold it back. A native sidecar's startup probe gates
 * the app container's start and its readiness counts toward the pod's Ready (a plain container's too), so it
 * has neither: the app starts as soon as the sidecar container has started, the pod is Ready when the app is,
 * and a Node start (1-2 s) is never reported as a failed probe. Liveness alone remains, on a listener of its
 * own (never behind the tool-call queue), patient enough that a busy sidecar or a slow start is not killed:
 * first asked after 10 s, restarted only after a minute without an answer.
 */
const LIVENESS_PROBE: V1Probe = {
  httpGet: { path: '/healthz', port: HEALTH_PORT_NAME },
  initialDelaySeconds: 10,
  periodSeconds: 10,
  failureThreshold: 6,
  timeoutSeconds: 5,
};

function securityContext(runAsUser: number | null): V1SecurityContext {
  return {
    runAsNonRoot: true,
    ...(runAsUser === null ? {} : { runAsUser, runAsGroup: runAsUser }),
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Who and where the sidecar runs, from the downward API. */
function identityEnv(): V1EnvVar[] {
  return [
    fieldEnv(IDENTITY_ENV.podName, 'metadata.name'),
    fieldEnv(IDENTITY_ENV.podNamespace, 'metadata.namespace'),
    fieldEnv(IDENTITY_ENV.podUid, 'metadata.uid'),
    fieldEnv(IDENTITY_ENV.podIp, 'status.podIP'),
    fieldEnv(IDENTITY_ENV.nodeName, 'spec.nodeName'),
    fieldEnv(IDENTITY_ENV.serviceAccount, 'spec.serviceAccountName'),
  ];
}

/**
 * Mirrors the API-access volume the kubelet would mount, but for this container only, so an app that turns
 * automount off still keeps its token away from the app while the sidecar can reach the API.
 */
function apiTokenVolume(): V1Volume {
  return {
    name: TOKEN_VOLUME,
    projected: {
      defaultMode: 0o444,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRY_SECONDS } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ],
    },
  };
}

/**
 * With service-account auth, Prometheus gets a token of its own: bound to the Prometheus side's audience, so
 * whoever runs that side cannot replay it against the API server as the sidecar. The kubelet rotates it; the
 * settings it returns carry its path, which the sidecar reads on every request.
 */
export function prometheusTokenVolume(
  sidecar: SidecarSettings,
): { volume: V1Volume; settings: SidecarSettings } | undefined {
  const prometheus = sidecar.prometheus;
  if (prometheus?.auth !== 'service-account' || !prometheus.tokenAudience) return undefined;
  return {
    volume: {
      name: PROMETHEUS_TOKEN_VOLUME,
      projected: {
        defaultMode: 0o444,
        sources: [
          {
            serviceAccountToken: {
              audience: prometheus.tokenAudience,
              path: 'token',
              expirationSeconds: TOKEN_EXPIRY_SECONDS,
            },
          },
        ],
      },
    },
    settings: { ...sidecar, prometheus: { ...prometheus, tokenFile: `${PROMETHEUS_TOKEN_MOUNT_PATH}/token` } },
  };
}

/**
 * The sidecar's memory settings, derived from its limit and measured on a real node (bench/README.md, "Memory
 * under load"). Node collects lazily and sizes its heap loosely: under load a sidecar grew until the limit killed
 * it. So both heap generations are capped: the old one at 40% of the limit (the rest is code, the young
 * generation, buffers and native memory), the young one's semi-spaces at 1/256 of the limit (1 MiB up to 511Mi
 * instead of V8's 16 MiB: short-lived garbage is collected sooner, at a small cost in scavenges). glibc keeps 2
 * malloc arenas instead of up to 8 per core, so what a burst allocated from other threads is given back
 * afterwards. Nothing here turns on Node's compile cache: it would land in the memory-backed /tmp, counted as the
 * pod's memory.
 */
export function heapLimitEnv(memoryLimit: string): V1EnvVar[] {
  const bytes = parseQuantity(memoryLimit);
  if (bytes === undefined || !Number.isFinite(bytes)) return [];
  const mebibytes = bytes / 2 ** 20;
  const oldSpace = Math.max(32, Math.floor(mebibytes * 0.4));
  const semiSpace = Math.min(16, Math.max(1, Math.floor(mebibytes / 256)));
  return [
    { name: 'NODE_OPTIONS', value: `--max-old-space-size=${oldSpace} --max-semi-space-size=${semiSpace}` },
    { name: 'MALLOC_ARENA_MAX', value: '2' },
  ];
}

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}
