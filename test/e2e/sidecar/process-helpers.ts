/**
 * Helpers for tests that run the real `podmcp` CLI as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const PODMCP_BIN = join(REPO, 'packages', 'cli', 'bin', 'podmcp.js');

export interface HttpSidecar {
  readonly child: ChildProcess;
  readonly port: number;
  readonly healthPort: number;
  /** The MCP endpoint, http://127.0.0.1:<port>/mcp. */
  readonly url: string;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts `podmcp serve --transport http` (on free ports unless `port` is given) and reads them from its
 * "listening" log line.
 */
export function startHttpSidecar(env: Record<string, string>, options: { port?: number } = {}): Promise<HttpSidecar> {
  const child = spawn(
    process.execPath,
    [PODMCP_BIN, 'serve', '--transport', 'http', '--port', String(options.port ?? 0), '--health-port', '0'],
    {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const line = stderr.split('\n').find((text) => text.includes('"msg":"listening"'));
      if (!line) return;
      const { port, healthPort } = JSON.parse(line) as { port: number; healthPort: number };
      resolve({
        child,
        port,
        healthPort,
        url: `http://127.0.0.1:${port}/mcp`,
        exited,
        stdout: () => stdout,
        stderr: () => stderr,
      });
    });
    exited.then((code) => reject(new Error(`podmcp serve exited with ${code} before listening:\n${stderr}`)));
  });
}

/** A plain GET on 127.0.0.1, without keep-alive. */
export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

export interface CliConnectOptions {
  /** What follows `podmcp connect` (`-n NAMESPACE deploy/NAME`). */
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** The MCP client's name (as the sidecar's audit shows it). */
  readonly name: string;
  /** Answers the sidecar's questions to the user (approvals); without it the client declares no elicitation. */
  readonly elicit?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
}

/** An MCP client over stdio to a `podmcp connect` child, as an agent runs it; its stderr is kept. */
export async function connectThroughCli(options: CliConnectOptions): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PODMCP_BIN, 'connect', ...options.args],
    env: options.env,
    cwd: REPO,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const { elicit } = options;
  const client = new Client(
    { name: options.name, version: '1.0.0' },
    elicit ? { capabilities: { elicitation: { form: {} } } } : {},
  );
  if (elicit) client.setRequestHandler('elicitation/create', (request) => elicit(request));
  await client.connect(transport);
  return { client, stderr: () => stderr };
}
