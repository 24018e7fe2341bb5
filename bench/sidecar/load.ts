/**
 * Load on podmcp over Streamable HTTP: M concurrent MCP clients (the SDK's own client transport), each its
 * own session, making K tool calls one after another over the four operations. Each client connects from its
 * own loopback address (127.0.0.2, 127.0.0.3, …), so each is a separate caller to the per-caller rate limit,
 * as separate agents would be; the limit is also raised to its maximum (PODMCP_RATE_LIMIT=6000 per minute).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { BUILTIN_DEFAULTS } from '@podmcp/core';
import { heapLimitEnv } from '../../packages/injector/src/sidecar.ts';
import { percentile } from '../shared/stats.ts';
import { listeningLine, PODMCP_BIN, rssBytes, type ServerWorld } from './mcp-servers.ts';
import { callOperation, expectedText, OPERATIONS, type Target, toolCallFor } from './operations.ts';

export const LOAD_RATE_LIMIT = 6000;

export interface LoadSection {
  readonly clients: number;
  readonly callsPerClient: number;
  readonly rateLimitPerMinute: number;
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

interface HttpSidecar {
  readonly child: ChildProcess;
  readonly port: number;
  readonly healthPort: number;
}

function startHttpSidecar(world: ServerWorld): Promise<HttpSidecar> {
  const child = spawn(
    process.execPath,
    [PODMCP_BIN, 'serve', '--transport', 'http', '--port', '0', '--health-port', '0'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: world.home,
        KUBECONFIG: world.kubeconfigFile,
        PODMCP_POD_NAMESPACE: world.namespace,
        PODMCP_RATE_LIMIT: String(LOAD_RATE_LIMIT),
        // The heap caps the injector sets for the default memory limit: memory as the injected container runs.
        ...Object.fromEntries(
          heapLimitEnv(BUILTIN_DEFAULTS.resources.memoryLimit).map((env) => [env.name, env.value ?? '']),
        ),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 200_000) stderr += chunk.toString();
      const listening = listeningLine(stderr);
      if (listening) resolve({ child, port: listening.port, healthPort: listening.healthPort as number });
    });
    child.once('exit', (code) => reject(new Error(`podmcp serve --transport http exited with ${code}:\n${stderr}`)));
  });
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

async function metricsOf(healthPort: number): Promise<string | null> {
  try {
    return await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  } catch {
    return null;
  }
}

async function kubeRequestsOf(healthPort: number): Promise<number | null> {
  const text = await metricsOf(healthPort);
  if (text === null) return null;
  let total = 0;
  for (const match of text.matchAll(/^podmcp_sidecar_kube_requests_total\{[^}]*\} (\d+)$/gm)) total += Number(match[1]);
  return total;
}

async function heapUsedOf(healthPort: number): Promise<number | null> {
  const match = /^podmcp_sidecar_nodejs_heap_size_used_bytes (\d+)/m.exec((await metricsOf(healthPort)) ?? '');
  return match ? Number(match[1]) : null;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLoadSection(
  world: ServerWorld,
  target: Target,
  plan: { clients: number; callsPerClient: number },
): Promise<LoadSection> {
  const sidecar = await startHttpSidecar(world);
  const url = new URL(`http://127.0.0.1:${sidecar.port}/mcp`);
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
    await settle(500);
    const beforeLoad = rssBytes(sidecar.child.pid ?? -1);
    const requestsBefore = await kubeRequestsOf(sidecar.healthPort);
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
          await client.connect(new StreamableHTTPClientTransport(url, { fetch: slot.fetch }));
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
              toolCallFor('podmcp', operation, target),
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
    const afterLoad = rssBytes(sidecar.child.pid ?? -1);
    const requestsAfter = await kubeRequestsOf(sidecar.healthPort);
    await Promise.all(connected.map((client) => client.close().catch(() => undefined)));
    for (const slot of clients) slot.agent.destroy();
    await settle(5000);
    const afterSessionsClosed = rssBytes(sidecar.child.pid ?? -1);
    const heapUsedAfterSessionsClosedBytes = await heapUsedOf(sidecar.healthPort);
    const calls = plan.clients * plan.callsPerClient;
    const kubeRequests = requestsBefore === null || requestsAfter === null ? null : requestsAfter - requestsBefore;
    return {
      clients: plan.clients,
      callsPerClient: plan.callsPerClient,
      rateLimitPerMinute: LOAD_RATE_LIMIT,
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
    sidecar.child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        sidecar.child.kill('SIGKILL');
        resolve(undefined);
      }, 5000);
      sidecar.child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}
