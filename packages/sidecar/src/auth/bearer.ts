/**
 * Authentication of a remote caller: the bearer token of its Authorization header, reviewed by the API server
 * for the sidecar's audience (TokenReview), the verdict cached until the token expires. The caller's username
 * becomes its id.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { type Authenticate, HttpRefusal } from '../transport/seams.ts';
import { hashKey, type ReviewCache } from './cache.ts';
import { challenge, invalidToken, unavailable } from './refusals.ts';
import { type CallerIdentity, type ReviewClient, reviewToken, type TokenVerdict } from './token-review.ts';

/** What the edge knows after authentication (and, for some methods, authorization). */
export interface AuthenticatedCaller extends Caller {
  readonly identity: CallerIdentity;
  /** The names (tools, `resources`, `prompts`) the caller may use, when the request needs the whole set. */
  readonly allowed?: ReadonlySet<string> | undefined;
}

export interface BearerOptions {
  readonly reviews: ReviewClient;
  readonly audience: string;
  readonly logger: Logger;
  readonly tokens: ReviewCache<TokenVerdict>;
  /** How long a verdict on a token without an expiry, and a refusal, are kept. */
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly now: () => number;
}

export function bearerAuthenticate(options: BearerOptions): Authenticate {
  const { audience, logger, now } = options;
  return async (request) => {
    const token = bearerToken(request, audience);
    const verdict = await verify(options, token);
    if (!verdict.ok || (verdict.expiresAtMs !== undefined && verdict.expiresAtMs <= now())) {
      const description = verdict.ok
        ? 'the token has expired'
        : `${verdict.reason}; it must be valid and issued for the audience ${audience}`;
      logger.warn({ peer: request.socket.remoteAddress, problem: description }, 'refused a bearer token');
      throw invalidToken(request, description);
    }
    const caller: AuthenticatedCaller = {
      id: verdict.identity.username,
      transport: 'http',
      identity: verdict.identity,
    };
    return caller;
  };
}

/** The token of `Authorization: Bearer <token>`; a 401 when there is none or the header is not that. */
function bearerToken(request: IncomingMessage, audience: string): string {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw new HttpRefusal(
      401,
      `Authentication required: send a bearer token issued for the audience ${audience} (kubectl create token SERVICE_ACCOUNT --audience ${audience}).`,
      challenge(request),
    );
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match?.[1]) throw invalidToken(request, 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

/** The cached verdict on `token`; a 503 when the review cannot be made. */
async function verify(options: BearerOptions, token: string): Promise<TokenVerdict> {
  const { ttlMs, negativeTtlMs, now } = options;
  try {
    return await options.tokens.get(
      hashKey('token', token),
      () => reviewToken(options.reviews, token, options.audience),
      (value) => (value.ok ? (value.expiresAtMs === undefined ? ttlMs : value.expiresAtMs - now()) : negativeTtlMs),
    );
  } catch (error) {
    throw unavailable(options.logger, error, 'verify bearer tokens');
  }
}
