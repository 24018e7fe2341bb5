/**
 * The sidecar process: settings from the PODMCP_* environment (the contract the injector writes, decoded by
 * @podmcp/core) with flags on top, the connection to the API server, the MCP transport (stdio or Streamable
 * HTTP), the health server, and a graceful stop. Everything here is wiring; the MCP gate, the tools and the
 * namespace lock live in the modules it composes.
 *
 * Logs are JSON lines on stderr, always: in stdio mode stdout carries the protocol and nothing else.
 * An API server that cannot be reached at start-up does not stop the sidecar: it logs a warning and serves,
 * and tools answer that the API server is unreachable until it is back.
 *
 * Remote callers are authenticated (TokenReview) and authorized (SubjectAccessReview on tools.podmcp.dev)
 * when PODMCP_TOKEN_AUDIENCE is set; an HTTP listener beyond loopback without it refuses to start.
 *
 * Start-up loads only what this run serves: the HTTP edge (express, the SDK's Streamable HTTP transport) only
 * for HTTP, auth/ only when a token audience is set, the Prometheus client only when a health server serves
 * /metrics. The image's bundle splits at these import()s, so a stdio sidecar never parses the rest.
 */
import type { Readable, Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  decodeSidecarEnv,
  IDENTITY_ENV,
  KubeConfigError,
  loadKubeConfig as loadCredentials,
  type SidecarSettings,
} from '@podmcp/core';
import { type Logger, pino } from 'pino';
import type { HttpAuth } from './auth/http-authenticator.ts';
import { type RunningHealthServer, startHealthServer } from './health-server.ts';
import { type Connection, resolveConnection } from './kube/connection.ts';
import { describeKubeError } from './kube/errors.ts';
import type { NamespacedKube } from './kube/namespaced-kube.ts';
import type { SidecarMetrics } from './metrics.ts';
import type { ObjectRef } from './self.ts';
import { createSidecar, type Sidecar } from './sidecar.ts';
import type { Authenticate, HttpTransportOptions, RunningHttpTransport, ServerSource } from './transport/http.ts';
import { type RunningStdioTransport, startStdioTransport } from './transport/stdio.ts';

const LOOPBACK_BIND = new Set(['127.0.0.1', 'localhost', '::1']);

export type TransportKind = 'stdio' | 'http';
export const TRANSPORTS: readonly TransportKind[] = ['stdio', 'http'];

