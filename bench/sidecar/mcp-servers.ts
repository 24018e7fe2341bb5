/**
 * The MCP servers under comparison and how each is started: podmcp (`podmcp serve`) and, in the full run, the
 * two peers installed into the podmcp cache with `npm install --prefix` (never into the repository). Every
 * server runs as its own process over stdio with a kubeconfig holding the same read-only ServiceAccount token,
 * and with its read-only option on. Also: resident memory of a process from /proc.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { podmcpCacheDir } from '@podmcp/core';
import type { ListedTool } from './catalogue.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PODMCP_BIN = join(REPO, 'packages', 'cli', 'bin', 'podmcp.js');

export type ServerName = 'podmcp' | 'kubernetes-mcp-server' | 'mcp-server-kubernetes';

/** What every server is started with: the scratch HOME, the kubeconfig and the namespace it serves. */
export interface ServerWorld {
  readonly home: string;
  /** Read-only ServiceAccount token; the context's namespace is the seeded namespace. */
  readonly kubeconfigFile: string;
  readonly namespace: string;
}

export interface ServerSpec {
  readonly name: ServerName;
  readonly version: string;
  /** How it runs, for the report. */
  readonly describe: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export function peersDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(podmcpCacheDir(env), 'bench', 'peers');
}

export const PEER_PACKAGES = ['kubernetes-mcp-server', 'mcp-server-kubernetes'] as const;

/** npm install --prefix into the cache, once; later runs reuse it. Progress goes to stderr. */
export function installPeers(directory: string): void {
  const installed = PEER_PACKAGES.every((name) => existsSync(join(directory, 'node_modules', name, 'package.json')));
  if (installed) return;
  process.stderr.write(`installing ${PEER_PACKAGES.join(', ')} into ${directory} …\n`);
  const run = spawnSync('npm', ['install', '--prefix', directory, '--no-audit', '--no-fund', ...PEER_PACKAGES], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`npm install of the peers failed (exit ${run.status ?? run.signal})`);
}

function packageVersion(directory: string, name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(directory, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

const baseEnv = (world: ServerWorld): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: world.home,
  KUBECONFIG: world.kubeconfigFile,
});

export function podmcpSpec(world: ServerWorld): ServerSpec {
  return {
    name: 'podmcp',
    version: packageVersion(REPO, '@podmcp/sidecar'),
    describe: `node ${process.version} packages/cli/bin/podmcp.js serve --transport stdio --health-port 0, PODMCP_RATE_LIMIT=6000 (read-only by default)`,
    command: process.execPath,
    args: [PODMCP_BIN, 'serve', '--transport', 'stdio', '--health-port', '0'],
    // The per-caller rate limit (default 120 calls a minute) at its maximum: the latency rounds exceed the default.
    env: { ...baseEnv(world), PODMCP_POD_NAMESPACE: world.namespace, PODMCP_RATE_LIMIT: '6000' },
  };
}

/** The Go server: its npm package ships the binary; run it directly so no Node wrapper sits in front of it. */
export function goPeerSpec(world: ServerWorld, directory: string): ServerSpec {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const platform = `${process.platform === 'darwin' ? 'darwin' : 'linux'}-${arch}`;
  const binary = join(
    directory,
    'node_modules',
    `kubernetes-mcp-server-${platform}`,
    'bin',
    `kubernetes-mcp-server-${platform}`,
  );
  const args = ['--read-only', '--disable-multi-cluster', '--toolsets', 'core', '--kubeconfig', world.kubeconfigFile];
  return {
    name: 'kubernetes-mcp-server',
    version: packageVersion(directory, 'kubernetes-mcp-server'),
    describe: `Go binary from the npm package, ${args.slice(0, 4).join(' ')} (namespace: the kubeconfig context's)`,
    command: binary,
    args,
    env: baseEnv(world),
  };
}

/**
 * The TypeScript server: it shells out to kubectl for most tools, so kubectl must be on PATH. Its default
 * 1 MiB buffer for kubectl's output cannot hold 500 pods as JSON (ENOBUFS), so the full run raises it;
 * `--peer-defaults` keeps the default to show that failure.
 */
export function tsPeerSpec(world: ServerWorld, directory: string, keepDefaults = false): ServerSpec {
  const buffer: Record<string, string> = keepDefaults ? {} : { SPAWN_MAX_BUFFER: String(64 * 1024 * 1024) };
  return {
    name: 'mcp-server-kubernetes',
    version: packageVersion(directory, 'mcp-server-kubernetes'),
    describe: `node ${process.version} dist/index.js, ALLOW_ONLY_READONLY_TOOLS=true, K8S_NAMESPACE set${keepDefaults ? '' : ', SPAWN_MAX_BUFFER=64 MiB'}; tools run kubectl (its RSS is not counted)`,
    command: process.execPath,
    args: [join(directory, 'node_modules', 'mcp-server-kubernetes', 'dist', 'index.js')],
    env: { ...baseEnv(world), ALLOW_ONLY_READONLY_TOOLS: 'true', K8S_NAMESPACE: world.namespace, ...buffer },
  };
}

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly client: Client;
  readonly pid: number;
  /** Spawn to the first tools/list answered, in ms. */
  readonly coldStartMs: number;
  readonly toolNames: readonly string[];
  /** The first tools/list answer's tools, as listed. */
  readonly tools: readonly ListedTool[];
  /** podmcp only: the health port, read from its "listening" log line. */
  healthPort(): number | undefined;
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns the server, connects (initialize), and lists its tools; the time to that answer is the cold start. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const began = performance.now();
  const transport = new StdioClientTransport({
    command: spec.command,
    args: [...spec.args],
    env: { ...spec.env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 1_000_000) stderr += chunk.toString();
  });
  const client = new Client({ name: 'podmcp-bench', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${spec.name} did not start: ${(error as Error).message}\n${stderr.slice(-2000)}`);
  }
  const { tools } = await client.listTools();
  const coldStartMs = performance.now() - began;
  const pid = transport.pid;
  if (pid === null) throw new Error(`${spec.name} has no pid`);
  return {
    spec,
    client,
    pid,
    coldStartMs,
    toolNames: tools.map((tool) => tool.name),
    tools,
    healthPort() {
      return listeningLine(stderr)?.healthPort;
    },
    stderr: () => stderr,
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}

/** The ports in podmcp serve's "listening" log line, once its stderr holds one. */
export function listeningLine(stderr: string): { port: number; healthPort?: number } | undefined {
  const line = stderr.split('\n').find((text) => text.includes('"msg":"listening"'));
  return line ? (JSON.parse(line) as { port: number; healthPort?: number }) : undefined;
}

/** Resident set size of a process in bytes (VmRSS), or null once it is gone. Linux only. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
