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
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import type { AuditLog } from '../governance/audit.ts';
import { describeKubeError } from '../kube/errors.ts';
import type { Catalogue } from '../mcp/server.ts';
import type { Sidecar } from '../sidecar.ts';
import { type Authenticate, type Authorize, HttpRefusal, type ServerSource } from '../transport/http.ts';
import {
  type AccessVerdict,
  describeMissingPermission,
  PROMPTS_NAME,
  RESOURCES_NAME,
  reviewAccess,
} from './access-review.ts';
import { hashKey, ReviewCache } from './cache.ts';
import {
  metadataUrl,
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
} from './protected-resource-metadata.ts';
import { type CallerIdentity, type ReviewClient, reviewToken, type TokenVerdict } from './token-review.ts';

export const DEFAULT_CACHE_TTL_MS = 30_000;
/** Refusals are remembered for less time, so a newly granted Role takes effect soon. */
export const DEFAULT_NEGATIVE_TTL_MS = 10_000;
export const DEFAULT_CACHE_ENTRIES = 2_000;

/** What the edge knows after authentication (and, for some methods, authorization). */
export interface AuthenticatedCaller extends Caller {
  readonly identity: CallerIdentity;
  /** The names (tools, `resources`, `prompts`) the caller may use, when the request needs the whole set. */
  readonly allowed?: ReadonlySet<string> | undefined;
}

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
  /** Serves each request from the catalogue narrowed to what its caller may use. */
  restrict(sidecar: Sidecar): ServerSource;
}

/** The names a catalogue can grant: its tools, and `resources`/`prompts` when it has any. */
export function grantableNames(catalogue: Catalogue): string[] {
  return [
    ...catalogue.tools.map((tool) => tool.name as string),
    ...(catalogue.resources.length > 0 ? [RESOURCES_NAME] : []),
    ...(catalogue.prompts.length > 0 ? [PROMPTS_NAME] : []),
  ];
}

