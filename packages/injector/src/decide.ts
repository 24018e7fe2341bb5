/**
 * The admission decision for one pod, as a pure function: inject, skip or deny, with the reasons a user
 * reads in Events, logs, admission warnings and `podmcp inject --check`.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_PREFIX,
  annotationKey,
  isInjected,
  parseAnnotations,
  type ResolvedSettings,
  resolveSettings,
  SIDECAR_CONTAINER_NAME,
  SIDECAR_VOLUME_NAMES,
} from '@podmcp/core';
import type { ClusterFacts } from './cluster-facts.ts';
import { type InjectorConfig, imageAllowed, settingsDefaults } from './config.ts';

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
  | 'unsupported-os'
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

/** Why an opted-in pod cannot get the sidecar it asked for. */
interface Refusal {
  readonly reason: ReasonCode;
  readonly messages: string[];
}

/** What the refusal rules look at: the pod and what its annotations resolved to. */
interface Candidate {
  readonly pod: V1Pod;
  readonly settings: ResolvedSettings;
  readonly image: string;
  readonly config: InjectorConfig;
}

export function decide(pod: V1Pod, config: InjectorConfig, cluster: ClusterFacts): Decision {
  const annotations = pod.metadata?.annotations ?? {};
  const reading = readAnnotations(annotations, config);
  const parsed = reading.parsed;
  const warnings = parsed.warnings.map((warning) => warning.message);
  const inject = annotationKey('inject');

  if (!(inject in annotations)) {
    return skip('not-opted-in', [`the pod has no ${inject} annotation`], warnings);
  }
  if (parsed.values.inject === false) return skip('opted-out', [`${inject} is "false"`], warnings);
  if (isInjected(pod)) {
    return skip('already-injected', [`the pod already has the ${SIDECAR_CONTAINER_NAME} sidecar`], warnings);
  }
  if (parsed.errors.length > 0) {
    return deny({ reason: 'invalid-annotation', messages: parsed.errors.map((error) => error.message) }, warnings);
  }
  const resolution = reading.resolution();
  if (!resolution.ok) {
    return deny({ reason: 'invalid-annotation', messages: resolution.errors.map((error) => error.message) }, warnings);
  }
  const settings = resolution.settings;
  const image = settings.image ?? config.sidecar.image;
  const candidate: Candidate = { pod, settings, image, config };
  for (const rule of REFUSALS) {
    const refusal = rule(candidate);
    if (refusal) return deny(refusal, warnings);
  }

  const native = chooseNative(settings.nativeSidecar, config, cluster);
  if (native === 'unsupported') {
    const key = annotationKey('native-sidecar');
    const message = `${key} is "true" but this cluster does not run native sidecars (Kubernetes 1.29 or newer); set it to "auto" or "false"`;
    return deny({ reason: 'native-sidecar-unsupported', messages: [message] }, warnings);
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
    plan: reading.plan(settings, image, native, ownToken),
  };
}

/**
 * What one set of `podmcp.dev/` annotations reads as under one configuration. The pods of a workload carry the
 * same annotations, so the webhook parses (a schema per value) and resolves each distinct set once, and hands
 * out the same plan for it, rather than doing both on every admission. Results are shared: never mutated.
 */
interface AnnotationReading {
  readonly parsed: ReturnType<typeof parseAnnotations>;
  readonly resolution: () => ReturnType<typeof resolveSettings>;
  readonly plan: (settings: ResolvedSettings, image: string, native: boolean, ownToken: boolean) => InjectionPlan;
}

const READINGS = new WeakMap<InjectorConfig, Map<string, AnnotationReading>>();
// Bounded in count and in key size, so pods with ever-new annotation values cannot grow memory.
const MAX_READINGS = 256;
const MAX_KEY_CHARS = 4096;

