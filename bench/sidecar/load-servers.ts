/**
 * The servers the load section drives over Streamable HTTP, each started as it would run for an agent on the
 * network: podmcp (`serve --transport http`) with the heap caps the injector sets for the default memory limit,
 * and the Go peer (`--port`, bound to loopback) with the same flags as in the other sections. Each answers on
 * a loopback URL; podmcp also reports its API requests and V8 heap from its `/metrics`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BUILTIN_DEFAULTS } from '@podmcp/core';
import { heapLimitEnv } from '../../packages/injector/src/sidecar.ts';
import { goPeerSpec, listeningLine, PODMCP_BIN, type ServerName, type ServerWorld } from './mcp-servers.ts';

/** The per-caller rate limit podmcp runs with under load: its maximum. */
export const LOAD_RATE_LIMIT = 6000;

export interface HttpServerUnderLoad {
  readonly server: ServerName;
  /** How it runs, for the report. */
  readonly describe: string;
  readonly url: URL;
  readonly pid: number;
  /** API requests the server counted itself so far, or null when it does not count them. */
  kubeRequests(): Promise<number | null>;
  /** V8 heap in use, or null when the server does not report it. */
  heapUsedBytes(): Promise<number | null>;
  stop(): Promise<void>;
}

/** The environment the injector gives a sidecar with the default memory limit (heap caps, allocator). */
export function injectedNodeOptions(): Record<string, string> {
  return Object.fromEntries(
    heapLimitEnv(BUILTIN_DEFAULTS.resources.memoryLimit).map((env) => [env.name, env.value ?? '']),
  );
}

/** That environment as `NAME=value …`, for the report. */
export function injectedEnvText(): string {
  return Object.entries(injectedNodeOptions())
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/** How podmcp's code is run: the entry script, and the environment that goes with it (a compile cache). */
export interface PodmcpEntry {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly describe: string;
}

export const SOURCES_ENTRY: PodmcpEntry = { script: PODMCP_BIN, env: {}, describe: 'from the TypeScript sources' };

export async function startPodmcpHttp(
  world: ServerWorld,
  entry: PodmcpEntry = SOURCES_ENTRY,
): Promise<HttpServerUnderLoad> {
  const nodeOptions = injectedNodeOptions();
  const child = spawn(
    process.execPath,
    [entry.script, 'serve', '--transport', 'http', '--port', '0', '--health-port', '0'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: world.home,
        KUBECONFIG: world.kubeconfigFile,
        PODMCP_POD_NAMESPACE: world.namespace,
        PODMCP_RATE_LIMIT: String(LOAD_RATE_LIMIT),
        ...entry.env,
        ...nodeOptions,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const ports = await new Promise<{ port: number; healthPort: number }>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 200_000) stderr += chunk.toString();
      const listening = listeningLine(stderr);
      if (listening) resolve({ port: listening.port, healthPort: listening.healthPort as number });
    });
    child.once('exit', (code) => reject(new Error(`podmcp serve --transport http exited with ${code}:\n${stderr}`)));
  });
  const metrics = () => metricsOf(ports.healthPort);
  return {
    server: 'podmcp',
    describe: `podmcp serve --transport http ${entry.describe}, PODMCP_RATE_LIMIT=${LOAD_RATE_LIMIT}, ${injectedEnvText() || 'no heap cap'} (the injector's environment for the ${BUILTIN_DEFAULTS.resources.memoryLimit} default limit)`,
    url: new URL(`http://127.0.0.1:${ports.port}/mcp`),
    pid: child.pid ?? -1,
    async kubeRequests() {
      const text = await metrics();
      if (text === null) return null;
      let total = 0;
      for (const match of text.matchAll(/^podmcp_sidecar_kube_requests_total\{[^}]*\} (\d+)$/gm))
        total += Number(match[1]);
      return total;
    },
    async heapUsedBytes() {
      const match = /^podmcp_sidecar_nodejs_heap_size_used_bytes (\d+)/m.exec((await metrics()) ?? '');
      return match ? Number(match[1]) : null;
    },
    stop: () => stopChild(child),
  };
}

/** The Go peer over Streamable HTTP on a free loopback port, ready once its /healthz answers. */
export async function startGoPeerHttp(world: ServerWorld, peersDirectory: string): Promise<HttpServerUnderLoad> {
  const spec = goPeerSpec(world, peersDirectory);
  const port = await freeLoopbackPort();
  const args = [...spec.args, '--port', String(port), '--bind-address', '127.0.0.1'];
  const child = spawn(spec.command, args, { env: { ...spec.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 200_000) stderr += chunk.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`kubernetes-mcp-server --port exited:\n${stderr.slice(-2000)}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`kubernetes-mcp-server --port did not answer /healthz in 30 s:\n${stderr.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    server: 'kubernetes-mcp-server',
    describe: `Go binary, ${args.filter((arg) => arg !== world.kubeconfigFile && arg !== '--kubeconfig').join(' ')} (stateful sessions, its default)`,
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    pid: child.pid ?? -1,
    kubeRequests: async () => null,
    heapUsedBytes: async () => null,
    stop: () => stopChild(child),
  };
}

async function metricsOf(healthPort: number): Promise<string | null> {
  try {
    return await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  } catch {
    return null;
  }
}

/** A port the kernel just handed out on 127.0.0.1, released for the server to bind. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
