/**
 * Self-signed TLS for the webhook, without cert-manager. Each round, on every replica: take part in the
 * election, let the leader bring the Secret and the caBundle up to date, then serve whatever pair the
 * Secret holds. Rounds run one after another; a failed API call is reported and the round after retries,
 * so a missing permission or an API server restart never stops the process.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InjectorMetrics } from '../metrics.ts';
import type { LoadedCertificate } from '../serving-certificate.ts';
import { createWebhookCaBundles } from './ca-bundle.ts';
import { createLeaderElection } from './lease.ts';
import { DEFAULT_VALIDITY, serviceDnsNames, type Validity } from './plan.ts';
import { reconcileCertificates } from './reconcile.ts';
import { createSecretStore, type StoredSecret } from './secret-store.ts';
import { createServingInstaller } from './serving-installer.ts';
import { watchFailureReport } from './watch-retry.ts';

export interface SelfSignedCertificatesOptions {
  readonly kubeConfig: KubeConfig;
  /** The injector's namespace: home of the Secret, the Lease and the Service. */
  readonly namespace: string;
  readonly secretName: string;
  /** The MutatingWebhookConfiguration whose caBundle the leader keeps. */
  readonly webhookName: string;
  readonly serviceName: string;
  readonly leaseName: string;
  /** This replica's name in the Lease (the pod name). */
  readonly identity: string;
  readonly logger: Logger;
  /** Time between rounds. Default 10 s. */
  readonly intervalMs?: number;
  /** How long a leader that stopped renewing keeps the Lease. Default 3 rounds, at least 15 s. */
  readonly leaseDurationSeconds?: number;
  readonly validity?: { readonly servingDays?: number; readonly caDays?: number };
  readonly onCertificate: (loaded: LoadedCertificate) => void;
  readonly onError?: (error: Error) => void;
  readonly metrics?: InjectorMetrics;
}

export interface SelfSignedCertificates {
  /** Resolves once a certificate was handed to onCertificate; rejects if stopped before that. */
  readonly ready: Promise<void>;
  isLeader(): boolean;
  /** Ends the rounds and gives the Lease up if held, so another replica takes over at its next round. */
  stop(): Promise<void>;
}

export function startSelfSignedCertificates(options: SelfSignedCertificatesOptions): SelfSignedCertificates {
  const logger = options.logger.child({ component: 'self-signed-tls' });
  const intervalMs = options.intervalMs ?? 10_000;
  const { election, secrets, context } = createParts(options, logger, intervalMs);
  const report = reporter(logger, intervalMs, options.onError);
  const ready = readySignal();
  const installer = createServingInstaller({
    onCertificate: (loaded) => {
      options.onCertificate(loaded);
      ready.mark();
    },
    onRefused: report,
    logger,
    metrics: options.metrics,
  });

  const state = { leading: false, everLed: false };
  const round = async () => {
    let nowLeading = false;
    try {
      nowLeading = await election.tryAcquireOrRenew();
    } catch (error) {
      report(error);
    }
    if (nowLeading !== state.leading) {
      logger.info(
        { identity: options.identity, lease: options.leaseName },
        nowLeading ? 'leading: this replica keeps the CA and the serving certificate' : 'no longer leading',
      );
    }
    state.leading = nowLeading;
    state.everLed ||= nowLeading;
    let secret: StoredSecret | undefined;
    if (state.leading) secret = await reconcileCertificates(context).catch((error: unknown) => void report(error));
    try {
      secret ??= await secrets.read();
      if (secret === undefined) logger.debug('no TLS Secret yet; waiting for the leader to create it');
      installer.offer(secret?.files);
    } catch (error) {
      report(error);
    }
  };

  // The leader installs what it wrote; the others install the leader's pair the moment the watch reports it,
  // not at their next round.
  const stopWatching = secrets.watch(
    (secret) => {
      if (!state.leading) installer.offer(secret?.files);
    },
    (error, failures) => {
      const report = watchFailureReport(error, failures, `Secret ${options.namespace}/${options.secretName}`);
      logger[report.level]({ err: error.message, failures }, report.message);
    },
  );
  const rounds = startRounds(round, intervalMs);

  let stopping: Promise<void> | undefined;
  return {
    ready: ready.promise,
    isLeader: () => !rounds.stopped() && election.isLeader(),
    stop() {
      stopping ??= (async () => {
        stopWatching();
        await rounds.stop();
        ready.abandon(new Error('self-signed TLS stopped before a certificate was installed'));
        if (!state.everLed) return;
        try {
          await election.release();
          logger.info({ lease: options.leaseName }, 'Lease released');
        } catch (error) {
          report(error);
        }
      })();
      return stopping;
    },
  };
}

/** The election, the Secret and the webhook configuration one manager keeps, and what a round reconciles. */
function createParts(options: SelfSignedCertificatesOptions, logger: Logger, intervalMs: number) {
  const validity: Validity = {
    servingDays: options.validity?.servingDays ?? DEFAULT_VALIDITY.servingDays,
    caDays: options.validity?.caDays ?? DEFAULT_VALIDITY.caDays,
  };
  const election = createLeaderElection({
    kubeConfig: options.kubeConfig,
    namespace: options.namespace,
    name: options.leaseName,
    identity: options.identity,
    leaseDurationSeconds: options.leaseDurationSeconds ?? Math.max(15, Math.ceil((3 * intervalMs) / 1000)),
  });
  const secrets = createSecretStore({
    kubeConfig: options.kubeConfig,
    namespace: options.namespace,
    name: options.secretName,
  });
  const webhooks = createWebhookCaBundles({ kubeConfig: options.kubeConfig, name: options.webhookName });
  const context = {
    secrets,
    webhooks,
    webhookName: options.webhookName,
    dnsNames: serviceDnsNames(options.serviceName, options.namespace),
    validity,
    authorityName: `podmcp webhook CA ${options.serviceName}.${options.namespace}`,
    logger,
  };
  return { election, secrets, context };
}

/** A failed step is logged and handed to onError; the next round retries it. */
function reporter(logger: Logger, intervalMs: number, onError: ((error: Error) => void) | undefined) {
  return (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    const code = (failure as { code?: unknown }).code;
    logger.error({ err: failure.message, code, retryInMs: intervalMs }, 'self-signed TLS round failed');
    onError?.(failure);
  };
}

/** `ready` for the caller: resolved by the first certificate, rejected if stopped before one. */
function readySignal(): { promise: Promise<void>; mark(): void; abandon(error: Error): void } {
  let mark: () => void = () => {};
  let abandon: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    mark = resolve;
    abandon = reject;
  });
  // Whoever awaits `ready` sees a rejection; nobody awaiting it must not crash the process.
  promise.catch(() => {});
  return { promise, mark, abandon };
}

/** Runs `round` now and then `intervalMs` after each one ends, until stopped; stop waits for a round running. */
function startRounds(round: () => Promise<void>, intervalMs: number): { stopped(): boolean; stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = round().finally(() => {
        if (!stopped) schedule(intervalMs);
      });
    }, delayMs);
    // The servers keep the process alive; a forgotten manager must not.
    timer.unref();
  };
  schedule(0);
  return {
    stopped: () => stopped,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
