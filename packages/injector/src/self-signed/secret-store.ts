/**
 * The one TLS Secret: read, create, replace. Writes are optimistic: a replace carries the resourceVersion the
 * plan was made from, so when another writer got there first the write reports a conflict instead of
 * overwriting what it did not see.
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { httpStatusOf, INJECTOR_NAME, patientWatch, pooledApiClient, poolFor } from '@podmcp/core';
import { kubernetesCall } from './api-errors.ts';
import type { CompleteSecretFiles } from './issue.ts';
import { SECRET_KEYS, type SecretFiles } from './plan.ts';
import { retryDelayMs, SECRET_WATCH_RETRY, SECRET_WATCH_SECONDS, type WatchRetry } from './watch-retry.ts';

export interface StoredSecret {
  readonly files: SecretFiles;
  /** As read, so a replace keeps whatever else it carries (labels added by others, unknown keys, its type). */
  readonly object: V1Secret;
}

export interface SecretStore {
  /** Undefined when the Secret does not exist. */
  read(): Promise<StoredSecret | undefined>;
  /** Creates the Secret, or replaces `previous`; 'conflict' when someone else changed or created it meanwhile. */
  write(files: CompleteSecretFiles, previous: StoredSecret | undefined): Promise<StoredSecret | 'conflict'>;
  /**
   * Calls onChange with the Secret each time the API server reports it (as it is when the watch starts, then
   * every change; undefined once deleted), so a replica installs the leader's pair as soon as it is written.
   * The API server ends each watch after SECRET_WATCH_SECONDS and it starts again at once; a watch that fails
   * starts again after a wait that grows with each failure in a row (`retry`), and onFailure hears why and how
   * many in a row. Returns a stop function.
   */
  watch(
    onChange: (secret: StoredSecret | undefined) => void,
    onFailure: (error: Error, failures: number) => void,
    retry?: WatchRetry,
  ): () => void;
}

const LABELS = {
  'app.kubernetes.io/name': INJECTOR_NAME,
  'app.kubernetes.io/part-of': 'podmcp',
  'app.kubernetes.io/managed-by': INJECTOR_NAME,
};

export function createSecretStore(options: { kubeConfig: KubeConfig; namespace: string; name: string }): SecretStore {
  const core = pooledApiClient(options.kubeConfig, CoreV1Api);
  const { namespace, name } = options;
  const what = `Secret ${namespace}/${name}`;
  // Bookmarks keep a quiet watch alive (about one a minute); it may stay silent until the server ends it.
  const watcher = patientWatch(poolFor(options.kubeConfig).forWatch, (SECRET_WATCH_SECONDS + 30) * 1000);

  return {
    async read() {
      try {
        const object = await kubernetesCall(`get ${what}`, () => core.readNamespacedSecret({ name, namespace }));
        return { object, files: decodeSecretFiles(object) };
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async write(files, previous) {
      try {
        const object = previous
          ? await kubernetesCall(`update ${what}`, () =>
              core.replaceNamespacedSecret({ name, namespace, body: withFiles(previous.object, files) }),
            )
          : await kubernetesCall(`create ${what}`, () =>
              core.createNamespacedSecret({ namespace, body: newSecret(name, namespace, files) }),
            );
        return { object, files: decodeSecretFiles(object) };
      } catch (error) {
        if (httpStatusOf(error) === 409) return 'conflict';
        throw error;
      }
    },

    watch: (onChange, onFailure, retry = SECRET_WATCH_RETRY) =>
      watchSecret(watcher, { namespace, name }, onChange, onFailure, retry),
  };
}

/** The watch behind SecretStore.watch: restarted when the server ends it, after a growing wait when it fails. */
function watchSecret(
  watcher: ReturnType<typeof patientWatch>,
  { namespace, name }: { namespace: string; name: string },
  onChange: (secret: StoredSecret | undefined) => void,
  onFailure: (error: Error, failures: number) => void,
  retry: WatchRetry,
): () => void {
  let stopped = false;
  let current: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const restart = (error: unknown) => {
    if (stopped) return;
    if (error) {
      failures += 1;
      onFailure(error instanceof Error ? error : new Error(String(error)), failures);
    } else failures = 0;
    timer = setTimeout(start, retryDelayMs(failures, retry));
    // The servers keep the process alive; a forgotten watch must not.
    timer.unref();
  };
  const start = () => {
    if (stopped) return;
    // A field selector on the name is what RBAC's resourceNames allows to watch: this Secret and no other.
    watcher
      .watch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
        { fieldSelector: `metadata.name=${name}`, timeoutSeconds: SECRET_WATCH_SECONDS, allowWatchBookmarks: true },
        (type, object) => {
          // Anything from the API server, a bookmark included, is a watch that works.
          failures = 0;
          if (type === 'DELETED') onChange(undefined);
          else if (type === 'ADDED' || type === 'MODIFIED') {
            const secret = object as V1Secret;
            onChange({ object: secret, files: decodeSecretFiles(secret) });
          }
        },
        (error) => restart(error),
      )
      .then(
        (controller) => {
          current = controller;
          if (stopped) controller.abort();
        },
        (error) => restart(error ?? new Error('the watch did not start')),
      );
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    current?.abort();
  };
}

export function decodeSecretFiles(secret: V1Secret): SecretFiles {
  const files: Partial<Record<(typeof SECRET_KEYS)[number], string>> = {};
  for (const key of SECRET_KEYS) {
    const value = secret.data?.[key];
    if (value !== undefined) files[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return files;
}

function encodeFiles(files: CompleteSecretFiles): Record<string, string> {
  return Object.fromEntries(SECRET_KEYS.map((key) => [key, Buffer.from(files[key], 'utf8').toString('base64')]));
}

function newSecret(name: string, namespace: string, files: CompleteSecretFiles): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: LABELS },
    type: 'kubernetes.io/tls',
    data: encodeFiles(files),
  };
}

function withFiles(previous: V1Secret, files: CompleteSecretFiles): V1Secret {
  // metadata keeps its resourceVersion: that is what makes the replace conflict-safe.
  return { ...previous, data: { ...previous.data, ...encodeFiles(files) } };
}
