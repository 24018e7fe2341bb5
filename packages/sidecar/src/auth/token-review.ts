/**
 * Who a bearer token belongs to, asked of the API server with a TokenReview that names the sidecar's token
 * audience: a Kubernetes ServiceAccount token (or an OIDC token the API server trusts) minted for that audience
 * authenticates; a token for the API server itself, an expired one or garbage does not. The sidecar never sends
 * a caller's token anywhere else, and never uses it as a credential.
 */
import type {
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReviewStatus,
} from '@kubernetes/client-node';
import { jwtClaims } from '../jwt.ts';
import type { NamespacedKube } from '../kube/namespaced-kube.ts';

/** The two reviews the sidecar asks of the API server about a remote caller, as its own ServiceAccount. */
export interface ReviewClient {
  tokenReview(token: string, audiences: readonly string[]): Promise<V1TokenReviewStatus>;
  accessReview(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus>;
}

/** Reviews sent through the namespaced clients, so the namespace guard checks each one like any request. */
export function reviewsFrom(kube: NamespacedKube): ReviewClient {
  return {
    async tokenReview(token, audiences) {
      const review = await kube.reviews.token(token, audiences);
      return review.status ?? {};
    },
    async accessReview(spec) {
      const review = await kube.reviews.subjectAccess(spec);
      return review.status ?? { allowed: false };
    },
  };
}

/** The authenticated caller, as the API server named it; what access reviews are asked about. */
export interface CallerIdentity {
  readonly username: string;
  readonly uid?: string | undefined;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

export type TokenVerdict =
  | { readonly ok: true; readonly identity: CallerIdentity; readonly expiresAtMs?: number | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * Reviews one token. Resolves with a verdict for every answer the API server gives; rejects only when the
 * review itself could not be made (unreachable, or the sidecar may not create TokenReviews).
 */
export async function reviewToken(client: ReviewClient, token: string, audience: string): Promise<TokenVerdict> {
  const status = await client.tokenReview(token, [audience]);
  if (!status.authenticated) {
    return {
      ok: false,
      reason: status.error ? `the token was not accepted: ${status.error}` : 'the token was not accepted',
    };
  }
  // An authenticator that ignores audiences must not let a token for another audience through.
  if (!(status.audiences ?? []).includes(audience)) {
    return { ok: false, reason: `the token was not issued for the audience ${audience}` };
  }
  const username = status.user?.username;
  if (!username) return { ok: false, reason: 'the token names no user' };
  return {
    ok: true,
    identity: {
      username,
      uid: status.user?.uid || undefined,
      groups: status.user?.groups ?? [],
      extra: status.user?.extra,
    },
    expiresAtMs: jwtExpiry(token),
  };
}

/** The `exp` of a JWT, unverified: only to keep a cached verdict from outliving its token. */
export function jwtExpiry(token: string): number | undefined {
  const claims = jwtClaims(token);
  return typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined;
}
