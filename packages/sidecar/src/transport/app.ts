/**
 * The express app of the HTTP edge: the order in which a request meets the checks is the contract, so it is
 * written down in one place. Each check answers with the status the MCP specification asks for (see http.ts).
 */
import type { IncomingMessage } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { bodyErrors, jsonBody, requireJson } from './body.ts';
import { guardHostAndOrigin } from './hosts.ts';
import { authorizeWith, identifyWith } from './identity.ts';
import type { InFlight } from './in-flight.ts';
import {
  GET_WITHOUT_SESSION,
  MCP_METHODS,
  MCP_PATH,
  type McpRouteOptions,
  mcpDelete,
  mcpGet,
  mcpPost,
  sessionHeader,
} from './mcp-routes.ts';
import { PROTECTED_RESOURCE_METADATA_PATHS, serveProtectedResourceMetadata } from './protected-resource.ts';
import { refuse } from './refuse.ts';
import type { Authenticate, Authorize } from './seams.ts';

export interface EdgeAppOptions {
  readonly allowedHosts: ReadonlySet<string>;
  readonly inFlight: InFlight;
  readonly authenticate: Authenticate;
  readonly authorize?: Authorize | undefined;
  readonly protectedResourceMetadata?: ((request: IncomingMessage) => object) | undefined;
  readonly maxBodyBytes: number;
  /** What the MCP handlers serve from, and the logger for everything. */
  readonly routes: McpRouteOptions;
}

export function createEdgeApp(options: EdgeAppOptions): Express {
  const { maxBodyBytes, routes } = options;
  const { logger } = routes;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  // Every request counts as in flight until its response closes, so close() can drain them.
  app.use(options.inFlight.track);
  // 1. Host, then Origin: the DNS-rebinding defences, before routing and before any body is read.
  app.use(guardHostAndOrigin(options.allowedHosts, logger));
  app.use(options.inFlight.refuseWhileClosing);

  if (options.protectedResourceMetadata) {
    app.get([...PROTECTED_RESOURCE_METADATA_PATHS], serveProtectedResourceMetadata(options.protectedResourceMetadata));
  }

  // 2. POST carries JSON-RPC, DELETE ends a session, GET opens a session's standalone SSE stream (what its
  // server sends that belongs to no request: change notifications). A GET without a session has no stream.
  app.all(MCP_PATH, onlyMcpMethods);

  // 3. Content type, then who is calling; only then is the body read.
  const identify = identifyWith(options.authenticate, logger);
  app.post(MCP_PATH, requireJson);
  app.post(MCP_PATH, identify);
  app.get(MCP_PATH, identify);
  app.delete(MCP_PATH, identify);
  app.post(MCP_PATH, jsonBody(maxBodyBytes));

  // 3b. What this caller may do with this message, now that it is read; a GET stream carries no message and is
  // asked about as any method but tools/call is (the whole set of names the caller may use).
  if (options.authorize) {
    app.post(MCP_PATH, authorizeWith(options.authorize, logger));
    app.get(MCP_PATH, authorizeWith(options.authorize, logger));
  }

  // 4. Within a session: its server and transport. Without one: `initialize` starts a session; anything else
  // gets one MCP server and transport for this request alone.
  app.post(MCP_PATH, mcpPost(routes));
  app.get(MCP_PATH, mcpGet(routes));
  app.delete(MCP_PATH, mcpDelete(routes));

  app.use(notFound);
  app.use(bodyErrors(maxBodyBytes, logger));
  return app;
}

function onlyMcpMethods(request: Request, response: Response, next: NextFunction): void {
  const method = request.method;
  if (method === 'POST' || method === 'DELETE' || (method === 'GET' && sessionHeader(request) !== undefined)) {
    next();
    return;
  }
  const message =
    method === 'GET'
      ? GET_WITHOUT_SESSION
      : 'Method not allowed: send JSON-RPC with POST (GET streams a session, DELETE ends one).';
  refuse(response, 405, message, { Allow: MCP_METHODS });
}

function notFound(_request: Request, response: Response): void {
  refuse(response, 404, `Not found: the MCP endpoint is POST ${MCP_PATH}.`);
}
