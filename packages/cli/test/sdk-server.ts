/**
 * The MCP SDK's own server for the 2026-07-28 era (`createMcpHandler`, legacy traffic refused), on loopback, as
 * the bridge tests' reference for that era's wire: it checks the MCP-Protocol-Version, Mcp-Method and Mcp-Name
 * headers against the body, serves `server/discover` and `subscriptions/listen` itself. It is the copy the
 * sidecar ships (resolved from the sidecar's own dependencies; the CLI depends on the client package only), and
 * only the few members used here are typed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

interface ToolContext {
  readonly mcpReq: { readonly signal: AbortSignal };
}
interface SdkMcpServer {
  registerTool(
    name: string,
    config: { description: string },
    callback: (ctx: ToolContext) => Promise<{ content: Array<{ type: 'text'; text: string }> }>,
  ): unknown;
  registerResource(
    name: string,
    uri: string,
    config: { mimeType: string },
    read: () => { contents: Array<{ uri: string; text: string }> },
  ): unknown;
}
interface ServerPackage {
  McpServer: new (
    info: { name: string; version: string },
    options: { capabilities: Record<string, unknown> },
  ) => SdkMcpServer;
  createMcpHandler(
    factory: () => SdkMcpServer,
    options: { legacy: 'reject'; onerror?: (error: Error) => void },
  ): { close(): Promise<void>; notify: { resourceUpdated(uri: string): void } };
}
interface NodePackage {
  toNodeHandler(handler: unknown): (req: IncomingMessage, res: ServerResponse) => void;
}

const fromSidecar = createRequire(fileURLToPath(import.meta.resolve('@podmcp/sidecar')));
const { McpServer, createMcpHandler } = fromSidecar('@modelcontextprotocol/server') as ServerPackage;
const { toNodeHandler } = fromSidecar('@modelcontextprotocol/node') as NodePackage;

export const WATCHED_URI = 'test://clock';

export interface ModernServer {
  readonly port: number;
  /** Resolves once a call of the tool `wait` was aborted by its client (its HTTP request went away). */
  readonly waitAborted: Promise<void>;
  /** Lets every waiting call of the tool `slow` finish. */
  releaseSlow(): void;
  resourceUpdated(uri: string): void;
  close(): Promise<void>;
}

/** Tools: `hello` answers at once, `wait` never (until aborted), `slow` when released; one watchable resource. */
export async function startModernServer(): Promise<ModernServer> {
  let aborted: () => void = () => {};
  const waitAborted = new Promise<void>((resolve) => {
    aborted = resolve;
  });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const factory = () => {
    const server = new McpServer(
      { name: 'sdk-reference', version: '1.0.0' },
      { capabilities: { resources: { subscribe: true } } },
    );
    server.registerTool('hello', { description: 'Says hello.' }, async () => ({
      content: [{ type: 'text', text: 'hello' }],
    }));
    server.registerTool('wait', { description: 'Answers only when aborted.' }, (ctx) => {
      return new Promise((_resolve, reject) => {
        ctx.mcpReq.signal.addEventListener('abort', () => {
          aborted();
          reject(new Error('aborted'));
        });
      });
    });
    server.registerTool('slow', { description: 'Answers when the test releases it.' }, async () => {
      await released;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    server.registerResource('clock', WATCHED_URI, { mimeType: 'text/plain' }, () => ({
      contents: [{ uri: WATCHED_URI, text: 'tick' }],
    }));
    return server;
  };
  const handler = createMcpHandler(factory, { legacy: 'reject', onerror: () => {} });
  const http = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    waitAborted,
    releaseSlow: () => release(),
    resourceUpdated: (uri) => handler.notify.resourceUpdated(uri),
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
