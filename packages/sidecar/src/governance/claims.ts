/**
 * Claimed identities, bounded. Agents that arrive through a port-forward all come from one loopback address, so
 * `podmcp connect` sends a claimed (unverified) identity to tell them apart: each claim gets its own rate-limit
 * bucket, its own share of the call gate and its own name in the audit. Unverified means a client may claim
 * anything — a fresh name on every request would be a fresh bucket every time. So one peer address may hold only
 * a few claims at once; a claim beyond that shares one overflow bucket with every other claim over the bound, and
 * the global call gate still protects the sidecar itself.
 */

/**
 * Distinct claims one peer address may hold at once: more agents than a team points at one pod (the load test
 * runs twenty through one `podmcp connect --listen`), few enough that rotating names buys nothing.
 */
export const CLAIMS_PER_PEER = 32;
/** A claim unused this long frees its place (an agent that went away). */
export const CLAIM_IDLE_MS = 10 * 60_000;
/** Peer addresses remembered at once; the least recently seen is forgotten first. */
export const PEERS_REMEMBERED = 256;

export interface ClaimBookOptions {
  readonly claimsPerPeer?: number;
  readonly idleMs?: number;
  readonly peers?: number;
  readonly now?: () => number;
}

export interface ClaimBook {
  /**
   * The caller id for `claim` arriving from `peer`: `claimed:<claim>` while the peer holds a place for it, else
   * `claimed-overflow:<peer>`, one id shared by every claim over the bound.
   */
  callerId(peer: string, claim: string): string;
}

export function createClaimBook(options: ClaimBookOptions = {}): ClaimBook {
  const claimsPerPeer = options.claimsPerPeer ?? CLAIMS_PER_PEER;
  const idleMs = options.idleMs ?? CLAIM_IDLE_MS;
  const peersRemembered = options.peers ?? PEERS_REMEMBERED;
  const now = options.now ?? Date.now;
  // Map iteration order is insertion order: deleting and re-setting an entry makes it the most recent.
  const peers = new Map<string, Map<string, number>>();

  const placesOf = (peer: string): Map<string, number> => {
    const places = peers.get(peer) ?? new Map<string, number>();
    peers.delete(peer);
    peers.set(peer, places);
    while (peers.size > peersRemembered) {
      const oldest = peers.keys().next().value;
      if (oldest === undefined) break;
      peers.delete(oldest);
    }
    return places;
  };

  return {
    callerId(peer, claim) {
      const at = now();
      const places = placesOf(peer);
      for (const [held, lastSeen] of places) if (at - lastSeen >= idleMs) places.delete(held);
      if (places.has(claim) || places.size < claimsPerPeer) {
        places.set(claim, at);
        return `claimed:${claim}`;
      }
      return `claimed-overflow:${peer}`;
    },
  };
}
