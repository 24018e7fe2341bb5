/** Helpers every suite that talks to the test control plane shares: creating objects, waiting, minting tokens. */
import { CoreV1Api, type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';

export async function createAll(kubeConfig: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const object of objects) await client.create(object);
}

/**
 * Polls until `probe` gives a value other than undefined or false. A probe that throws is retried too (the
 * object may not exist yet); the last error is part of the timeout message.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A token for the API server's own audience, as a pod's projected token would be. */
export async function serviceAccountToken(kubeConfig: KubeConfig, namespace: string, name: string): Promise<string> {
  const minted = await kubeConfig
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({ namespace, name, body: { spec: { expirationSeconds: 3600 } } });
  const token = minted.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

/** The message of a rejected API call, whatever shape the client gave it. */
export function apiErrorMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return (error as Error).message;
}
