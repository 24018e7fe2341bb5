/**
 * Who is calling, and what they may do: the default caller (the identity a client claims, else its peer
 * address), and the middleware that runs the authenticate() hook before the body is read and the authorize()
 * hook after. The caller they settle on is `response.locals.caller` for the MCP handlers.
 */
import type { IncomingMessage } from 'node:http';
import { CLAIMED_IDENTITY_HEADER, cleanClaimedIdentity } from '@podmcp/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Caller } from '../caller.ts';
import { type ClaimBook, createClaimBook } from '../governance/claims.ts';
import { createRedactor } from '../safety/redact.ts';
import { refuse } from './refuse.ts';
import { type Authenticate, type Authorize, HttpRefusal } from './seams.ts';

// A claim shaped like a credential (a token pasted as a user name) is shown as [REDACTED], never kept.
const claimRedactor = createRedactor();

/**
 * The identity a client claims for itself, unverified, reduced to a safe printable form; undefined when absent
 * or empty. Everything that arrives through a port-forward comes from the same loopback address, so without it
 * twenty agents would be one caller: one rate-limit bucket, one share of the call gate, one name in the audit.
 */
export function claimedIdentity(request: IncomingMessage): string | undefined {
  const raw = request.headers[CLAIMED_IDENTITY_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  const cleaned = value === undefined ? undefined : cleanClaimedIdentity(value);
  return cleaned === undefined ? undefined : claimRedactor.text(cleaned);
}

/**
 * Today's default: no authentication. The caller is the identity the client claims, labelled as claimed
 * (`claimed:alice/3f9a…`, a few per peer address: see governance/claims.ts), else the peer address
 * (`http:127.0.0.1` for an agent arriving through `kubectl port-forward`, or the app in the same pod).
 * Authenticating remote callers belongs here.
 */
export function createPeerAddressCaller(claims: ClaimBook = createClaimBook()): Authenticate {
  return (request) => {
    const peer = request.socket.remoteAddress ?? 'unknown';
    const claimed = claimedIdentity(request);
    if (claimed !== undefined) return { id: claims.callerId(peer, claimed), transport: 'http', claimed };
    return { id: `http:${peer}`, transport: 'http' };
  };
}

/** Runs authenticate(); its refusal is the answer, anything else it throws a 500. */
export function identifyWith(authenticate: Authenticate, logger: Logger): RequestHandler {
  return async (request: Request, response: Response, next: NextFunction) => {
    try {
      const caller = await authenticate(request);
      // A verified caller keeps its own id; what the client claimed is only recorded next to it.
      const claimed = caller.claimed ?? claimedIdentity(request);
      response.locals.caller = claimed === undefined ? caller : { ...caller, claimed };
      next();
    } catch (error) {
      if (error instanceof HttpRefusal) return refuse(response, error.status, error.message, error.headers);
      logger.error({ err: error }, 'authenticate() failed');
      return refuse(response, 500, 'Internal error while authenticating the request.', {}, -32603);
    }
  };
}

/** Runs authorize() on the parsed body; its refusal is the answer, anything else it throws a 500. */
export function authorizeWith(authorize: Authorize, logger: Logger): RequestHandler {
  return async (request: Request, response: Response, next: NextFunction) => {
    try {
      response.locals.caller = await authorize(response.locals.caller as Caller, request.body, request);
      next();
    } catch (error) {
      if (error instanceof HttpRefusal) return refuse(response, error.status, error.message, error.headers);
      logger.error({ err: error }, 'authorize() failed');
      return refuse(response, 500, 'Internal error while authorizing the request.', {}, -32603);
    }
  };
}
