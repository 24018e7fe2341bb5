/**
 * How the sidecar reaches the API server and which namespace it serves. Inside a pod: the API-audience token
 * the injector mounted for it (or the pod's own service-account token) and the pod's namespace. Outside a
 * cluster (`podmcp serve` on a laptop): the current kubeconfig context and its namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  IDENTITY_ENV,
  inClusterKubeConfig,
  inClusterTokenFile,
  loadKubeConfig,
  SERVICE_ACCOUNT_DIR,
  TOKEN_FILE_ENV,
  unconfiguredKubeConfig,
} from '@podmcp/core';

export interface Connection {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Where the namespace came from, for the startup log line. */
  readonly namespaceSource: string;
  /** The token file the sidecar authenticates with, if any, so its value can be kept out of every answer. */
  readonly tokenFile?: string | undefined;
}

export interface ConnectionOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly namespace?: string | undefined;
  /** An explicit kubeconfig (tests, `--kubeconfig`); otherwise the environment decides. */
  readonly kubeConfig?: KubeConfig | undefined;
  readonly serviceAccountDir?: string;
}

export function resolveConnection(options: ConnectionOptions): Connection {
  const { env } = options;
  const serviceAccountDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  let kubeConfig = options.kubeConfig;
  let tokenFile: string | undefined;
  if (!kubeConfig) {
    // The token the injector mounted for the sidecar, else the pod's own; both have the CA next to them.
    const token = env[TOKEN_FILE_ENV] || inClusterTokenFile(env, serviceAccountDir);
    if (token && env.KUBERNETES_SERVICE_HOST) {
      tokenFile = token;
      kubeConfig = inClusterKubeConfig(env, token, 'podmcp-sidecar');
    } else {
      kubeConfig = loadKubeConfig({ env, inCluster: false }) ?? unconfiguredKubeConfig();
    }
  }
  const fromFlag = options.namespace;
  if (fromFlag) return { kubeConfig, namespace: fromFlag, namespaceSource: '--namespace', tokenFile };
  const fromEnv = env[IDENTITY_ENV.podNamespace];
  if (fromEnv) return { kubeConfig, namespace: fromEnv, namespaceSource: IDENTITY_ENV.podNamespace, tokenFile };
  const namespaceFile = join(serviceAccountDir, 'namespace');
  if (existsSync(namespaceFile)) {
    const fromFile = readFileSync(namespaceFile, 'utf8').trim();
    if (fromFile) return { kubeConfig, namespace: fromFile, namespaceSource: namespaceFile, tokenFile };
  }
  const fromContext = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  if (fromContext) return { kubeConfig, namespace: fromContext, namespaceSource: 'kubeconfig context', tokenFile };
  return { kubeConfig, namespace: 'default', namespaceSource: 'default (no namespace configured)', tokenFile };
}
