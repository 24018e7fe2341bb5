/**
 * The admission decision for one pod, as a pure function: inject, skip or deny, with the reasons a user
 * reads in Events, logs, admission warnings and `podmcp inject --check`.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  annotationKey,
  parseAnnotations,
  type ResolvedSettings,
  resolveSettings,
  STATUS_ANNOTATION,
} from '@podmcp/core';
import { type InjectorConfig, imageAllowed, settingsDefaults } from './config.ts';
import { SIDECAR_CONTAINER_NAME, SIDECAR_VOLUME_NAMES } from './sidecar.ts';

/** Stable, low-cardinality reason codes: metric labels and Event reasons use them. */
export type ReasonCode =
  | 'injected'
  | 'not-opted-in'
  | 'opted-out'
  | 'already-injected'
  | 'invalid-annotation'
  | 'image-not-allowed'
  | 'port-conflict'
  | 'name-conflict'
  | 'host-network'
  | 'native-sidecar-unsupported';

export interface InjectionPlan {
  readonly settings: ResolvedSettings;
  readonly image: string;
  readonly native: boolean;
  /** The sidecar gets a projected token of its own (audience set, or the pod turns automount off). */
  readonly ownToken: boolean;
}

interface Outcome {
  readonly reason: ReasonCode;
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
}

export type Decision =
  | (Outcome & { readonly action: 'inject'; readonly plan: InjectionPlan })
  | (Outcome & { readonly action: 'skip' | 'deny' });

export interface ClusterFacts {
  /** Whether the API server runs native sidecars (Kubernetes ≥ 1.29); undefined when unknown (offline). */
  readonly nativeSidecars: boolean | undefined;
}

export function decide(pod: V1Pod, config: InjectorConfig, cluster: ClusterFacts): Decision {
  const annotations = pod.metadata?.annotations ?? {};
  const parsed = parseAnnotations(annotations);
  const warnings = parsed.warnings.map((warning) => warning.message);
  const inject = annotationKey('inject');

  if (!(inject in annotations)) {
    return skip('not-opted-in', [`the pod has no ${inject} annotation`], warnings);
  }
  if (parsed.values.inject === false) {
    return skip('opted-out', [`${inject} is "false"`], warnings);
  }
  if (isInjected(pod)) {
    return skip('already-injected', [`the pod already has the ${SIDECAR_CONTAINER_NAME} sidecar`], warnings);
  }
  if (parsed.errors.length > 0) {
    return deny(
      'invalid-annotation',
      parsed.errors.map((error) => error.message),
      warnings,
    );
  }
  const resolution = resolveSettings(parsed.values, settingsDefaults(config));
  if (!resolution.ok) {
    return deny(
      'invalid-annotation',
      resolution.errors.map((error) => error.message),
      warnings,
    );
  }
  const settings = resolution.settings;

  // The sidecar refuses to serve beyond loopback without knowing which callers' tokens to accept; saying so at
  // admission beats a sidecar that exits at start.
  if (settings.sidecar.expose && settings.sidecar.tokenAudience === undefined) {
    return deny(
      'invalid-annotation',
      [
        `${annotationKey('expose')}: "true" needs ${annotationKey('token-audience')} too, so that remote callers must present a token issued for this sidecar`,
      ],
      warnings,
    );
  }

  if (pod.spec?.hostNetwork) {
    return deny(
      'host-network',
      [
        "the pod uses hostNetwork, so the sidecar's loopback-only endpoint would be the node's loopback; podmcp does not inject into host-network pods",
      ],
      warnings,
    );
  }

  const image = settings.image ?? config.sidecar.image;
  if (!imageAllowed(image, config)) {
    const allowed = [config.sidecar.image, ...config.allowedImages].join(', ');
    return deny(
      'image-not-allowed',
      [
        `${annotationKey('image')}: ${JSON.stringify(image)} is not allowed by the injector configuration; allowed: ${allowed}`,
      ],
      warnings,
    );
  }

  const nameConflicts = findNameConflicts(pod);
  if (nameConflicts.length > 0) return deny('name-conflict', nameConflicts, warnings);

  const portConflicts = findPortConflicts(pod, settings);
  if (portConflicts.length > 0) return deny('port-conflict', portConflicts, warnings);

  const native = chooseNative(settings.nativeSidecar, config, cluster);
  if (native === 'unsupported') {
    return deny(
      'native-sidecar-unsupported',
      [
        `${annotationKey('native-sidecar')} is "true" but this cluster does not run native sidecars (Kubernetes 1.29 or newer); set it to "auto" or "false"`,
      ],
      warnings,
    );
  }
  if (!native && ownedByJob(pod)) {
    warnings.push(
      'the podmcp sidecar is a regular container here, so this Job pod will not complete while it runs; native sidecars (Kubernetes 1.29+) avoid this',
    );
  }

  // The sidecar needs an API token of its own only where the app turned automount off. It is always for the API
  // server's audience: the API server rejects any other (token-audience is about callers' tokens, not this one).
  const ownToken = pod.spec?.automountServiceAccountToken === false;
  return {
    action: 'inject',
    reason: 'injected',
    messages: [
      `injecting ${image} as a ${native ? 'native sidecar' : 'regular container'} in ${settings.sidecar.mode} mode`,
    ],
    warnings,
    plan: { settings, image, native, ownToken },
  };
}

