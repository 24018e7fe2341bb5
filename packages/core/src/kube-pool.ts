/**
 * One connection pool per credential for every request to the Kubernetes API. Given a KubeConfig as its auth
 * method, client-node builds a new HTTP agent — a new TLS context and a new connection — for every request: under
 * agent traffic that meant hundreds of sockets open at once and ~100 MiB of native memory. Here the credentials
 * are still applied to each request (client-node re-reads a rotated token file, refreshes exec plugins), but the
 * TLS material becomes a keep-alive agent once, and again only when that material changes.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  type ApiConstructor,
  type Cluster,
  type Configuration,
  createConfiguration,
  type KubeConfig,
  type Middleware,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { Agent, buildConnector, fetch } from 'undici';

/** Concurrent API requests per pool; more wait for a free connection instead of opening one. */
export const API_CONNECTIONS = 4;
/** Below the API server's own idle timeout (90 s), so the client is the one that closes an idle connection. */
const KEEP_ALIVE_MS = 30_000;
/**
 * How long a request waits for the API server's response headers, and then between two chunks of its body,
 * before it fails. Without a bound (undici waits 300 s) a black-holed API server or a stalled log would hold
 * every connection of the pool, and the calls waiting on them, for five minutes. Just under the sidecar's 20 s
 * call deadline: a call held up by one silent request is answered with what happened, not only with its deadline.
 */
export const API_REQUEST_TIMEOUT_MS = 15_000;

export interface KubePoolOptions {
  /** Connections for requests (watches have their own). */
  readonly connections?: number;
  /** See API_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
}

/** What client-node's Watch uses of a KubeConfig. */
export interface WatchAuth {
  getCurrentCluster(): Cluster | null;
  applySecurityAuthentication(context: RequestContext): Promise<void>;
}

/** One request as the API server sees it: the full URL, and a body already encoded. */
export interface PlainRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** The API server's answer, undecoded: its status, headers (lower-case names) and body text. */
export interface PlainResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

export interface KubePool extends SecurityAuthentication {
  /**
   * Sends one request with the current credentials over the pool's connections, with the same fetch the
   * generated clients use (so a failed request fails the same way), and reads the whole body as text.
   */
  send(request: PlainRequest): Promise<PlainResponse>;
  readonly kubeConfig: KubeConfig;
  /** A typed client whose every request goes through this pool (middleware runs before each is sent). */
  apiClient<T extends object>(type: ApiConstructor<T>, middleware?: Middleware[]): T;
  configuration(middleware?: Middleware[]): Configuration;
  /**
   * For client-node's Watch: a watch holds its connection for as long as it runs, so watches get their own
   * agent (same credentials) and can never take the request pool's connections.
   */
  readonly forWatch: WatchAuth;
  /** Connections opened so far, requests and watches together. */
  connectionsOpened(): number;
  /** Closes idle connections, waits for requests in flight (each bounded in time) and ends open watches. */
  close(): Promise<void>;
}

type TlsMaterial = {
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  pfx?: unknown;
  passphrase?: unknown;
  rejectUnauthorized?: unknown;
  servername?: unknown;
};
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

type RequestOptions = TlsMaterial & { headers?: Record<string, unknown>; auth?: string };

const pools = new WeakMap<KubeConfig, KubePool>();

/**
 * The pool of a KubeConfig, created on first use (with `options`): everyone holding the same KubeConfig shares
 * its connections.
 */
export function poolFor(kubeConfig: KubeConfig, options: KubePoolOptions = {}): KubePool {
  let pool = pools.get(kubeConfig);
  if (!pool) {
    pool = createKubePool(kubeConfig, options);
    pools.set(kubeConfig, pool);
  }
  return pool;
}

/** Shorthand for `poolFor(kubeConfig).apiClient(type)`, in place of `kubeConfig.makeApiClient(type)`. */
export function pooledApiClient<T extends object>(kubeConfig: KubeConfig, type: ApiConstructor<T>): T {
  return poolFor(kubeConfig).apiClient(type);
}

export function createKubePool(kubeConfig: KubeConfig, options: KubePoolOptions = {}): KubePool {
  const connections = options.connections ?? API_CONNECTIONS;
  const timeoutMs = options.requestTimeoutMs ?? API_REQUEST_TIMEOUT_MS;
  let opened = 0;
  let material: TlsMaterial | undefined;
  let agents: { requests: Agent; watches: Agent } | undefined;
  const retired = new Set<Agent>();
  const retiredWatches = new Set<Agent>();

  const agentsFor = (next: TlsMaterial) => {
    if (agents && material && sameMaterial(material, next)) return agents;
    if (agents) {
      // New client certificate, CA or server name: requests in flight finish on the old connections.
      // Open watches end when the server ends them (their timeoutSeconds), then reconnect on the new agent.
      const { requests, watches } = agents;
      retired.add(requests);
      void requests.close().finally(() => retired.delete(requests));
      retiredWatches.add(watches);
      void watches.close().finally(() => retiredWatches.delete(watches));
    }
    material = next;
    agents = createAgents(next, { connections, timeoutMs, onConnect: () => (opened += 1) });
    return agents;
  };

  const apply = async (context: RequestContext, kind: 'requests' | 'watches') => {
    const cluster = kubeConfig.getCurrentCluster();
    // As client-node refuses it: credentials never go over plain HTTP unless the kubeconfig says TLS is skipped.
    if (cluster?.server.startsWith('http:') && cluster.skipTLSVerify !== true) {
      throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
    }
    if (cluster?.proxyUrl) {
      // Proxies keep client-node's own agents (rare outside laptops; not pooled).
      await kubeConfig.applySecurityAuthentication(context);
      return;
    }
    const request = await credentialsOf(kubeConfig);
    for (const [name, value] of Object.entries(request.headers ?? {})) context.setHeaderParam(name, `${value}`);
    if (request.auth) context.setHeaderParam('Authorization', `Basic ${Buffer.from(request.auth).toString('base64')}`);
    context.setDispatcher(agentsFor(pick(request))[kind]);
  };

  const configuration = (middleware: Middleware[] = []): Configuration => {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: pool },
      promiseMiddleware: middleware,
    });
  };

  const pool: KubePool = {
    kubeConfig,
    send: (request) => sendPlain(request, (context) => apply(context, 'requests')),
    getName: () => 'pooled kubeconfig authentication',
    applySecurityAuthentication: (context) => apply(context, 'requests'),
    apiClient: (type, middleware) => new type(configuration(middleware)),
    configuration,
    forWatch: {
      getCurrentCluster: () => kubeConfig.getCurrentCluster(),
      applySecurityAuthentication: (context) => apply(context, 'watches'),
    },
    connectionsOpened: () => opened,
    async close() {
      const requests = agents ? [agents.requests, ...retired] : [...retired];
      // close() would wait for every open watch to end, which a watch does only when its server ends it.
      const watches = agents ? [agents.watches, ...retiredWatches] : [...retiredWatches];
      agents = undefined;
      material = undefined;
      await Promise.all([
        ...requests.map((agent) => agent.close().catch(() => undefined)),
        ...watches.map((agent) => agent.destroy().catch(() => undefined)),
      ]);
    },
  };
  return pool;
}

