/**
 * Where a podmcp process finds its API server credentials, in kubectl's order: an explicit file; else the files
 * listed in $KUBECONFIG (merged, missing ones skipped); else ~/.kube/config; else, inside a pod, its
 * ServiceAccount. The CLI commands and the sidecar load through here and only word the errors their own way.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export type Env = Readonly<Record<string, string | undefined>>;

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type KubeConfigProblem = 'missing-file' | 'unreadable' | 'unknown-context';

/** A kubeconfig that was asked for but cannot be used; `problem` lets a caller pick its exit code. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
  readonly problem: KubeConfigProblem;

  constructor(problem: KubeConfigProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

export interface KubeConfigRequest {
  /** `--kubeconfig`: must exist. */
  readonly file?: string | undefined;
  /** `--context`: must be in the loaded kubeconfig. */
  readonly context?: string | undefined;
  readonly env: Env;
  /** Whether a pod's ServiceAccount counts when no kubeconfig file is found (default true). */
  readonly inCluster?: boolean;
  readonly serviceAccountDir?: string;
}

/** $KUBECONFIG's files that exist, else ~/.kube/config when it exists. */
export function kubeconfigFiles(env: Env): string[] {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '' && existsSync(file));
  if (listed.length > 0) return listed;
  const home = env.HOME || env.USERPROFILE || homedir();
  const fallback = home ? join(home, '.kube', 'config') : undefined;
  return fallback && existsSync(fallback) ? [fallback] : [];
}

/** The ServiceAccount token file of this pod, when running in one. */
export function inClusterTokenFile(env: Env, serviceAccountDir = SERVICE_ACCOUNT_DIR): string | undefined {
  const token = join(serviceAccountDir, 'token');
  return env.KUBERNETES_SERVICE_HOST && existsSync(token) ? token : undefined;
}

/**
 * In-cluster credentials from `env` and a token file (its CA beside it), read afresh on every request since the
 * kubelet rotates it. Built here rather than by client-node's loadFromCluster, which reads process.env and
 * fixed paths.
 */
export function inClusterKubeConfig(env: Env, tokenFile: string, user = 'podmcp'): KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'in-cluster', server, caFile: join(dirname(tokenFile), 'ca.crt'), skipTLSVerify: false },
    { name: user, authProvider: { name: 'tokenFile', config: { tokenFile } } },
  );
  return kubeConfig;
}

/**
 * Nothing configured anywhere: client-node's own last resort (what its loadFromDefault ends with), an API server
 * at http://localhost:8080 and no credentials. A process that must start anyway (the sidecar) keeps serving and
 * says on each call that the API server is unreachable; the CLI refuses instead.
 */
export function unconfiguredKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'cluster', server: 'http://localhost:8080', skipTLSVerify: false },
    { name: 'user' },
  );
  return kubeConfig;
}

/** The kubeconfig the request names, or undefined when there is none to find (offline, or a test). */
export function loadKubeConfig(request: KubeConfigRequest): KubeConfig | undefined {
  const kubeConfig = loadFiles(request);
  if (kubeConfig && request.context !== undefined) selectContext(kubeConfig, request.context);
  return kubeConfig;
}

function loadFiles(request: KubeConfigRequest): KubeConfig | undefined {
  const { file, env } = request;
  if (file !== undefined) {
    if (!existsSync(file)) throw new KubeConfigError('missing-file', `--kubeconfig ${file} does not exist`);
    return readFiles([file], `cannot read the kubeconfig ${file}`);
  }
  const files = kubeconfigFiles(env);
  if (files.length > 0) return readFiles(files, 'cannot read the kubeconfig');
  const token = request.inCluster === false ? undefined : inClusterTokenFile(env, request.serviceAccountDir);
  return token ? inClusterKubeConfig(env, token) : undefined;
}

function readFiles(files: readonly string[], what: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    const [first, ...rest] = files;
    if (first !== undefined) kubeConfig.loadFromFile(first);
    for (const path of rest) {
      const more = new KubeConfig();
      more.loadFromFile(path);
      kubeConfig.mergeConfig(more);
    }
  } catch (error) {
    throw new KubeConfigError('unreadable', `${what}: ${(error as Error).message}`);
  }
  return kubeConfig;
}

function selectContext(kubeConfig: KubeConfig, context: string): void {
  const known = kubeConfig.getContexts().map((entry) => entry.name);
  if (!known.includes(context)) {
    throw new KubeConfigError(
      'unknown-context',
      `--context ${JSON.stringify(context)} is not in the kubeconfig; its contexts: ${known.join(', ') || '(none)'}`,
    );
  }
  kubeConfig.setCurrentContext(context);
}
