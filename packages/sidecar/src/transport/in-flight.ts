/**
 * The requests the HTTP edge is answering, so a close can drain them: each counts from its arrival until its
 * response closes, or until it becomes a session's GET stream (which ends only when its client leaves or its
 * session does, so a drain closes it rather than waiting for it; streams.ts). Once closing began, a request that
 * still arrives (on a keep-alive connection) is sent elsewhere with a 503.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createIdleWaiters } from './drain.ts';
import { refuse } from './refuse.ts';

export interface InFlight {
  /** Requests being answered right now. */
  count(): number;
  /** Middleware: counts the request until its response closes. Mount it first. */
  readonly track: RequestHandler;
  /** The request of `response` is a stream from now on, not a request in flight: it stops counting. */
  release(response: Response): void;
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
  const settles = new WeakMap<Response, () => void>();
  return {
    count: () => inFlight,
    track: (_request: Request, response: Response, next: NextFunction) => {
      inFlight += 1;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        inFlight -= 1;
        if (inFlight === 0) idle.wake();
      };
      settles.set(response, settle);
      response.once('close', settle);
      next();
    },
    release(response) {
      settles.get(response)?.();
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
