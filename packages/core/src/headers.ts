/**
 * The HTTP header in which a client claims who it is, unverified (`podmcp connect` sends its kubeconfig user
 * and its own instance id). Shared by the sidecar that reads it and the CLI that sends it.
 */
export const CLAIMED_IDENTITY_HEADER = 'podmcp-claimed-identity';

/** The longest claimed identity kept: enough for a user name and an instance id, not for a log flood. */
export const CLAIMED_IDENTITY_MAX_CHARS = 128;

/**
 * A claimed identity reduced to the characters a header carries safely and an audit line shows plainly (runs
 * of anything else become one `_`), bounded in length; undefined when nothing is left. The CLI cleans before
 * sending (a header value outside Latin-1 makes every request throw), the sidecar again on receipt.
 */
export function cleanClaimedIdentity(value: string): string | undefined {
  const cleaned = value
    .replace(/[^A-Za-z0-9._@:/+=#-]+/g, '_')
    .slice(0, CLAIMED_IDENTITY_MAX_CHARS)
    .replace(/^_+|_+$/g, '');
  return cleaned === '' ? undefined : cleaned;
}
