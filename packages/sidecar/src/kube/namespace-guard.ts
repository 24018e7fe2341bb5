/**
 * The namespace lock, checked on every request the sidecar sends to the API server: a request is allowed only
 * when its path is inside the sidecar's own namespace (and not about Secrets), or when it is one of the
 * self-review calls that ask the API server what this sidecar itself may do, or one of the two reviews that
 * authenticate and authorize a remote MCP caller (a TokenReview for the sidecar's token audience, a
 * SubjectAccessReview on tools.podmcp.dev in this namespace). Tools never take a namespace, so this only fires
 * on a bug — and then nothing leaves the process.
 */

export type GuardVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Resources the sidecar must never touch, whatever RBAC allows. */
const FORBIDDEN_RESOURCES = new Set(['secrets']);

/** Cluster-scoped endpoints that only describe the caller itself; their body must name our namespace. */
const SELF_REVIEW_PATHS = new Set([
  '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
]);

/** Reviews of a remote MCP caller (see auth/): cluster-scoped, so each is judged by its body. */
const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
/** The virtual resource remote callers are authorized on: `use` of tools.podmcp.dev in this namespace. */
const CALLER_REVIEW_GROUP = 'podmcp.dev';
const CALLER_REVIEW_RESOURCE = 'tools';

/** Subresources of the Namespace object (`/api/v1/namespaces/{ns}/status`), not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function checkRequest(namespace: string, method: string, url: string, body?: unknown): GuardVerdict {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return { allowed: false, reason: `not a URL: ${url}` };
  }
  // The API server percent-decodes the path before it routes, so judge the segments it will see, and refuse
  // what only a trick needs: empty, `.` or `..` segments, and escaped slashes that would add segments.
  const segments: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { allowed: false, reason: `${path} has a malformed escape` };
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\]/.test(segment)) {
      return { allowed: false, reason: `${path} is not a canonical path` };
    }
    segments.push(segment);
  }
  const canonical = `/${segments.join('/')}`;
  if (SELF_REVIEW_PATHS.has(canonical)) {
    if (method.toUpperCase() !== 'POST') return { allowed: false, reason: `${method} ${path} is not a self review` };
    const reviewed = reviewedNamespace(canonical, body);
    return reviewed === namespace
      ? { allowed: true }
      : { allowed: false, reason: `a self review must be about namespace ${namespace}, not ${reviewed ?? 'all'}` };
  }
  if (canonical === TOKEN_REVIEW_PATH || canonical === ACCESS_REVIEW_PATH) {
    if (method.toUpperCase() !== 'POST') return { allowed: false, reason: `${method} ${path} is not a review` };
    return canonical === TOKEN_REVIEW_PATH ? checkTokenReview(body) : checkCallerAccessReview(namespace, body);
  }
  // /api/v1/namespaces/{ns}/{resource}… or /apis/{group}/{version}/namespaces/{ns}/{resource}…
  const prefixLength = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : -1;
  const requested = segments[prefixLength + 1];
  if (prefixLength < 0 || segments[prefixLength] !== 'namespaces' || requested === undefined) {
    return { allowed: false, reason: `${path} is not a namespaced path` };
  }
  if (requested !== namespace) {
    return { allowed: false, reason: `${path} is outside namespace ${namespace}` };
  }
  const resource = segments[prefixLength + 2]?.toLowerCase();
  if (resource === undefined || NAMESPACE_SUBRESOURCES.has(resource)) {
    return { allowed: false, reason: `${path} addresses the namespace object itself` };
  }
  if (FORBIDDEN_RESOURCES.has(resource)) return { allowed: false, reason: `${resource} are never read by podmcp` };
  return { allowed: true };
}

/** A TokenReview must name the audiences it accepts, so no token for the API server itself is ever reviewed. */
function checkTokenReview(body: unknown): GuardVerdict {
  const spec = specOf(body) as { audiences?: unknown } | undefined;
  const audiences = spec?.audiences;
  const named =
    Array.isArray(audiences) &&
    audiences.length > 0 &&
    audiences.every((audience) => typeof audience === 'string' && audience.length > 0);
  return named ? { allowed: true } : { allowed: false, reason: 'a TokenReview must name its spec.audiences' };
}

/** A SubjectAccessReview only about `tools.podmcp.dev` in this namespace: what a caller may use here. */
function checkCallerAccessReview(namespace: string, body: unknown): GuardVerdict {
  const spec = specOf(body) as { resourceAttributes?: Record<string, unknown>; nonResourceAttributes?: unknown };
  const attributes = spec?.resourceAttributes;
  if (!attributes || typeof attributes !== 'object' || spec?.nonResourceAttributes !== undefined) {
    return { allowed: false, reason: 'a SubjectAccessReview must be about resource attributes only' };
  }
  if (attributes.namespace !== namespace) {
    const named = typeof attributes.namespace === 'string' && attributes.namespace ? attributes.namespace : 'all';
    return { allowed: false, reason: `a SubjectAccessReview must be about namespace ${namespace}, not ${named}` };
  }
  if (attributes.group !== CALLER_REVIEW_GROUP || attributes.resource !== CALLER_REVIEW_RESOURCE) {
    return {
      allowed: false,
      reason: `a SubjectAccessReview must be about ${CALLER_REVIEW_RESOURCE}.${CALLER_REVIEW_GROUP}, not ${String(attributes.resource)}.${String(attributes.group ?? '')}`,
    };
  }
  return { allowed: true };
}

function specOf(body: unknown): Record<string, unknown> | undefined {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const spec = (parsed as { spec?: unknown }).spec;
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : undefined;
}

/** The namespace a self review asks about, read from the field the API server reads for that kind. */
function reviewedNamespace(path: string, body: unknown): string | undefined {
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const spec = (parsed as { spec?: { namespace?: unknown; resourceAttributes?: { namespace?: unknown } } }).spec;
  const value = path.endsWith('/selfsubjectrulesreviews') ? spec?.namespace : spec?.resourceAttributes?.namespace;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
