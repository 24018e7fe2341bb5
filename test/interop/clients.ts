/**
 * The independent MCP clients of the interop suite — the official Python SDK (python/client.py), the official
 * Go SDK (go/main.go) and the official conformance suite — made ready and run as processes.
 *
 * Making them ready is cached per machine under $PODMCP_CACHE_DIR/interop (python/setup.sh, go/build.sh), so
 * only a first run pays for pip and `go build`. Where a client cannot be had (no python3 with venv, no Go), a
 * developer's run skips its tests with the reason; a CI run fails instead, like the control plane.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipOrFail } from '../control-plane/suite.ts';

export const INTEROP = fileURLToPath(new URL('./', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PODMCP_BIN = join(REPO, 'packages', 'cli', 'bin', 'podmcp.js');
export const CONFORMANCE_BIN = join(REPO, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
export const PYTHON_CLIENT = join(INTEROP, 'python', 'client.py');

/** What every client prints: one JSON object, the same shape for Python and Go. */
export interface ClientSummary {
  readonly client: { readonly name: string; readonly version: string };
  readonly transport: 'stdio' | 'http';
  readonly server: { readonly name: string; readonly version: string; readonly protocolVersion: string } | null;
  readonly tools: string[];
  readonly listPods: { readonly isError: boolean; readonly structured: unknown; readonly text: string } | null;
  readonly resources: string[];
  readonly self: { readonly uri: string; readonly mimeType: string; readonly text: string } | null;
  readonly prompts: string[];
  readonly prompt: { readonly messages: number; readonly text: string } | null;
  readonly errors: string[];
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a process to its end, collecting its output; killed after `timeoutMs`. */
export function run(
  command: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly timeoutMs?: number } = {},
): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 100_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/** A client's JSON summary from its stdout; fails with everything it printed when there is none. */
export function summaryOf(ran: Ran): ClientSummary {
  const line = ran.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as ClientSummary;
  } catch {
    throw new Error(`the client printed no JSON summary (exit ${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
  }
}

export interface Prepared {
  /** The venv's python, or the Go binary; undefined when unavailable. */
  readonly path: string | undefined;
  /** `false` when ready, else why the tests are skipped: pass it as node:test's `skip`. */
  readonly skip: string | false;
  readonly ms: number;
}

/**
 * Runs a set-up script (python/setup.sh, go/build.sh), whose last stdout line is what it made. Its progress
 * goes to this process's stderr. Exit 3 means the toolchain is missing; any failure skips locally and throws
 * under CI (suite.ts's rule).
 */
export async function prepare(what: string, script: string, toolchain: string): Promise<Prepared> {
  const ran = await run('bash', [join(INTEROP, script)], { timeoutMs: 15 * 60_000 });
  process.stderr.write(ran.stderr);
  const path = ran.stdout.trim().split('\n').at(-1);
  if (ran.code === 0 && path && existsSync(path)) return { path, skip: false, ms: ran.ms };
  const why = ran.code === 3 ? `${toolchain} is not installed` : `${script} exited with ${ran.code}`;
  const reason = `no ${what}: ${why} (see the output above)`;
  return { path: undefined, skip: skipOrFail(reason), ms: ran.ms };
}

/** The conformance suite's baseline: each server scenario that cannot apply to podmcp, and why. */
export interface ConformanceBaseline {
  readonly conformance: string;
  readonly suite: string;
  readonly notApplicable: Readonly<Record<string, string>>;
}

export function conformanceBaseline(): ConformanceBaseline {
  return JSON.parse(readFileSync(join(INTEROP, 'conformance-baseline.json'), 'utf8')) as ConformanceBaseline;
}

export function installedConformanceVersion(): string {
  const manifest = join(REPO, 'node_modules', '@modelcontextprotocol', 'conformance', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Every server scenario the installed conformance suite knows, from `conformance list --server`. */
export async function conformanceScenarios(): Promise<string[]> {
  const listed = await run(process.execPath, [CONFORMANCE_BIN, 'list', '--server']);
  if (listed.code !== 0) throw new Error(`conformance list failed:\n${listed.stdout}\n${listed.stderr}`);
  return [...listed.stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] as string);
}

export interface ScenarioResult {
  readonly scenario: string;
  /**
   * Every check that ended in FAILURE or WARNING, as "STATUS id: message" — the conformance CLI counts a
   * warning as a failure when judging a baseline, and so does this.
   */
  readonly failures: string[];
  /** Every check's status, in order. */
  readonly statuses: string[];
}

/** Reads `conformance server -o DIR`: one `server-<scenario>-<timestamp>/checks.json` per scenario. */
export function conformanceResults(outputDirectory: string): ScenarioResult[] {
  return readdirSync(outputDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('server-'))
    .map((entry) => {
      const scenario = entry.name.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
      const checks = JSON.parse(readFileSync(join(outputDirectory, entry.name, 'checks.json'), 'utf8')) as Array<{
        id: string;
        status: string;
        errorMessage?: string;
        details?: { message?: string };
      }>;
      return {
        scenario,
        statuses: checks.map((check) => check.status),
        failures: checks
          .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
          .map((check) => `${check.status} ${check.id}: ${check.errorMessage ?? check.details?.message ?? ''}`),
      };
    })
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}
