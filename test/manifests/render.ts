/**
 * Renders kustomizations with `kubectl kustomize` and gives typed access to the objects the manifest tests
 * look at. Only the fields the tests read are typed; everything else passes through as unknown.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MANIFESTS = join(REPO, 'manifests');

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
}

export interface Volume {
  name: string;
  secret?: { secretName: string; optional?: boolean };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
  hostPath?: object;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector?: LabelSelector }[];
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
}

export interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: { metadata: { labels?: Record<string, string> }; spec: PodSpec };
  };
}

export interface Service extends K8sObject {
  spec: {
    selector?: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}

export interface PodDisruptionBudget extends K8sObject {
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: LabelSelector };
}

export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: unknown[]; ports?: { port: number | string }[] }[];
  };
}

export interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  clientConfig: {
    caBundle?: string;
    url?: string;
    service?: { name: string; namespace?: string; port?: number; path?: string };
  };
  rules: unknown[];
  matchPolicy?: string;
  failurePolicy?: string;
  sideEffects: string;
  timeoutSeconds?: number;
  reinvocationPolicy?: string;
  matchConditions?: { name: string; expression: string }[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

export interface MutatingWebhookConfiguration extends K8sObject {
  webhooks: Webhook[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface Role extends K8sObject {
  rules?: PolicyRule[];
}

export interface Binding extends K8sObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export interface ConfigMap extends K8sObject {
  data?: Record<string, string>;
}

export interface Certificate extends K8sObject {
  spec: {
    secretName: string;
    dnsNames?: string[];
    isCA?: boolean;
    issuerRef: { name: string; kind?: string; group?: string };
  };
}

export interface Issuer extends K8sObject {
  spec: { selfSigned?: object; ca?: { secretName: string } };
}

/** The objects of one build, with lookups that fail with a readable message. */
export class Rendered {
  readonly label: string;
  readonly objects: readonly K8sObject[];

  constructor(label: string, objects: readonly K8sObject[]) {
    this.label = label;
    this.objects = objects;
  }

  all<T extends K8sObject>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind) as T[];
  }

  one<T extends K8sObject>(kind: string, name?: string): T {
    const found = this.all<T>(kind).filter((o) => name === undefined || o.metadata.name === name);
    if (found.length !== 1) {
      const what = name === undefined ? kind : `${kind} ${name}`;
      throw new Error(`${this.label}: expected exactly one ${what}, found ${found.length}`);
    }
    return found[0] as T;
  }

  find<T extends K8sObject>(kind: string, name: string): T | undefined {
    return this.all<T>(kind).find((o) => o.metadata.name === name);
  }

  /** The whole build as text, for "this string must not appear anywhere" checks. */
  get text(): string {
    return JSON.stringify(this.objects);
  }
}

/** `kubectl kustomize <dir>`, parsed. */
export function render(dir: string): Rendered {
  const label = relative(REPO, dir) || '.';
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      maxBuffer: 32 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('kubectl is not on PATH; the manifest tests need kubectl >= 1.27 (kustomize v5)');
    }
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl kustomize ${label} failed:\n${stderr || (error as Error).message}`);
  }
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(output)) {
    if (document.errors.length > 0) throw new Error(`${label}: invalid YAML output: ${document.errors[0]?.message}`);
    const value = document.toJS() as K8sObject | null;
    if (value !== null) objects.push(value);
  }
  return new Rendered(label, objects);
}

/** Reads a kustomization.yaml as data. */
export function readKustomization(dir: string): Record<string, unknown> {
  return parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
}

/**
 * Temporary kustomizations inside the repository (kustomize resolves relative references, and a directory
 * inside the repository needs no --load-restrictor), removed by `cleanup`.
 */
export class Scratch {
  readonly root: string;
  private readonly parent = join(REPO, 'test', 'manifests', '.tmp');

  constructor() {
    mkdirSync(this.parent, { recursive: true });
    this.root = mkdtempSync(join(this.parent, 'overlay-'));
  }

  /** Writes `<root>/<name>/kustomization.yaml`; `paths` entries are absolute and made relative to it. */
  overlay(name: string, kustomization: (rel: (absolute: string) => string) => string): string {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const rel = (absolute: string) => relative(dir, resolve(absolute));
    writeFileSync(join(dir, 'kustomization.yaml'), kustomization(rel));
    return dir;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
    try {
      rmdirSync(this.parent); // only if no other run still uses it
    } catch {}
  }
}
