/**
 * The injector process: configuration, cluster facts, TLS, the webhook and admin servers, Events, and a
 * graceful shutdown. Everything here is wiring; the decisions live in the pure modules it composes.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createAdminServer } from './admin-server.ts';
import type { AdmissionOutcome } from './admission.ts';
import { discoverClusterFacts } from './cluster-facts.ts';
import { defaultInjectorConfig, type InjectorConfig, parseInjectorConfig } from './config.ts';
import type { ClusterFacts } from './decide.ts';
import { createEventRecorder, type EventRecorder } from './events.ts';
import { createInjectorMetrics, type InjectorMetrics } from './metrics.ts';
import { type LoadedCertificate, loadCertificate, watchCertificate } from './serving-certificate.ts';
import { createWebhookServer, installCertificate } from './webhook-server.ts';

export interface CertificateFiles {
  readonly kind: 'files';
  readonly certFile: string;
  readonly keyFile: string;
}

/** A source of serving certificates that calls back with each new one (self-signed mode, tests). */
export interface CertificateSource {
  readonly kind: 'source';
  start(onCertificate: (certificate: LoadedCertificate) => void): { ready: Promise<void>; stop(): Promise<void> };
}

export interface WebhookRunOptions {
  readonly configFile?: string;
  readonly host?: string;
  readonly port: number;
  readonly adminHost?: string;
  readonly adminPort: number;
  readonly tls: CertificateFiles | CertificateSource;
  /** Absent: no Events, and cluster facts must come from the configuration (nativeSidecars always|never). */
  readonly kubeConfig?: KubeConfig;
  /** This injector pod's name, for Events and leader election. */
  readonly instance: string;
  readonly logger: Logger;
  /** Time between turning unready and closing the listener, so endpoints stop routing to this pod first. */
  readonly shutdownDelayMs?: number;
  readonly requestTimeoutMs?: number;
}

export interface RunningWebhook {
  readonly port: number;
  readonly adminPort: number;
  readonly metrics: InjectorMetrics;
  readonly events: EventRecorder | undefined;
  /** Resolves once the cluster facts are known (the listener is already up when runWebhook resolves). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

async function loadConfig(file: string | undefined): Promise<InjectorConfig> {
  if (!file) return defaultInjectorConfig();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the injector configuration ${file}: ${(error as Error).message}`);
  }
  return parseInjectorConfig(text, file);
}

function listen(server: import('node:net').Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** "fetch failed" alone helps nobody: follow the causes down to the socket error. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (
    let current = error, depth = 0;
    current && depth < 5;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ');
}

/** A wait that shutdown cuts short, so a retry loop never holds a stopping process open. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Asks the API server until it answers; the webhook stays unready (never wrong) meanwhile. */
async function clusterFactsWithRetry(
  config: InjectorConfig,
  kubeConfig: KubeConfig | undefined,
  logger: Logger,
  stopped: AbortSignal,
): Promise<ClusterFacts> {
  for (let attempt = 0, delay = 500; ; attempt++, delay = Math.min(delay * 2, 15_000)) {
    try {
      return await discoverClusterFacts(config, kubeConfig);
    } catch (error) {
      if (!kubeConfig || stopped.aborted) throw error;
      logger.error(
        { err: describeError(error), attempt, retryInMs: delay },
        'cannot reach the API server to learn its version; not ready until it answers',
      );
      await sleep(delay, stopped);
    }
  }
}

export async function runWebhook(options: WebhookRunOptions): Promise<RunningWebhook> {
  const { logger } = options;
  const config = await loadConfig(options.configFile);
  const metrics = createInjectorMetrics({ processMetrics: true });
  const events = options.kubeConfig
    ? createEventRecorder({
        kubeConfig: options.kubeConfig,
        logger,
        instance: options.instance,
        onDropped: () => logger.debug('event dropped by the rate limit'),
      })
    : undefined;

  // Read before anything listens: a bad certificate must fail start-up without leaving a server open.
  const initialFromFiles =
    options.tls.kind === 'files' ? await loadCertificate(options.tls.certFile, options.tls.keyFile) : undefined;

  let closing = false;
  const shutdown = new AbortController();
  let cluster: ClusterFacts | undefined;
  let certificate: LoadedCertificate | undefined;
  const admin = createAdminServer({
    ready: () => !closing && cluster !== undefined && certificate !== undefined,
    registry: metrics.registry,
  });
  const adminPort = await listen(admin, options.adminPort, options.adminHost ?? '0.0.0.0');

  let webhook: ReturnType<typeof createWebhookServer> | undefined;
  const install = (loaded: LoadedCertificate) => {
    certificate = loaded;
    metrics.certificateExpiry.set(loaded.notAfter.getTime() / 1000);
    if (webhook) installCertificate(webhook, loaded);
    logger.info({ notAfter: loaded.notAfter.toISOString() }, 'serving certificate installed');
  };

  let stopTls: () => Promise<void> = async () => {};
  let tlsReady: Promise<void>;
  const tls = options.tls;
  if (tls.kind === 'files') {
    const { certFile, keyFile } = tls;
    const initial = initialFromFiles as LoadedCertificate;
    install(initial);
    const watcher = watchCertificate(certFile, keyFile, initial, {
      onReload: (loaded) => {
        metrics.certificateReloads.inc({ result: 'ok' });
        install(loaded);
      },
      onError: (error) => {
        metrics.certificateReloads.inc({ result: 'error' });
        logger.warn({ err: error.message }, 'serving certificate not reloaded; keeping the current one');
      },
    });
    stopTls = async () => watcher.close();
    tlsReady = Promise.resolve();
  } else {
    const source = tls.start(install);
    stopTls = source.stop;
    tlsReady = source.ready;
  }

  const ready = (async () => {
    cluster = await clusterFactsWithRetry(config, options.kubeConfig, logger, shutdown.signal);
    logger.info({ nativeSidecars: cluster.nativeSidecars }, 'cluster facts known');
  })();
  ready.catch(() => {});

  // The listener needs a certificate; in self-signed mode the first one arrives from the API, and the admin
  // server (already up) reports unready until then.
  let server: ReturnType<typeof createWebhookServer>;
  let port: number;
  try {
    await tlsReady;
    if (!certificate) throw new Error('the certificate source reported ready without a certificate');
    server = createWebhookServer({
      config: () => config,
      // Read per request: until the API server has answered, "unknown" means native sidecars (1.29+).
      get cluster() {
        return cluster ?? { nativeSidecars: undefined };
      },
      logger,
      metrics,
      certificate,
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(events ? { onOutcome: (outcome: AdmissionOutcome) => events.record(outcome) } : {}),
    });
    webhook = server;
    port = await listen(server, options.port, options.host ?? '0.0.0.0');
  } catch (error) {
    // Nothing half-started survives a failed start: the caller gets the error and a process that can exit.
    shutdown.abort();
    await stopTls();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
    throw error;
  }
  logger.info({ port, adminPort }, 'webhook listening');

  return {
    port,
    adminPort,
    metrics,
    events,
    ready,
    async close() {
      if (closing) return;
      closing = true;
      shutdown.abort();
      logger.info({ delayMs: options.shutdownDelayMs ?? 0 }, 'shutting down: unready, draining');
      await sleep(options.shutdownDelayMs ?? 0);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await stopTls();
      await events?.flush();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
    },
  };
}
