/**
 * The leader's round: read the Secret and the webhook configuration, plan, and carry the plan out in the
 * one order that never leaves the cluster half-changed: both reads before any write, the Secret before the
 * caBundle (so the webhooks never advertise a CA the Secret does not hold), and nothing at all after a
 * conflicting write (the next round starts over from what the other writer left).
 */
import type { Logger } from 'pino';
import { KubernetesApiError } from './api-errors.ts';
import type { WebhookCaBundles } from './ca-bundle.ts';
import { carryOut } from './issue.ts';
import { planCaBundle, planSecret, type Validity } from './plan.ts';
import type { SecretStore, StoredSecret } from './secret-store.ts';

export interface ReconcileContext {
  readonly secrets: SecretStore;
  readonly webhooks: WebhookCaBundles;
  readonly webhookName: string;
  readonly dnsNames: readonly string[];
  readonly validity: Validity;
  readonly authorityName: string;
  readonly logger: Logger;
}

/** Returns the Secret as it stands after the round, or undefined when a concurrent write cut it short. */
export async function reconcileCertificates(context: ReconcileContext): Promise<StoredSecret | undefined> {
  const { secrets, webhooks, logger } = context;
  const [stored, trusts] = await Promise.all([secrets.read(), webhooks.read()]);

  const plan = planSecret({
    secret: stored?.files,
    // Without a configuration there is no caBundle to wait for; the missing configuration is reported below.
    webhooks: trusts ?? [],
    dnsNames: context.dnsNames,
    validity: context.validity,
    now: new Date(),
  });

  let current = stored;
  if (plan.kind !== 'keep') {
    logger.info({ change: plan.kind, reason: plan.reason }, 'updating the TLS Secret');
    const files = await carryOut(plan, stored?.files, context);
    const written = await secrets.write(files, stored);
    if (written === 'conflict') {
      logger.info('the TLS Secret changed while this round planned; starting over next round');
      return undefined;
    }
    current = written;
  }
  if (current === undefined) return undefined;

  if (trusts === undefined) {
    // The Secret is still kept current, so the webhook works as soon as the configuration is applied.
    throw new KubernetesApiError(
      `cannot publish the caBundle: MutatingWebhookConfiguration ${context.webhookName} does not exist`,
      404,
      undefined,
    );
  }
  const bundle = current.files['ca.crt'] ?? '';
  const drift = planCaBundle(bundle, trusts);
  if (drift.length > 0) {
    const result = await webhooks.publish(bundle, drift);
    const names = drift.map((entry) => entry.name);
    if (result === 'patched') logger.info({ webhooks: names }, 'caBundle published');
    else logger.info({ webhooks: names }, 'the webhook entries changed while publishing the caBundle; next round');
  }
  return current;
}