export function createHttpAuth(options: HttpAuthOptions): HttpAuth {
  const { reviews, audience, namespace, logger } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
  const negativeTtlMs = Math.min(options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS, ttlMs);
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  const tokens = new ReviewCache<TokenVerdict>({ ttlMs, maxEntries, now });
  const access = new ReviewCache<AccessVerdict>({ ttlMs, maxEntries: maxEntries * 4, now });
  const toolNames = new Set(options.names.filter((name) => name !== RESOURCES_NAME && name !== PROMPTS_NAME));

  const challenge = (request: IncomingMessage, error?: { code: string; description: string }) => {
    const parts = [`resource_metadata="${metadataUrl(request)}"`];
    if (error) parts.unshift(`error="${error.code}"`, `error_description="${quotable(error.description)}"`);
    return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
  };

  const unavailable = (error: unknown, what: string): HttpRefusal => {
    const problem = describeKubeError(error, what);
    logger.error({ problem: problem.message }, `cannot ${what}; refusing the request`);
    const hint =
      problem.kind === 'forbidden'
        ? " The sidecar's ServiceAccount needs the ClusterRole podmcp-sidecar-auth (create tokenreviews and subjectaccessreviews), bound with a ClusterRoleBinding."
        : '';
    return new HttpRefusal(503, `The sidecar cannot ${what} right now: ${problem.message}${hint}`, {
      'Retry-After': '5',
    });
  };

  const authenticate: Authenticate = async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new HttpRefusal(
        401,
        `Authentication required: send a bearer token issued for the audience ${audience} (kubectl create token SERVICE_ACCOUNT --audience ${audience}).`,
        challenge(request),
      );
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match?.[1]) {
      const description = 'the Authorization header must be "Bearer <token>"';
      throw new HttpRefusal(
        401,
        `Invalid token: ${description}.`,
        challenge(request, { code: 'invalid_token', description }),
      );
    }
    const token = match[1];
    let verdict: TokenVerdict;
    try {
      verdict = await tokens.get(
        hashKey('token', token),
        () => reviewToken(reviews, token, audience),
        (value) => (value.ok ? (value.expiresAtMs === undefined ? ttlMs : value.expiresAtMs - now()) : negativeTtlMs),
      );
    } catch (error) {
      throw unavailable(error, 'verify bearer tokens');
    }
    if (!verdict.ok || (verdict.expiresAtMs !== undefined && verdict.expiresAtMs <= now())) {
      const description = verdict.ok
        ? 'the token has expired'
        : `${verdict.reason}; it must be valid and issued for the audience ${audience}`;
      logger.warn({ peer: request.socket.remoteAddress, problem: description }, 'refused a bearer token');
      throw new HttpRefusal(
        401,
        `Invalid token: ${description}.`,
        challenge(request, { code: 'invalid_token', description }),
      );
    }
    const caller: AuthenticatedCaller = {
      id: verdict.identity.username,
      transport: 'http',
      identity: verdict.identity,
    };
    return caller;
  };

  const mayUse = async (identity: CallerIdentity, name: string): Promise<boolean> => {
    const key = hashKey(
      'access',
      identity.username,
      identity.uid ?? '',
      JSON.stringify([...identity.groups].sort()),
      JSON.stringify(identity.extra ?? {}),
      name,
    );
    try {
      const verdict = await access.get(
        key,
        () => reviewAccess(reviews, identity, namespace, name),
        (value) => (value.allowed ? ttlMs : negativeTtlMs),
      );
      return verdict.allowed;
    } catch (error) {
      throw unavailable(error, 'check what callers may use');
    }
  };

  const forbidden = (request: IncomingMessage, identity: CallerIdentity, names: readonly string[]) => {
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
  };

  const authorize: Authorize = async (caller, body, request) => {
    const identity = (caller as Partial<AuthenticatedCaller>).identity;
    if (!identity) return caller;
    const messages = Array.isArray(body) ? body : [body];
    let needsAll = false;
    const called = new Set<string>();
    for (const message of messages) {
      const { method, params } = (typeof message === 'object' && message !== null ? message : {}) as {
        method?: unknown;
        params?: { name?: unknown };
      };
      const tool = params?.name;
      if (method === 'tools/call' && typeof tool === 'string' && toolNames.has(tool)) called.add(tool);
      else needsAll = true;
    }
    for (const tool of called) {
      if (await mayUse(identity, tool)) continue;
      options.audit?.record({
        kind: 'tool',
        name: tool,
        caller: identity.username,
        transport: 'http',
        outcome: 'refused',
        error: 'forbidden',
        durationMs: 0,
        bytes: 0,
      });
      throw forbidden(request, identity, [tool]);
    }
    if (!needsAll) return caller;
    const verdicts = await Promise.all(
      options.names.map(async (name) => [name, await mayUse(identity, name)] as const),
    );
    const allowed = new Set(verdicts.filter(([, ok]) => ok).map(([name]) => name));
    if (allowed.size === 0) throw forbidden(request, identity, []);
    return { ...caller, identity, allowed } satisfies AuthenticatedCaller;
  };

  return {
    authenticate,
    authorize,
    metadata: (request) => protectedResourceMetadata(request, { namespace, audience, issuer: options.issuer }),
    restrict(sidecar) {
      return {
        server(callerOf) {
          const allowed = (callerOf(undefined) as Partial<AuthenticatedCaller>).allowed;
          return sidecar.server(callerOf, allowed ? narrowCatalogue(sidecar.catalogue, allowed) : undefined);
        },
        // A session's server serves the catalogue narrowed when it started: once the caller's grants differ, it
        // must start again rather than keep serving what was revoked (or hide what was granted).
        stillServes(creator, current) {
          const now = (current as Partial<AuthenticatedCaller>).allowed;
          if (now === undefined) return true;
          const then = (creator as Partial<AuthenticatedCaller>).allowed;
          return then !== undefined && then.size === now.size && [...now].every((name) => then.has(name));
        },
      };
    },
  };
}

/** The catalogue a caller sees: the tools it may use; resources and prompts only with their names. */
export function narrowCatalogue(catalogue: Catalogue, allowed: ReadonlySet<string>): Catalogue {
  const tools = catalogue.tools.filter((tool) => allowed.has(tool.name));
  return {
    tools,
    resources: allowed.has(RESOURCES_NAME) ? catalogue.resources : [],
    prompts: allowed.has(PROMPTS_NAME) ? catalogue.prompts : [],
    instructions: catalogue.instructions.replace(
      /^Tools: .*$/m,
      `Tools you may use: ${tools.map((tool) => tool.name).join(', ') || 'none'}.`,
    ),
  };
}

/** A quoted-string of RFC 7230 carries no quotes, backslashes or control characters here. */
function quotable(text: string): string {
  return text.replace(/["\\\p{Cc}]/gu, "'");
}
