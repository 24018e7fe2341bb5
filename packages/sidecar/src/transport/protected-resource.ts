/**
 * Where the edge serves the RFC 9728 protected-resource metadata that a 401's
 * `WWW-Authenticate: Bearer resource_metadata="…"` points at (auth/ builds the document).
 */
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';

/** RFC 9728 section 3.1: the well-known prefix before the resource's path; the bare prefix for clients that try it. */
export const PROTECTED_RESOURCE_METADATA_PATHS = [
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-protected-resource',
] as const;

/** GET handler: the metadata for this request, cacheable for five minutes. */
export function serveProtectedResourceMetadata(metadata: (request: IncomingMessage) => object): RequestHandler {
  return (request: Request, response: Response) => {
    response.set('Cache-Control', 'max-age=300').json(metadata(request));
  };
}