export interface SidecarRunOptions {
  /** The process environment: PODMCP_* settings, identity (PODMCP_POD_*), KUBECONFIG, in-cluster variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: http when running injected (PODMCP_POD_NAME is set), stdio otherwise. */
  readonly transport?: TransportKind | undefined;
  /** Overrides PODMCP_POD_NAMESPACE and every other source of the namespace. */
  readonly namespace?: string | undefined;
  /** A kubeconfig file instead of the injected token, in-cluster credentials or $KUBECONFIG. */
  readonly kubeconfig?: string | undefined;
  /** A context of that kubeconfig (or of the default one) instead of its current context. */
  readonly context?: string | undefined;
  /** The pod "self" means; default PODMCP_POD_NAME. */
  readonly podName?: string | undefined;
  /** Outside a pod: the workload "self" means. */
  readonly workload?: ObjectRef | undefined;
  /** MCP bind address; default 127.0.0.1, or the pod IP (else 0.0.0.0) when PODMCP_EXPOSE is true. */
  readonly host?: string | undefined;
  /** Overrides PODMCP_PORT; 0 picks a free port (logged in the "listening" line). */
  readonly port?: number | undefined;
  /** Overrides PODMCP_HEALTH_PORT. In stdio mode the health server runs only when this is given. */
  readonly healthPort?: number | undefined;
  /** Overrides PODMCP_TOKEN_AUDIENCE: remote callers' bearer tokens must be issued for this audience. */
  readonly tokenAudience?: string | undefined;
  /** Extra names accepted in Host and Origin headers (a Service name when exposed). */
  readonly allowedHosts?: readonly string[] | undefined;
  /**
   * The HTTP authentication seam. Default: bearer tokens for PODMCP_TOKEN_AUDIENCE when it is set, else the
   * caller is the peer address (loopback only).
   */
  readonly authenticate?: Authenticate | undefined;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** How long a stop waits for requests in flight (default 25 s: longer than a tool's own deadline). */
  readonly drainMs?: number | undefined;
  /** Default: a JSON logger on `stderr` at PODMCP_LOG_LEVEL. */
  readonly logger?: Logger | undefined;
}

/** The settings or flags are wrong; nothing was started. The message names the variable or flag. */
export class SidecarConfigError extends Error {
  override readonly name = 'SidecarConfigError';
}

/** Start-up failed for a reason the user can fix (an unreadable kubeconfig, a port in use). */
export class SidecarStartError extends Error {
  override readonly name = 'SidecarStartError';
}

export interface RunningSidecar {
  readonly transport: TransportKind;
  readonly namespace: string;
  readonly settings: SidecarSettings;
  readonly sidecar: Sidecar;
  /** Undefined when no health server serves /metrics (stdio without --health-port): nothing would read them. */
  readonly metrics: SidecarMetrics | undefined;
  readonly logger: Logger;
  /** HTTP only. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Undefined when no health server runs (stdio without --health-port). */
  readonly healthPort: number | undefined;
  /** Serving MCP and not stopping: what /readyz answers. */
  ready(): boolean;
  /** Resolves once stopped: by close(), or in stdio mode when the client closed stdin. */
  readonly stopped: Promise<void>;
  close(reason?: string): Promise<void>;
}

/** Resolves the effective configuration; throws SidecarConfigError naming what is wrong. Pure but for files. */
export function planSidecar(options: Omit<SidecarRunOptions, 'stdin' | 'stdout' | 'stderr' | 'logger'>) {
  const { env } = options;
  const decoded = decodeSidecarEnv(env);
  if (!decoded.ok) throw new SidecarConfigError(decoded.errors.join('\n'));
  const settings: SidecarSettings = {
    ...decoded.settings,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.healthPort === undefined ? {} : { healthPort: options.healthPort }),
    ...(options.tokenAudience === undefined ? {} : { tokenAudience: options.tokenAudience }),
  };
  if (settings.port !== 0 && settings.port === settings.healthPort) {
    throw new SidecarConfigError(
      `the MCP port and the health port are both ${settings.port} (--port/PODMCP_PORT, --health-port/PODMCP_HEALTH_PORT); they must differ`,
    );
  }
  const injected = Boolean(env[IDENTITY_ENV.podName]);
  const transport = options.transport ?? (injected ? 'http' : 'stdio');
  const podIp = env[IDENTITY_ENV.podIp] || undefined;
  const host = options.host ?? (settings.expose ? (podIp ?? '0.0.0.0') : '127.0.0.1');
  // Reachable beyond loopback (PODMCP_EXPOSE, or a --host that is not loopback): callers may name the pod IP.
  const exposed = !LOOPBACK_BIND.has(host.replace(/^\[(.*)\]$/, '$1'));
  const allowedHosts = [...(options.allowedHosts ?? []), ...(exposed && podIp ? [podIp] : [])];
  // In a pod the kubelet probes the pod IP; on a workstation nothing outside needs the probes.
  const healthHost = injected ? '0.0.0.0' : '127.0.0.1';
  const health = transport === 'http' || options.healthPort !== undefined;
  return {
    settings,
    transport,
    host,
    exposed,
    allowedHosts,
    health: health ? { host: healthHost, port: settings.healthPort } : undefined,
    podName: options.podName ?? (env[IDENTITY_ENV.podName] || undefined),
  };
}

/**
 * --kubeconfig and --context through core's loader, or undefined to let resolveConnection pick (token file,
 * in-cluster, default). A kubeconfig that is missing or lacks the context is a configuration error; one that
 * cannot be read is a start-up failure.
 */
export function loadKubeConfig(
  file: string | undefined,
  context: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): KubeConfig | undefined {
  if (!file && !context) return undefined;
  let config: KubeConfig | undefined;
  try {
    // --context alone: the kubeconfig kubectl would use ($KUBECONFIG, else ~/.kube/config), never the pod's.
    config = loadCredentials({ file: file || undefined, context: context || undefined, env, inCluster: false });
  } catch (error) {
    if (!(error instanceof KubeConfigError)) throw error;
    throw error.problem === 'unreadable' ? new SidecarStartError(error.message) : new SidecarConfigError(error.message);
  }
  if (!config) throw new SidecarConfigError('--context needs a kubeconfig: set --kubeconfig or $KUBECONFIG');
  return config;
}

/**
 * The security default: an MCP port reachable beyond loopback must authenticate its callers. Throws a
 * SidecarConfigError saying how, for an HTTP plan that is exposed with neither a token audience nor an
 * authenticate() of the embedder's.
 */
export function checkExposure(
  plan: Pick<ReturnType<typeof planSidecar>, 'transport' | 'exposed' | 'host' | 'settings'>,
  authenticate?: Authenticate,
): void {
  if (plan.transport !== 'http' || !plan.exposed || plan.settings.tokenAudience || authenticate) return;
  throw new SidecarConfigError(
    `the MCP endpoint would listen on ${plan.host}, beyond loopback, without authentication: set PODMCP_TOKEN_AUDIENCE (the podmcp.dev/token-audience annotation) so callers must bring a token for that audience, or bind 127.0.0.1 and reach it with kubectl port-forward`,
  );
}

