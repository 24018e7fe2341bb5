/**
 * Authentication and authorization of remote MCP callers over HTTP, on when `podmcp.dev/token-audience`
 * (PODMCP_TOKEN_AUDIENCE) is set:
 *
 *   no bearer token                          → 401  WWW-Authenticate: Bearer resource_metadata="…"
 *   token not valid for the audience         → 401  … error="invalid_token"
 *   tools/call of a tool the caller may not use → 403  … error="insufficient_scope", the permission spelled out
 *   any other method, and no tool allowed at all → 403  (the same, for "any tool")
 *   the API server cannot be asked           → 503  (nothing is allowed on a guess)
 *
 * Authentication is a TokenReview for the audience; authorization a SubjectAccessReview of verb `use` on
 * `tools.podmcp.dev` in the sidecar's namespace, the tool's name as resource name (see access-review.ts). A
 * forbidden tools/call is refused at the HTTP level, before MCP: the agent learns it lacks a permission, not that
 * a tool failed. Every other method is answered from the catalogue narrowed to what the caller may use: tools/list
 * shows only the tools it may call, resources and prompts only with the `resources`/`prompts` names. Answers
 * are cached (30 s, bounded, keyed by hashes; a verdict never outlives its token) so a busy agent costs a few
 * reviews a minute. The caller's username becomes its id: the audit log's `caller` and the rate-limit key; a
 * tools/call refused here is audited too (outcome `refused`, error `forbidden`).
 *
 * Parts: bearer.ts (authentication), tool-access.ts (authorization), refusals.ts (the 401/403/503 answers),
 * narrow.ts (the catalogue a caller sees), protected-resource-metadata.ts (RFC 9728).
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { AuditLog } from '../governance/audit.ts';
import type { Authenticate, Authorize, ServerSource } from '../transport/seams.ts';
import type { AccessVerdict } from './access-review.ts';
import { bearerAuthenticate } from './bearer.ts';
import { ReviewCache } from './cache.ts';
import { type NarrowableSource, restrictTo } from './narrow.ts';
import { type ProtectedResourceMetadata, protectedResourceMetadata } from './protected-resource-metadata.ts';
import type { ReviewClient, TokenVerdict } from './token-review.ts';
import { toolAccessAuthorize } from './tool-access.ts';

export { grantableNames } from './narrow.ts';

export const DEFAULT_CACHE_TTL_MS = 30_000;
/** Refusals are remembered for less time, so a newly granted Role takes effect soon. */
export const DEFAULT_NEGATIVE_TTL_MS = 10_000;
export const DEFAULT_CACHE_ENTRIES = 2_000;

export interface HttpAuthOptions {
  readonly reviews: ReviewClient;
  readonly audience: string;
  readonly namespace: string;
  /** Every name that can be granted: the enabled tools, plus `resources` and `prompts` when there are any. */
  readonly names: readonly string[];
  readonly logger: Logger;
  /** Where a tools/call refused for want of the permission is recorded (outcome `refused`, error `forbidden`). */
  readonly audit?: AuditLog | undefined;
  /** The ServiceAccount issuer, for the metadata's authorization_servers. */
  readonly issuer?: string | undefined;
  readonly ttlMs?: number;
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export interface HttpAuth {
  readonly authenticate: Authenticate;
  readonly authorize: Authorize;
  readonly metadata: (request: IncomingMessage) => ProtectedResourceMetadata;
  /** Serves each request from the catalogue narrowed to what its caller may use. `Sidecar` is such a source. */
  restrict<Tool extends { readonly name: string }, Resource, Prompt>(
    sidecar: NarrowableSource<Tool, Resource, Prompt>,
  ): ServerSource;
}

export function createHttpAuth(options: HttpAuthOptions): HttpAuth {
  const { reviews, audience, namespace, logger } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
  const negativeTtlMs = Math.min(options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS, ttlMs);
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  const tokens = new ReviewCache<TokenVerdict>({ ttlMs, maxEntries, now });
  const access = new ReviewCache<AccessVerdict>({ ttlMs, maxEntries: maxEntries * 4, now });
  return {
    authenticate: bearerAuthenticate({ reviews, audience, logger, tokens, ttlMs, negativeTtlMs, now }),
    authorize: toolAccessAuthorize({
      reviews,
      namespace,
      names: options.names,
      logger,
      audit: options.audit,
      access,
      ttlMs,
      negativeTtlMs,
    }),
    metadata: (request) => protectedResourceMetadata(request, { namespace, audience, issuer: options.issuer }),
    restrict: restrictTo,
  };
}
