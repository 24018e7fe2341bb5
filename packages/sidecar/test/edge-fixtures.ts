/**
 * What the transport tests share: the raw initialize and 2026-07-28 requests they send, the headers, a
 * kubeconfig for an address, and a stub source of small SDK servers.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Server } from '@modelcontextprotocol/server';
import type { Caller } from '../src/caller.ts';
import type { McpServer } from '../src/mcp/server.ts';
import type { ServerSource } from '../src/transport/seams.ts';

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A kubeconfig for `server` in namespace shop; with https://127.0.0.1:1 nothing answers there. */
export function kubeConfigFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'shop' }],
    currentContext: 'x',
  });
  return config;
}

/** The 2026-07-28 request envelope: the protocol version and client capabilities every modern request carries. */
export const MODERN = '2026-07-28';
export function modernMeta(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  };
}

/** A modern request of `method`, enveloped. */
export function modernRequest(id: number, method: string, params: Record<string, unknown> = {}) {
  return { jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } };
}

/** A modern subscriptions/listen for `uris`. */
export function listenRequest(id: number, uris: string[]) {
  return modernRequest(id, 'subscriptions/listen', { notifications: { resourceSubscriptions: uris } });
}

/** What a stub source was asked to listen to, and the feeds it granted. */
export interface StubListen {
  readonly caller: Caller;
  readonly asked: readonly string[];
  readonly granted: readonly string[];
  readonly updated: (uri: string) => void;
  released: boolean;
}

/** A 2025 resources/subscribe a stub server received: `update()` sends its change outside any request. */
export interface StubSubscription {
  readonly uri: string;
  update(): Promise<void>;
  /** Its server closed (the session ended). */
  released: boolean;
}

/**
 * A ServerSource of small SDK servers (tools/list; a `slow` tool answering once `release()` is called, with the
 * caller it ran as; resources/subscribe kept until the server closes), which grants listens on podmcp://self
 * only: what the transports are tested against without a sidecar.
 */
export function stubSource() {
  let open: () => void = () => undefined;
  let held = new Promise<void>((resolve) => {
    open = resolve;
  });
  const listens: StubListen[] = [];
  const eras: Array<string | undefined> = [];
  const subscriptions: StubSubscription[] = [];
  const source = {
    server(callerOf: (authInfo: unknown) => Caller, era?: 'legacy' | 'modern'): McpServer {
      eras.push(era);
      const server = new Server(
        { name: 'stub', version: '1.0.0' },
        { capabilities: { tools: {}, resources: { subscribe: true } } },
      );
      server.setRequestHandler('tools/list', () => ({
        tools: [{ name: 'slow', inputSchema: { type: 'object' as const } }],
      }));
      server.setRequestHandler('tools/call', async (_request, ctx) => {
        await held;
        return { content: [{ type: 'text' as const, text: `ran as ${callerOf(ctx.http?.authInfo).id}` }] };
      });
      const subscribed: StubSubscription[] = [];
      server.setRequestHandler('resources/subscribe', (request) => {
        const { uri } = request.params;
        const subscription = { uri, update: () => server.sendResourceUpdated({ uri }), released: false };
        subscribed.push(subscription);
        subscriptions.push(subscription);
        return {};
      });
      server.onclose = () => {
        for (const subscription of subscribed) subscription.released = true;
      };
      return server;
    },
    async listen(caller: Caller, uris: readonly string[], updated: (uri: string) => void) {
      const entry: StubListen = {
        caller,
        asked: uris,
        granted: uris.filter((uri) => uri === 'podmcp://self'),
        updated,
        released: false,
      };
      listens.push(entry);
      return {
        uris: entry.granted,
        release: () => {
          entry.released = true;
        },
      };
    },
  } satisfies ServerSource;
  return {
    source,
    listens,
    eras,
    subscriptions,
    /** Lets every slow call answer (and the next ones at once). */
    release() {
      open();
    },
    /** Slow calls wait again. */
    hold() {
      held = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
  };
}