export async function runSidecar(options: SidecarRunOptions): Promise<RunningSidecar> {
  const plan = planSidecar(options);
  const { settings } = plan;
  checkExposure(plan, options.authenticate);
  const logger =
    options.logger ??
    pino({ level: settings.logLevel, base: { component: 'podmcp-sidecar' } }, options.stderr as NodeJS.WritableStream);
  const connection = connectToApiServer(options);
  const metrics = plan.health
    ? (await import('./metrics.ts')).createSidecarMetrics({ processMetrics: true })
    : undefined;
  const sidecar = assembleSidecar(plan, options, connection, logger, metrics);
  const auth = await httpAuthFor(plan, options, sidecar, connection, logger);
  const state = { serving: false, stopping: false };
  const ready = () => state.serving && !state.stopping;
  const serving = await startServing(plan, options, {
    source: auth ? auth.restrict(sidecar) : sidecar,
    auth,
    logger,
    ready,
    metrics,
  });
  state.serving = true;
  logListening(plan, options, serving, { auth, connection, sidecar, logger });
  const probe = probeApiServer(sidecar.services.kube, logger);
  // No drainMs: each transport waits its own default (25 s, longer than a tool's own deadline).
  const { stopped, close } = stopper(serving, logger, options.drainMs, {
    unready: () => {
      state.stopping = true;
    },
    closed: () => probe.cancel(),
  });
  void serving.stdio?.closed.then(() => close('stdin closed'));

  return {
    transport: plan.transport,
    namespace: connection.namespace,
    settings,
    sidecar,
    metrics,
    logger,
    url: serving.http?.url,
    port: serving.http?.port,
    healthPort: serving.health?.port,
    ready,
    stopped,
    close,
  };
}

type Plan = ReturnType<typeof planSidecar>;

/** The API server's address, credentials and namespace; a start-up failure the user can fix when unusable. */
function connectToApiServer(options: SidecarRunOptions): Connection {
  const kubeConfig = loadKubeConfig(options.kubeconfig, options.context, options.env);
  try {
    return resolveConnection({ env: options.env, namespace: options.namespace, kubeConfig });
  } catch (error) {
    throw new SidecarStartError(`cannot load API server credentials: ${(error as Error).message}`);
  }
}

function assembleSidecar(
  plan: Plan,
  options: SidecarRunOptions,
  connection: Connection,
  logger: Logger,
  metrics: SidecarMetrics | undefined,
): Sidecar {
  try {
    return createSidecar({
      settings: plan.settings,
      connection,
      logger,
      podName: plan.podName,
      workload: options.workload,
      observeRequest: metrics?.observeRequest,
      // Every call is counted where it is audited: the same records, so the two cannot disagree.
      wrapAudit: metrics?.measureAudit,
    });
  } catch (error) {
    throw new SidecarStartError((error as Error).message);
  }
}

/** Bearer tokens for the audience, unless the embedder brought its own authenticate() or there is no audience. */
async function httpAuthFor(
  plan: Plan,
  options: SidecarRunOptions,
  sidecar: Sidecar,
  connection: Connection,
  logger: Logger,
): Promise<HttpAuth | undefined> {
  const audience = plan.settings.tokenAudience;
  if (plan.transport !== 'http' || !audience || options.authenticate) return undefined;
  const [{ createHttpAuth, grantableNames }, { serviceAccountIssuer }, { reviewsFrom }] = await Promise.all([
    import('./auth/http-authenticator.ts'),
    import('./auth/protected-resource-metadata.ts'),
    import('./auth/token-review.ts'),
  ]);
  return createHttpAuth({
    reviews: reviewsFrom(sidecar.services.kube),
    audience,
    namespace: connection.namespace,
    names: grantableNames(sidecar.catalogue),
    logger,
    audit: sidecar.services.audit,
    issuer: serviceAccountIssuer(connection.kubeConfig, connection.tokenFile),
  });
}

interface Serving {
  readonly health: RunningHealthServer | undefined;
  readonly http: RunningHttpTransport | undefined;
  readonly stdio: RunningStdioTransport | undefined;
}

interface ServingParts {
  readonly source: ServerSource;
  readonly auth: HttpAuth | undefined;
  readonly logger: Logger;
  readonly ready: () => boolean;
  readonly metrics: SidecarMetrics | undefined;
}