function skip(reason: ReasonCode, messages: string[], warnings: string[]): Decision {
  return { action: 'skip', reason, messages, warnings };
}

function deny(reason: ReasonCode, messages: string[], warnings: string[]): Decision {
  return { action: 'deny', reason, messages, warnings };
}

function allContainers(pod: V1Pod): Array<{ container: V1Container; kind: 'container' | 'init container' }> {
  return [
    ...(pod.spec?.initContainers ?? []).map((container) => ({ container, kind: 'init container' as const })),
    ...(pod.spec?.containers ?? []).map((container) => ({ container, kind: 'container' as const })),
  ];
}

/**
 * Injected means our status annotation and our container are both there; the status alone (e.g. copied by
 * hand) would otherwise hide a missing sidecar. This is what makes reinvocation a no-op.
 */
export function isInjected(pod: V1Pod): boolean {
  const hasStatus = pod.metadata?.annotations?.[STATUS_ANNOTATION] !== undefined;
  return hasStatus && allContainers(pod).some(({ container }) => container.name === SIDECAR_CONTAINER_NAME);
}

function findNameConflicts(pod: V1Pod): string[] {
  const conflicts: string[] = [];
  for (const { container, kind } of allContainers(pod)) {
    if (container.name === SIDECAR_CONTAINER_NAME) {
      conflicts.push(
        `the pod already has ${kind === 'init container' ? 'an' : 'a'} ${kind} named "${SIDECAR_CONTAINER_NAME}" that podmcp did not inject; rename it`,
      );
    }
  }
  for (const volume of pod.spec?.volumes ?? []) {
    if ((SIDECAR_VOLUME_NAMES as readonly string[]).includes(volume.name)) {
      conflicts.push(`the pod already has a volume named "${volume.name}", which podmcp needs; rename it`);
    }
  }
  return conflicts;
}

function findPortConflicts(pod: V1Pod, settings: ResolvedSettings): string[] {
  const sidecarPorts: Array<[string, number]> = [
    [annotationKey('port'), settings.sidecar.port],
    [annotationKey('health-port'), settings.sidecar.healthPort],
  ];
  const conflicts: string[] = [];
  // Containers share the pod's network namespace, so any declared port of any container collides.
  for (const { container, kind } of allContainers(pod)) {
    for (const declared of container.ports ?? []) {
      for (const [key, port] of sidecarPorts) {
        if (declared.containerPort === port) {
          const portName = declared.name ? ` (${declared.name})` : '';
          conflicts.push(
            `${key}: ${port} clashes with containerPort ${port}${portName} of ${kind} "${container.name}"; set ${key} to a free port`,
          );
        }
      }
    }
  }
  for (const [appKey, appPort] of [
    [annotationKey('app-metrics-port'), settings.sidecar.appMetrics?.port],
    [annotationKey('app-health-port'), settings.sidecar.appHealth?.port],
  ] as const) {
    for (const [key, port] of sidecarPorts) {
      if (appPort === port) conflicts.push(`${appKey}: ${appPort} is the sidecar's own ${key}; point it at the app`);
    }
  }
  return conflicts;
}

function chooseNative(
  requested: ResolvedSettings['nativeSidecar'],
  config: InjectorConfig,
  cluster: ClusterFacts,
): boolean | 'unsupported' {
  if (requested === 'false') return false;
  if (requested === 'true') return cluster.nativeSidecars === false ? 'unsupported' : true;
  if (config.nativeSidecars === 'always') return true;
  if (config.nativeSidecars === 'never') return false;
  return cluster.nativeSidecars ?? true;
}

function ownedByJob(pod: V1Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((owner) => owner.kind === 'Job');
}
