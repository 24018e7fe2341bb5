/**
 * The answers authentication and authorization give instead of serving a request, as HttpRefusals: 401 and 403
 * carry a `WWW-Authenticate: Bearer` challenge that points at the protected-resource metadata (RFC 6750, RFC
 * 9728), and 503 says the API server could not be asked — nothing is allowed on a guess.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { describeKubeError } from '../kube/errors.ts';
import { HttpRefusal } from '../transport/seams.ts';
import { describeMissingPermission } from './access-review.ts';
import { metadataUrl } from './protected-resource-metadata.ts';
import type { CallerIdentity } from './token-review.ts';

/** The `WWW-Authenticate` header of a 401 or 403, with the OAuth error when there is one. */
export function challenge(
  request: IncomingMessage,
  error?: { code: string; description: string },
): Record<string, string> {
  const parts = [`resource_metadata="${metadataUrl(request)}"`];
  if (error) parts.unshift(`error="${error.code}"`, `error_description="${quotable(error.description)}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
}

/** 401 for a token that is missing its scheme, not valid, or expired. */
export function invalidToken(request: IncomingMessage, description: string): HttpRefusal {
  return new HttpRefusal(
    401,
    `Invalid token: ${description}.`,
    challenge(request, { code: 'invalid_token', description }),
  );
}

/** 503: a review could not be made; says which ClusterRole is missing when that is why. */
export function unavailable(logger: Logger, error: unknown, what: string): HttpRefusal {
  const problem = describeKubeError(error, what);
  logger.error({ problem: problem.message }, `cannot ${what}; refusing the request`);
  const hint =
    problem.kind === 'forbidden'
      ? " The sidecar's ServiceAccount needs the ClusterRole podmcp-sidecar-auth (create tokenreviews and subjectaccessreviews), bound with a ClusterRoleBinding."
      : '';
  return new HttpRefusal(503, `The sidecar cannot ${what} right now: ${problem.message}${hint}`, {
    'Retry-After': '5',
  });
}

/** 403 naming the permission the caller lacks: one tool, or (no names) any tool at all. */
export function forbidden(
  logger: Logger,
  request: IncomingMessage,
  namespace: string,
  identity: CallerIdentity,
  names: readonly string[],
): HttpRefusal {
  const message = describeMissingPermission(identity.username, namespace, names);
  logger.warn({ caller: identity.username, tools: names }, 'refused a caller without the permission');
  return new HttpRefusal(
    403,
    `Forbidden: ${message}`,
    challenge(request, {
      code: 'insufficient_scope',
      description:
        names.length === 1 ? `missing use of tools.podmcp.dev ${names[0]}` : 'missing use of any tools.podmcp.dev',
    }),
  );
}

/** A quoted-string of RFC 7230 carries no quotes, backslashes or control characters here. */
function quotable(text: string): string {
  return text.replace(/["\\\p{Cc}]/gu, "'");
}