/** The health server, then the MCP transport; a port in use is said so, and nothing is left listening. */
async function startServing(plan: Plan, options: SidecarRunOptions, parts: ServingParts): Promise<Serving> {
  const { source, auth, logger } = parts;
  let health: RunningHealthServer | undefined;
  try {
    // The metrics exist exactly when a health server is planned: /metrics is where they are read.
    if (plan.health && parts.metrics) {
      health = await startHealthServer({ ...plan.health, ready: parts.ready, registry: parts.metrics.registry });
    }
    if (plan.transport !== 'http') {
      const stdio = await startStdioTransport({
        sidecar: source,
        stdin: options.stdin,
        stdout: options.stdout,
        logger,
        drainMs: options.drainMs,
      });
      return { health, http: undefined, stdio };
    }
    const http = await startHttpTransport({
      sidecar: source,
      host: plan.host,
      port: plan.settings.port,
      allowedHosts: plan.allowedHosts,
      authenticate: options.authenticate ?? auth?.authenticate,
      ...(auth ? { authorize: auth.authorize, protectedResourceMetadata: auth.metadata } : {}),
      logger,
      onRequestDone: (request) => logger.debug(request, 'MCP request answered'),
    });
    return { health, http, stdio: undefined };
  } catch (error) {
    await health?.close();
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    throw new SidecarStartError(code === 'EADDRINUSE' ? `cannot listen: ${message} (the port is in use)` : message);
  }
}

/** The one line that says what is served, where, as whom, and how callers are authenticated. */
function logListening(
  plan: Plan,
  options: SidecarRunOptions,
  { health, http, stdio }: Serving,
  parts: { auth: HttpAuth | undefined; connection: Connection; sidecar: Sidecar; logger: Logger },
): void {
  const { connection, logger } = parts;
  const audience = plan.settings.tokenAudience;
  logger.info(
    {
      transport: plan.transport,
      ...(http ? { host: http.host, port: http.port, url: http.url } : {}),
      ...(health ? { healthPort: health.port } : {}),
      namespace: connection.namespace,
      namespaceSource: connection.namespaceSource,
      server: connection.kubeConfig.getCurrentCluster()?.server,
      pod: plan.podName,
      mode: plan.settings.mode,
      tools: parts.sidecar.catalogue.tools.map((tool) => tool.name),
      ...(http
        ? { auth: parts.auth ? `bearer tokens for audience ${audience}` : options.authenticate ? 'custom' : 'none' }
        : {}),
    },
    'listening',
  );
  if (stdio && (options.stdin as { isTTY?: boolean }).isTTY) {
    logger.info('stdio: waiting for an MCP client on stdin; use --transport http to serve a port instead');
  }
}

/**
 * The graceful stop: unready first, then requests in flight finish (bounded by `drainMs`), then the listeners
 * close. `close` is idempotent; `stopped` resolves when it is done.
 */
function stopper(
  { health, http, stdio }: Serving,
  logger: Logger,
  drainMs: number | undefined,
  hooks: { unready(): void; closed(): void },
): { stopped: Promise<void>; close: (reason?: string) => Promise<void> } {
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (reason = 'requested') => {
    closing ??= (async () => {
      hooks.unready();
      logger.info({ reason }, 'stopping: unready, finishing requests in flight');
      await http?.close({ drainMs });
      await stdio?.close({ drainMs });
      await health?.close();
      hooks.closed();
      logger.info('stopped');
      resolveStopped();
    })();
    return closing;
  };
  return { stopped, close };
}

/** The HTTP edge, loaded when it is started: a stdio sidecar never loads express nor the Streamable HTTP transport. */
export async function startHttpTransport(options: HttpTransportOptions): Promise<RunningHttpTransport> {
  const http = await import('./transport/http.ts');
  return http.startHttpTransport(options);
}

/**
 * Runs until SIGTERM or SIGINT (or, in stdio mode, until the client closes stdin), then stops gracefully.
 * Resolves with the signal that stopped it, if any.
 */
export async function serveUntilStopped(running: RunningSidecar): Promise<NodeJS.Signals | undefined> {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    received = signal;
    void running.close(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await running.stopped;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return received;
}

const PROBE_MS = 5_000;

/**
 * One read at start-up, so the log says at once whether the credentials and RBAC work. Never blocks serving
 * and never affects readiness; its outcome is only logged.
 */
function probeApiServer(kube: NamespacedKube, logger: Logger): { cancel(): void } {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const answer = kube.pods.list({ limit: 1 }).then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), PROBE_MS);
    timer.unref();
  });
  void Promise.race([answer, late]).then((result) => {
    clearTimeout(timer);
    if (cancelled) return;
    if (result === 'late') {
      logger.warn(
        { afterMs: PROBE_MS },
        'the API server has not answered yet; serving anyway (tools will say when it is unreachable)',
      );
    } else if (result.ok) {
      logger.info('the API server answered; credentials and RBAC allow listing pods');
    } else {
      logger.warn(
        { problem: describeKubeError(result.error, 'pods').message },
        'the API server is not usable at start-up; serving anyway (tools will say why)',
      );
    }
  });
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}
