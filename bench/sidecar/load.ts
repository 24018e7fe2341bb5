/**
 * Load over Streamable HTTP, the same for every server: M concurrent MCP clients (the SDK's own client
 * transport), each its own session, making K tool calls one after another over the four operations, each
 * operation as that server spells it (operations.ts). Each client connects from its own loopback address
 * (127.0.0.2, 127.0.0.3, …), so each is a separate caller to podmcp's per-caller rate limit, as separate agents
 * would be; podmcp's limit is also raised to its maximum (load-servers.ts). One session warms each server up
 * first (uncounted).
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { percentile } from '../shared/stats.ts';
import type { HttpServerUnderLoad } from './load-servers.ts';
import { LOAD_RATE_LIMIT } from './load-servers.ts';
import { rssBytes, type ServerName } from './mcp-servers.ts';
import { callOperation, expectedText, OPERATIONS, type Target, toolCallFor } from './operations.ts';

export interface LoadSection {
  readonly server: ServerName;
  /** How the server ran under load. */
  readonly describe: string;
  readonly clients: number;
  readonly callsPerClient: number;
  /** podmcp's per-caller limit; null for a server without one. */
  readonly rateLimitPerMinute: number | null;
  readonly distinctCallers: boolean;
  readonly calls: number;
  readonly errors: number;
  readonly errorSamples: Record<string, number>;
  readonly seconds: number;
  readonly callsPerSecond: number;
  readonly latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  readonly rssBytes: { beforeLoad: number | null; afterLoad: number | null; afterSessionsClosed: number | null };
  /** V8 heap in use once the sessions are closed (and 5 s later): what is retained, as opposed to RSS not given back. */
  readonly heapUsedAfterSessionsClosedBytes: number | null;
  readonly kubeRequests: number | null;
  readonly kubeRequestsPerCall: number | null;
}

/** A fetch over node:http whose connections leave from `localAddress`: one caller identity per client. */
function fetchFrom(localAddress: string): { fetch: typeof fetch; agent: Agent } {
  const agent = new Agent({ keepAlive: true, maxSockets: 4, localAddress });
  const boundFetch = ((input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => {
        headers[key] = value;
      });
      const method = init?.method ?? 'GET';
      const outgoing = httpRequest(
        url,
        { method, headers, agent, ...(init?.signal ? { signal: init.signal } : {}) },
        (incoming) => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(incoming.headers)) {
            if (Array.isArray(value)) for (const item of value) responseHeaders.append(key, item);
            else if (value !== undefined) responseHeaders.set(key, value);
          }
          const status = incoming.statusCode ?? 0;
          const empty = status === 204 || status === 304 || method === 'HEAD';
          if (empty) incoming.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream), {
              status,
              headers: responseHeaders,
            }),
          );
        },
      );
      outgoing.on('error', reject);
      if (init?.body !== undefined && init.body !== null) outgoing.end(init.body as string);
      else outgoing.end();
    })) as typeof fetch;
  return { fetch: boundFetch, agent };
}

/**
 * One call of each operation from one session before the clock starts, answers not counted: a server's first
 * call pays for what it does once (discovery, connections to the API server), which is not load.
 */
async function warmUp(under: HttpServerUnderLoad, target: Target): Promise<void> {
  const client = new Client({ name: 'podmcp-bench-warm-up', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(under.url));
    for (const operation of OPERATIONS) {
      await callOperation(client, toolCallFor(under.server, operation, target), '').catch(() => undefined);
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the server, puts the load on it, and stops it; RSS before, after the load and once the sessions closed. */
export async function runLoadSection(
  start: () => Promise<HttpServerUnderLoad>,
  target: Target,
  plan: { clients: number; callsPerClient: number },
): Promise<LoadSection> {
  const under = await start();
  const latencies: number[] = [];
  const errorSamples: Record<string, number> = {};
  let errors = 0;
  const noteError = (message: string) => {
    errors += 1;
    const key = message.slice(0, 200);
    if (errorSamples[key] !== undefined || Object.keys(errorSamples).length < 5)
      errorSamples[key] = (errorSamples[key] ?? 0) + 1;
  };
  try {
    await warmUp(under, target);
    await settle(500);
    const beforeLoad = rssBytes(under.pid);
    const requestsBefore = await under.kubeRequests();
    const clients = Array.from({ length: plan.clients }, (_, index) => {
      // 127.0.0.2 … 127.0.0.254, then 127.0.1.x: all loopback on Linux.
      const address = `127.0.${Math.floor((index + 2) / 253)}.${((index + 2) % 253) + 1}`;
      return { address, ...fetchFrom(address) };
    });
    const began = performance.now();
    const connected: Client[] = [];
    await Promise.all(
      clients.map(async (slot, index) => {
        const client = new Client({ name: `podmcp-bench-load-${index}`, version: '1.0.0' });
        try {
          await client.connect(new StreamableHTTPClientTransport(under.url, { fetch: slot.fetch }));
          connected.push(client);
        } catch (error) {
          noteError(`connect: ${(error as Error).message}`);
          return;
        }
        for (let call = 0; call < plan.callsPerClient; call += 1) {
          const operation = OPERATIONS[(index + call) % OPERATIONS.length] ?? 'list_pods';
          const sent = performance.now();
          try {
            const answer = await callOperation(
              client,
              toolCallFor(under.server, operation, target),
              expectedText(operation, target),
            );
            if (answer.problem) noteError(`${operation}: ${answer.problem}`);
            else latencies.push(performance.now() - sent);
          } catch (error) {
            noteError(`${operation}: ${(error as Error).message}`);
          }
        }
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    const afterLoad = rssBytes(under.pid);
    const requestsAfter = await under.kubeRequests();
    await Promise.all(connected.map((client) => client.close().catch(() => undefined)));
    for (const slot of clients) slot.agent.destroy();
    await settle(5000);
    const afterSessionsClosed = rssBytes(under.pid);
    const heapUsedAfterSessionsClosedBytes = await under.heapUsedBytes();
    const calls = plan.clients * plan.callsPerClient;
    const kubeRequests = requestsBefore === null || requestsAfter === null ? null : requestsAfter - requestsBefore;
    return {
      server: under.server,
      describe: under.describe,
      clients: plan.clients,
      callsPerClient: plan.callsPerClient,
      rateLimitPerMinute: under.server === 'podmcp' ? LOAD_RATE_LIMIT : null,
      distinctCallers: true,
      calls,
      errors,
      errorSamples,
      seconds,
      callsPerSecond: latencies.length / seconds,
      latencyMs: {
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
      },
      rssBytes: { beforeLoad, afterLoad, afterSessionsClosed },
      heapUsedAfterSessionsClosedBytes,
      kubeRequests,
      kubeRequestsPerCall: kubeRequests === null ? null : kubeRequests / calls,
    };
  } finally {
    await under.stop();
  }
}
