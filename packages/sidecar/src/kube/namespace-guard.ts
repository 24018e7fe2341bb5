/**
 * The namespace lock, checked on every request the sidecar sends to the API server: a request is allowed only
 * when its path is inside the sidecar's own namespace (and not about Secrets), or when it is one of the
 * self-review calls that ask the API server what this sidecar itself may do. Tools never take a namespace,
 * so this only fires on a bug — and then nothing leaves the process.
 */

export type GuardVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Resources the sidecar must never touch, whatever RBAC allows. */
const FORBIDDEN_RESOURCES = new Set(['secrets']);

/** Cluster-scoped endpoints that only describe the caller itself; their body must name our namespace. */
const SELF_REVIEW_PATHS = new Set([
  '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
]);

export function checkRequest(namespace: string, method: string, url: string, body?: unknown): GuardVerdict {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return { allowed: false, reason: `not a URL: ${url}` };
  }
  if (SELF_REVIEW_PATHS.has(path)) {
    if (method.toUpperCase() !== 'POST') return { allowed: false, reason: `${method} ${path} is not a self review` };
    const reviewed = reviewedNamespace(body);
    return reviewed === namespace
      ? { allowed: true }
      : { allowed: false, reason: `a self review must be about namespace ${namespace}, not ${reviewed ?? 'all'}` };
  }
  const segments = path.split('/').filter((segment) => segment.length > 0);
  // /api/v1/namespaces/{ns}/{resource}… or /apis/{group}/{version}/namespaces/{ns}/{resource}…
  const prefixLength = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : -1;
  if (prefixLength < 0 || segments[prefixLength] !== 'namespaces') {
    return { allowed: false, reason: `${path} is not a namespaced path` };
  }
  const requested = segments[prefixLength + 1];
  if (requested !== namespace) {
    return { allowed: false, reason: `${path} is outside namespace ${namespace}` };
  }
  const resource = segments[prefixLength + 2];
  if (resource === undefined) return { allowed: false, reason: `${path} addresses the namespace object itself` };
  if (FORBIDDEN_RESOURCES.has(resource)) return { allowed: false, reason: `${resource} are never read by podmcp` };
  return { allowed: true };
}

function reviewedNamespace(body: unknown): string | undefined {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const spec = (parsed as { spec?: { namespace?: unknown; resourceAttributes?: { namespace?: unknown } } }).spec;
  const value = spec?.namespace ?? spec?.resourceAttributes?.namespace;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