/** One request with the headers and the agent `apply` sets, as client-node's generated clients send theirs. */
async function sendPlain(
  request: PlainRequest,
  apply: (context: RequestContext) => Promise<void>,
): Promise<PlainResponse> {
  const headers: Record<string, string> = { ...request.headers };
  let dispatcher: Agent | undefined;
  // The two parts of a RequestContext that applying credentials writes.
  const context = {
    setHeaderParam: (name: string, value: string) => {
      headers[name] = value;
    },
    setDispatcher: (value: Agent) => {
      dispatcher = value;
    },
  };
  await apply(context as unknown as RequestContext);
  const response = await fetch(request.url, {
    method: request.method,
    headers,
    // A redirect is answered, never followed: the namespace guard judged this URL, not where a 3xx points.
    redirect: 'manual',
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(dispatcher === undefined ? {} : { dispatcher }),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    answerHeaders[name] = value;
  });
  return { status: response.status, headers: answerHeaders, text: await response.text() };
}

/** The agents of one credential: pooled requests, and watches whose bodies may stay silent for minutes. */
function createAgents(
  next: TlsMaterial,
  limits: { connections: number; timeoutMs: number; onConnect: () => void },
): { requests: Agent; watches: Agent } {
  // One TLS context for every connection of this credential (tls.connect would build one per connection).
  const secureContext = hasTls(next) ? tlsContext(next) : undefined;
  const connector = buildConnector({
    ...(secureContext ? { secureContext } : {}),
    ...(next.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: next.rejectUnauthorized as boolean }),
    ...(typeof next.servername === 'string' ? { servername: next.servername } : {}),
    keepAlive: true,
    keepAliveInitialDelay: 30_000,
  });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    limits.onConnect();
    return connector(connectOptions, callback);
  };
  const { connections, timeoutMs } = limits;
  return {
    requests: new Agent({
      connect,
      connections,
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    }),
    // A watch's body is open for minutes and silent while nothing changes: undici's body timeout (time between
    // two chunks) is off, and client-node's Watch ends a watch that stays silent longer than its own timeout.
    watches: new Agent({ connect, keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: timeoutMs, bodyTimeout: 0 }),
  };
}

/**
 * The current credentials: TLS material read afresh (a rotated file is seen), headers from the token, token file
 * or exec plugin. client-node's applyToHTTPSOptions would also look up an https.Agent for every request, which
 * the pool never uses; its applyOptions (private in the typings) is the part that reads the credentials.
 */
async function credentialsOf(kubeConfig: KubeConfig): Promise<RequestOptions> {
  const request: RequestOptions = {};
  const internal = kubeConfig as unknown as { applyOptions?: (options: RequestOptions) => Promise<void> };
  if (typeof internal.applyOptions !== 'function') {
    await kubeConfig.applyToHTTPSOptions(request as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    return request;
  }
  await internal.applyOptions(request);
  const user = kubeConfig.getCurrentUser();
  if (user?.username) request.auth = `${user.username}:${user.password}`;
  return request;
}

function pick(options: RequestOptions): TlsMaterial {
  const picked: Record<string, unknown> = {};
  for (const field of TLS_FIELDS)
    if (options[field] !== undefined && options[field] !== null) picked[field] = options[field];
  return picked;
}

function hasTls(material: TlsMaterial): boolean {
  return (
    material.ca !== undefined || material.cert !== undefined || material.key !== undefined || material.pfx !== undefined
  );
}

function tlsContext(material: TlsMaterial): SecureContext {
  return createSecureContext({
    ...(material.ca === undefined ? {} : { ca: material.ca as Buffer }),
    ...(material.cert === undefined ? {} : { cert: material.cert as Buffer }),
    ...(material.key === undefined ? {} : { key: material.key as Buffer }),
    ...(material.pfx === undefined ? {} : { pfx: material.pfx as Buffer }),
    ...(typeof material.passphrase === 'string' ? { passphrase: material.passphrase } : {}),
  });
}

/** Field by field, bytes compared for certificates and keys (re-read from their files on each request). */
export function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return TLS_FIELDS.every((field) => sameValue(a[field], b[field]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  return a === b;
}
