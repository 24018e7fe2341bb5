/**
 * The request body: only application/json is read, up to a byte limit, and what goes wrong while reading it
 * (too large, not JSON, not UTF-8) is answered with the status the MCP specification asks for.
 */
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Logger } from 'pino';
import { refuse } from './refuse.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** 415 unless the Content-Type is application/json. */
export const requireJson: RequestHandler = (request: Request, response: Response, next: NextFunction) => {
  if (isJsonContentType(request.headers['content-type'])) return next();
  return refuse(response, 415, 'Unsupported Media Type: Content-Type must be application/json.');
};

/** Reads the body as JSON (any JSON value: a batch is an array), at most `maxBodyBytes`. */
export function jsonBody(maxBodyBytes: number): RequestHandler {
  return express.json({ limit: maxBodyBytes, type: () => true, strict: false });
}

/** Body errors (size, syntax, encoding) from jsonBody, and anything else a handler passed on. */
export function bodyErrors(maxBodyBytes: number, logger: Logger): ErrorRequestHandler {
  return (error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      return refuse(response, 413, `Request body above the ${maxBodyBytes}-byte limit.`);
    }
    if (type === 'entity.parse.failed') return refuse(response, 400, 'Parse error: Invalid JSON.', {}, -32700);
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return refuse(response, 415, 'Unsupported Media Type: the body must be UTF-8 JSON.');
    }
    if (type === 'request.aborted') return;
    logger.error({ err: error }, 'HTTP edge failed');
    if (!response.headersSent) refuse(response, 500, 'Internal error.', {}, -32603);
  };
}

/** A parsed media type, never a substring: `application/json; charset=utf-8` yes, `text/json-ish` no. */
function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}
