/**
 * The ways of running the injected sidecar that bench/sidecar/real-node.ts compares: each a copy of the injected
 * demo pod with other resources and runtime environment, and the demo pod itself as the first sidecar on the node.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { BUILTIN_DEFAULTS } from '@podmcp/core';
import { heapLimitEnv } from '../../packages/injector/src/sidecar.ts';
import { sidecarOf } from '../../test/node/demo-workload.ts';

export const NAMESPACE = 'podmcp-demo';
const PART_OF = 'podmcp-bench';

/** One way to run the injected sidecar: its resources, and environment set over what the injector rendered. */
export interface SidecarVariant {
  readonly name: string;
  readonly about: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
  /**
   * The runtime's memory settings, replacing every one the injector set (RUNTIME_ENV); `{}` is the container
   * exactly as injected.
   */
  readonly env: Readonly<Record<string, string>>;
}

/** The variables a variant's settings replace as a whole, so none of the injector's leaks into a variant. */
const RUNTIME_ENV = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE'];
const nodeOptionsFor = (limit: string) => heapLimitEnv(limit)[0]?.value ?? '';
const { memoryRequest, memoryLimit } = BUILTIN_DEFAULTS.resources;
/** The settings before this measurement: 160Mi request, 320Mi limit, the heap caps derived from 320Mi. */
const BEFORE = { memoryRequest: '160Mi', memoryLimit: '320Mi' } as const;
const BEFORE_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=5';

/** The candidates, by name; `--variants` picks among them (default: all). */
export const VARIANTS: readonly SidecarVariant[] = [
  {
    name: 'injected',
    about: `a copy of the demo pod as the injector renders it now (${memoryRequest}/${memoryLimit}, ${nodeOptionsFor(memoryLimit)})`,
    memoryRequest,
    memoryLimit,
    env: {},
  },
  { name: 'before', about: 'the settings before this run', ...BEFORE, env: { NODE_OPTIONS: BEFORE_NODE_OPTIONS } },
  {
    name: 'arena2',
    about: 'before + glibc MALLOC_ARENA_MAX=2',
    ...BEFORE,
    env: { NODE_OPTIONS: BEFORE_NODE_OPTIONS, MALLOC_ARENA_MAX: '2' },
  },
  {
    name: 'semi1',
    about: 'arena2 + semi-spaces of 1 MiB',
    ...BEFORE,
    env: { NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=1', MALLOC_ARENA_MAX: '2' },
  },
  {
    name: 'pool2',
    about: 'semi1 + 2 V8 platform threads',
    ...BEFORE,
    env: {
      NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=1 --v8-pool-size=2',
      MALLOC_ARENA_MAX: '2',
    },
  },
  {
    name: 'uv2',
    about: 'semi1 + 2 libuv threads',
    ...BEFORE,
    env: {
      NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=1',
      MALLOC_ARENA_MAX: '2',
      UV_THREADPOOL_SIZE: '2',
    },
  },
  {
    name: 'old64',
    about: 'semi1 with the old generation capped at 64 MiB',
    ...BEFORE,
    env: { NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1', MALLOC_ARENA_MAX: '2' },
  },
  {
    name: 'old64-arenas',
    about: 'old64 with as many malloc arenas as glibc makes',
    ...BEFORE,
    env: { NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=1' },
  },
];

/**
 * The demo's own pod, as injected: the first podmcp process on the node, so any of the image's files not already
 * cached would be charged to its cgroup when it reads them (containerd's unpack of the image caches them first,
 * charged to containerd). The copies start after it.
 */
export const FIRST_ON_NODE: SidecarVariant = {
  name: 'first',
  about: 'the injected demo pod itself, the first podmcp process on the node',
  memoryRequest,
  memoryLimit,
  env: {},
};

/**
 * A Deployment of one pod copied from an injected demo pod, with the variant's resources and environment. The
 * copy keeps the injector's annotations, so the webhook sees it as injected already and leaves it alone, and
 * `podmcp connect` finds its sidecar as it would an injected one.
 */
export function variantDeployment(injected: V1Pod, variant: SidecarVariant): V1Deployment {
  const name = `bench-${variant.name}`;
  const spec = structuredClone(injected.spec);
  if (!spec) throw new Error('the injected pod has no spec');
  delete spec.nodeName;
  const sidecar = sidecarOf({ spec });
  if (!sidecar) throw new Error('the injected pod has no podmcp sidecar');
  const replaced = Object.keys(variant.env).length === 0 ? [] : RUNTIME_ENV;
  const overridden = new Set([...replaced, ...Object.keys(variant.env)]);
  sidecar.env = [
    ...(sidecar.env ?? []).filter((variable) => !overridden.has(variable.name)),
    ...Object.entries(variant.env).map(([key, value]) => ({ name: key, value })),
  ];
  sidecar.resources = {
    ...sidecar.resources,
    requests: { ...sidecar.resources?.requests, memory: variant.memoryRequest },
    limits: { ...sidecar.resources?.limits, memory: variant.memoryLimit },
  };
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels, annotations: { ...injected.metadata?.annotations } }, spec },
    },
  };
}

/** A variant's settings as the report states them. */
export function settingsOf(variant: SidecarVariant): string {
  const env = Object.entries(variant.env).map(([key, value]) => `${key}=${value}`);
  return env.length === 0 ? '(as injected)' : env.map((entry) => `\`${entry}\``).join(' ');
}
