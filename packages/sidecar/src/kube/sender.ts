/**
 * How the gateway sends a request: the namespace guard first, then plain HTTPS with the kubeconfig's current
 * credentials over core's one connection pool, and the answer decoded from JSON (decode.ts). A request the
 * API server refuses fails as the generated clients fail (ApiException: the status as `code`, the Status
 * body as text), so kube/errors.ts and core's api-errors.ts read it the same way.
 */
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { type KubePool, poolFor } from '@podmcp/core';
import { decodeAs } from './decode.ts';
import { checkRequest } from './namespace-guard.ts';

export class NamespaceViolation extends Error {
  override readonly name = 'NamespaceViolation';
}

/** Optional observer of each request that passed the guard (metrics). */
export type RequestObserver = (method: string, path: string) => void;

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Request {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The path under the API server, e.g. /api/v1/namespaces/team/pods. */
  readonly path: string;
  readonly query?: Query;
  /** Already in its wire form (field names as the API spells them). */
  readonly body?: unknown;
  /** Default application/json. */
  readonly contentType?: string;
}

export interface Sender {
  readonly namespace: string;
  /** The answer's JSON as the model `type` (V1Pod, …) holds it; `type` undefined: the JSON as it came. */
  json<T>(request: Request, type: string | undefined): Promise<T>;
  /** The answer as text (a container log). */
  text(request: Request): Promise<string>;
  /** Checks a request the way every send does, and counts it (watches, which are sent elsewhere). */
  admit(method: string, path: string, body?: string): string;
  requestCount(): number;
}

export function createSender(kubeConfig: KubeConfig, namespace: string, observe?: RequestObserver): Sender {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const pool: KubePool = poolFor(kubeConfig);
  let sent = 0;

  const admit = (method: string, path: string, body?: string, query = ''): string => {
    const url = `${cluster.server}${path}${query}`;
    const verdict = checkRequest(namespace, method === 'WATCH' ? 'GET' : method, url, body);
    if (!verdict.allowed) throw new NamespaceViolation(`refused ${method} ${url}: ${verdict.reason}`);
    sent += 1;
    observe?.(method, new URL(url).pathname);
    return url;
  };

  const send = async (request: Request, accept: string) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const url = admit(request.method, request.path, body, queryText(request.query));
    const response = await pool.send({
      method: request.method,
      url,
      headers: {
        Accept: accept,
        ...(body === undefined ? {} : { 'Content-Type': request.contentType ?? 'application/json' }),
      },
      body,
    });
    if (response.status < 200 || response.status > 299) {
      // The generated clients' two failures: 401 without its body, any other status with the body as text.
      throw response.status === 401
        ? new ApiException(response.status, 'Unauthorized', undefined, response.headers)
        : new ApiException(response.status, 'Unknown API Status Code!', response.text, response.headers);
    }
    return response;
  };

  return {
    namespace,
    async json<T>(request: Request, type: string | undefined): Promise<T> {
      const response = await send(request, 'application/json, */*;q=0.8');
      const parsed: unknown = JSON.parse(response.text);
      return (type === undefined ? parsed : decodeAs<T>(parsed, type)) as T;
    },
    async text(request) {
      return (await send(request, 'application/json, */*;q=0.8')).text;
    },
    admit: (method, path, body) => admit(method, path, body),
    requestCount: () => sent,
  };
}

/** `?a=1&b=x`, leaving out what is undefined; empty when nothing is left. */
function queryText(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.append(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