function readAnnotations(annotations: Readonly<Record<string, string>>, config: InjectorConfig): AnnotationReading {
  // Length-prefixed, in iteration order (the order parseAnnotations reports in): two different sets never share a key.
  let key = '';
  for (const name of Object.keys(annotations)) {
    if (!name.startsWith(ANNOTATION_PREFIX)) continue;
    const value: unknown = annotations[name];
    // Not a string: a malformed request, read as it comes rather than given a key.
    if (typeof value !== 'string') return newReading(annotations, config);
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  if (key.length > MAX_KEY_CHARS) return newReading(annotations, config);
  let readings = READINGS.get(config);
  if (!readings) {
    readings = new Map();
    READINGS.set(config, readings);
  }
  let reading = readings.get(key);
  if (!reading) {
    if (readings.size >= MAX_READINGS) readings.clear();
    reading = newReading(annotations, config);
    readings.set(key, reading);
  }
  return reading;
}

function newReading(annotations: Readonly<Record<string, string>>, config: InjectorConfig): AnnotationReading {
  const parsed = parseAnnotations(annotations);
  let resolution: ReturnType<typeof resolveSettings> | undefined;
  const plans = new Map<string, InjectionPlan>();
  return {
    parsed,
    resolution: () => {
      resolution ??= resolveSettings(parsed.values, settingsDefaults(config));
      return resolution;
    },
    plan: (settings, image, native, ownToken) => {
      const key = `${native}/${ownToken}`;
      let plan = plans.get(key);
      if (!plan || plan.settings !== settings || plan.image !== image) {
        plan = { settings, image, native, ownToken };
        plans.set(key, plan);
      }
      return plan;
    },
  };
}

/** Checked in this order after the annotations resolve; the first that refuses decides. */
const REFUSALS: ReadonlyArray<(candidate: Candidate) => Refusal | undefined> = [
  exposedWithoutAudience,
  hostNetwork,
  notLinux,
  imageNotAllowed,
  ({ pod }) => refusal('name-conflict', findNameConflicts(pod)),
  ({ pod, settings }) => refusal('port-conflict', findPortConflicts(pod, settings)),
];

/**
 * The sidecar refuses to serve beyond loopback without knowing which callers' tokens to accept; saying so at
 * admission beats a sidecar that exits at start.
 */
function exposedWithoutAudience({ settings }: Candidate): Refusal | undefined {
  if (!settings.sidecar.expose || settings.sidecar.tokenAudience !== undefined) return undefined;
  return refusal('invalid-annotation', [
    `${annotationKey('expose')}: "true" needs ${annotationKey('token-audience')} too, so that remote callers must present a token issued for this sidecar`,
  ]);
}

function hostNetwork({ pod }: Candidate): Refusal | undefined {
  if (!pod.spec?.hostNetwork) return undefined;
  return refusal('host-network', [
    "the pod uses hostNetwork, so the sidecar's loopback-only endpoint would be the node's loopback; podmcp does not inject into host-network pods",
  ]);
}

/**
 * The sidecar is a Linux image with Linux-only security settings; the API server would refuse them on a pod
 * that declares another OS, with a message about fields the user never wrote. The opt-in is explicit, per pod
 * template, so the answer is a denial that says what to change (as for hostNetwork), not a silent skip.
 */
function notLinux({ pod }: Candidate): Refusal | undefined {
  const os = pod.spec?.os?.name;
  if (os === undefined || os === 'linux') return undefined;
  return refusal('unsupported-os', [
    `spec.os.name is ${JSON.stringify(os)}: the podmcp sidecar is a Linux container and cannot run in this pod; remove ${annotationKey('inject')} from its pod template`,
  ]);
}

function imageNotAllowed({ image, config }: Candidate): Refusal | undefined {
  if (imageAllowed(image, config)) return undefined;
  const allowed = [config.sidecar.image, ...config.allowedImages].join(', ');
  return refusal('image-not-allowed', [
    `${annotationKey('image')}: ${JSON.stringify(image)} is not allowed by the injector configuration; allowed: ${allowed}`,
  ]);
}

function refusal(reason: ReasonCode, messages: string[]): Refusal | undefined {
  return messages.length > 0 ? { reason, messages } : undefined;
}

function skip(reason: ReasonCode, messages: string[], warnings: string[]): Decision {
  return { action: 'skip', reason, messages, warnings };
}

function deny({ reason, messages }: Refusal, warnings: string[]): Decision {
  return { action: 'deny', reason, messages, warnings };
}

function allContainers(pod: V1Pod): Array<{ container: V1Container; kind: 'container' | 'init container' }> {
  return [
    ...(pod.spec?.initContainers ?? []).map((container) => ({ container, kind: 'init container' as const })),
    ...(pod.spec?.containers ?? []).map((container) => ({ container, kind: 'container' as const })),
  ];
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
