/**
 * A JWT's claims read without verifying it: the API server (TokenReview) or Prometheus's side verifies the
 * token; the sidecar only looks at the claims to word advice or to judge a token before sending it.
 */

/** A JWT's payload, unverified; undefined when the string is not a JWT. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
