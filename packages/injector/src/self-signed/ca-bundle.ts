/**
 * The caBundle of our MutatingWebhookConfiguration: read every entry's, and write ours into the entries that
 * differ, touching nothing else. The JSON Patch tests each entry's name at the index it writes, so if the
 * list changed since it was read (an apply reordered or removed entries), the patch fails as a whole instead
 * of writing a CA into the wrong webhook.
 */
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { httpStatusOf, pooledApiClient } from '@podmcp/core';
import { kubernetesCall } from './api-errors.ts';
import type { CaBundleDrift, WebhookTrust } from './plan.ts';

export interface WebhookCaBundles {
  /** Every webhook entry with its caBundle as PEM text; undefined when the configuration does not exist. */
  read(): Promise<WebhookTrust[] | undefined>;
  /** 'changed' when the entries moved since they were read: nothing was written, read again next time. */
  publish(bundle: string, drift: readonly CaBundleDrift[]): Promise<'patched' | 'changed'>;
}

export type JsonPatchOperation =
  | { readonly op: 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'add'; readonly path: string; readonly value: unknown };

export function caBundlePatch(bundle: string, drift: readonly CaBundleDrift[]): JsonPatchOperation[] {
  const encoded = Buffer.from(bundle, 'utf8').toString('base64');
  return drift.flatMap(({ index, name }) => [
    { op: 'test' as const, path: `/webhooks/${index}/name`, value: name },
    // `add` replaces an existing member and creates a missing one, so one op serves both cases.
    { op: 'add' as const, path: `/webhooks/${index}/clientConfig/caBundle`, value: encoded },
  ]);
}

export function webhookTrusts(configuration: V1MutatingWebhookConfiguration): WebhookTrust[] {
  return (configuration.webhooks ?? []).map((webhook) => ({
    name: webhook.name,
    caBundle:
      webhook.clientConfig.caBundle === undefined
        ? undefined
        : Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8'),
  }));
}

export function createWebhookCaBundles(options: { kubeConfig: KubeConfig; name: string }): WebhookCaBundles {
  const admission = pooledApiClient(options.kubeConfig, AdmissionregistrationV1Api);
  const { name } = options;
  const what = `MutatingWebhookConfiguration ${name}`;
  const asJsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

  const read = async (): Promise<WebhookTrust[] | undefined> => {
    try {
      const configuration = await kubernetesCall(`get ${what}`, () =>
        admission.readMutatingWebhookConfiguration({ name }),
      );
      return webhookTrusts(configuration);
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  };

  return {
    read,

    async publish(bundle, drift) {
      if (drift.length === 0) return 'patched';
      const body = caBundlePatch(bundle, drift);
      try {
        await kubernetesCall(`patch the caBundle of ${what}`, () =>
          admission.patchMutatingWebhookConfiguration({ name, body }, asJsonPatch),
        );
        return 'patched';
      } catch (error) {
        // A failed `test` op answers 422 with no detail, as a genuinely invalid patch would; the entries tell
        // the two apart.
        if (httpStatusOf(error) !== 422) throw error;
        const now = await read();
        const moved = drift.some((entry) => now?.[entry.index]?.name !== entry.name);
        if (moved) return 'changed';
        throw error;
      }
    },
  };
}
