/**
 * The injector process: configuration, cluster facts, TLS, the webhook and admin servers, Events, and a
 * graceful shutdown. Everything here is wiring; the decisions live in the pure modules it composes.
 */
import { readFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { createProbeServer, listen } from '@podmcp/core';
import type { Logger } from 'pino';
import type { AdmissionOutcome } from './admission.ts';
import type { ClusterFacts } from './cluster-facts.ts';
import { discoverClusterFacts } from './cluster-facts.ts';
import { defaultInjectorConfig, type InjectorConfig, parseInjectorConfig } from './config.ts';
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

/** "fetch failed" alone helps nobody: follow the causes down to the socket error. */
function describeError(error: unknown): string {
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

/** Serving certificate from files: loaded now, reloaded when the files change (kubelet Secret updates). */
async function startCertificateFiles(
  files: CertificateFiles,
  install: (loaded: LoadedCertificate) => void,
  metrics: InjectorMetrics,
  logger: Logger,
): Promise<{ ready: Promise<void>; stop(): Promise<void> }> {
  const initial = await loadCertificate(files.certFile, files.keyFile);
  install(initial);
  const watcher = watchCertificate(files.certFile, files.keyFile, initial, {
    onReload: (loaded) => {
      metrics.certificateReloads.inc({ result: 'ok' });
      install(loaded);
    },
    onError: (error) => {
      metrics.certificateReloads.inc({ result: 'error' });
      logger.warn({ err: error.message }, 'serving certificate not reloaded; keeping the current one');
    },
  });
  return { ready: Promise.resolve(), stop: async () => watcher.close() };
}

/** What runWebhook holds while it runs, changed by the certificate source and the cluster-facts lookup. */
interface WebhookState {
  closing: boolean;
  cluster: ClusterFacts | undefined;
  certificate: LoadedCertificate | undefined;
  webhook: Server | undefined;
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

  const state: WebhookState = { closing: false, cluster: undefined, certificate: undefined, webhook: undefined };
  const shutdown = new AbortController();
  const install = (loaded: LoadedCertificate) => {
    state.certificate = loaded;
    metrics.certificateExpiry.set(loaded.notAfter.getTime() / 1000);
    if (state.webhook) installCertificate(state.webhook, loaded);
    logger.info({ notAfter: loaded.notAfter.toISOString() }, 'serving certificate installed');
  };
  // Files are read before anything listens: a bad certificate fails start-up with nothing left open.
  const tls =
    options.tls.kind === 'files'
      ? await startCertificateFiles(options.tls, install, metrics, logger)
      : options.tls.start(install);

  const admin = createProbeServer({
    ready: () => !state.closing && state.cluster !== undefined && state.certificate !== undefined,
    registry: metrics.registry,
  });
  const ready = (async () => {
    state.cluster = await clusterFactsWithRetry(config, options.kubeConfig, logger, shutdown.signal);
    logger.info({ nativeSidecars: state.cluster.nativeSidecars }, 'cluster facts known');
  })();
  ready.catch(() => {});

  let listening: { server: Server; port: number; adminPort: number };
  try {
    const adminPort = await listen(admin, options.adminPort, options.adminHost ?? '0.0.0.0');
    // The listener needs a certificate; in self-signed mode the first one arrives from the API, and the
    // admin server (already up) reports unready until then.
    await tls.ready;
    const server = startAdmission(options, config, state, { metrics, events });
    const port = await listen(server, options.port, options.host ?? '0.0.0.0');
    listening = { server, port, adminPort };
  } catch (error) {
    // Nothing half-started survives a failed start: the caller gets the error and a process that can exit.
    shutdown.abort();
    await tls.stop();
    if (admin.listening) admin.close();
    throw error;
  }
  const { server, port, adminPort } = listening;
  logger.info({ port, adminPort }, 'webhook listening');

  return {
    port,
    adminPort,
    metrics,
    events,
    ready,
    async close() {
      if (state.closing) return;
      state.closing = true;
      shutdown.abort();
      logger.info({ delayMs: options.shutdownDelayMs ?? 0 }, 'shutting down: unready, draining');
      await sleep(options.shutdownDelayMs ?? 0);
      // close() ends idle keep-alive connections itself and waits for in-flight requests.
      await closeServer(server);
      await tls.stop();
      await events?.flush();
      await closeServer(admin);
    },
  };
}

/** The admission server, on the certificate installed so far; it reads the cluster facts per request. */
function startAdmission(
  options: WebhookRunOptions,
  config: InjectorConfig,
  state: WebhookState,
  parts: { metrics: InjectorMetrics; events: EventRecorder | undefined },
): Server {
  if (!state.certificate) throw new Error('the certificate source reported ready without a certificate');
  const { events } = parts;
  state.webhook = createWebhookServer({
    config: () => config,
    // Read per request: until the API server has answered, "unknown" means native sidecars (1.29+).
    get cluster() {
      return state.cluster ?? { nativeSidecars: undefined };
    },
    logger: options.logger,
    metrics: parts.metrics,
    certificate: state.certificate,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(events ? { onOutcome: (outcome: AdmissionOutcome) => events.record(outcome) } : {}),
  });
  return state.webhook;
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
