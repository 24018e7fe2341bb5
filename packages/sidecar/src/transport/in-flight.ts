/**
 * The requests the HTTP edge is answering, so a close can drain them: each counts from its arrival until its
 * response closes. Once closing began, a request that still arrives (on a keep-alive connection) is sent
 * elsewhere with a 503.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createIdleWaiters } from './drain.ts';
import { refuse } from './refuse.ts';

export interface InFlight {
  /** Requests being answered right now. */
  count(): number;
  /** Middleware: counts the request until its response closes. Mount it first. */
  readonly track: RequestHandler;
  /** Middleware: 503 with `Retry-After` once closing() was called. */
  readonly refuseWhileClosing: RequestHandler;
  /** Closing began: from now on, newcomers are refused. */
  closing(): void;
  /** Resolves when nothing is in flight any more, or after `ms`. */
  idle(ms: number): Promise<void>;
}

export function createInFlight(): InFlight {
  let closing = false;
  let inFlight = 0;
  const idle = createIdleWaiters();
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) idle.wake();
  };
  return {
    count: () => inFlight,
    track: (_request: Request, response: Response, next: NextFunction) => {
      inFlight += 1;
      response.once('close', settle);
      next();
    },
    refuseWhileClosing: (_request: Request, response: Response, next: NextFunction) => {
      if (!closing) return next();
      // A keep-alive connection may still carry a request after close() began; send it elsewhere.
      response.setHeader('Connection', 'close');
      return refuse(response, 503, 'The sidecar is shutting down; retry.', { 'Retry-After': '1' });
    },
    closing() {
      closing = true;
    },
    idle: (ms) => idle.wait(ms),
  };
}
