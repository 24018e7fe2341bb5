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
import { MODERN_ERA_ENABLED } from '../../packages/sidecar/src/mcp/wire/era.ts';
import { skipOrFail } from '../control-plane/suite.ts';

export const INTEROP = fileURLToPath(new URL('./', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PODMCP_BIN = join(REPO, 'packages', 'cli', 'bin', 'podmcp.js');
export const CONFORMANCE_BIN = join(REPO, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
/** The conformance prerelease that carries the 2026-07-28 requirement set (an npm alias beside 0.1.16). */
export const CONFORMANCE_2026_BIN = join(
  REPO,
  'node_modules',
  '@modelcontextprotocol',
  'conformance-2026',
  'dist',
  'index.js',
);
export const PYTHON_CLIENT = join(INTEROP, 'python', 'client.py');

/** The newest 2025 version (answered to initialize) and the sessionless revision (server/discover + `_meta`). */
export const LEGACY_VERSION = '2025-11-25';
export const MODERN_VERSION = '2026-07-28';

/**
 * The version a client that prefers the newest era (Python `mode='auto'`, Go's default, the Inspector's
 * `auto`) must end up with against this build: 2026-07-28 once the sidecar's era switch is on, and while it is
 * off the 2025 fallback, because the sidecar must then never advertise 2026-07-28. Either way the negotiated
 * version is asserted, so a modern path that quietly fell back to 2025 fails.
 */
export const PREFERRED_VERSION = MODERN_ERA_ENABLED ? MODERN_VERSION : LEGACY_VERSION;
export { MODERN_ERA_ENABLED };

/** What every client prints: one JSON object, the same shape for Python and Go. */
export interface ClientSummary {
  readonly client: { readonly name: string; readonly version: string };
  readonly transport: 'stdio' | 'http';
  /** The era asked for: Python's `--era`, Go's `-protocol-version` (empty: the SDK's default). */
  readonly mode: string;
  /**
   * Who answered and what the connection negotiated: `era` is `legacy` after initialize, `modern` after
   * server/discover (or a pin, whose server name then comes from a result's serverInfo stamp).
   */
  readonly server: {
    readonly name: string;
    readonly version: string;
    readonly protocolVersion: string;
    readonly era: 'legacy' | 'modern';
  } | null;
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

/**
 * The 2026-07-28 run's baseline: entries are a whole scenario (`tools-call-image`) or one check of a scenario
 * (`server-stateless:sep-2575-…`), as the conformance CLI reads them, each with the reason it cannot pass;
 * `notScored` explains the scenarios the requirement set runs for visibility only (they cannot fail the run).
 */
export interface Conformance2026Baseline {
  readonly conformance: string;
  readonly requirements: string;
  readonly notApplicable: Readonly<Record<string, string>>;
  readonly notScored: Readonly<Record<string, string>>;
}

export function conformanceBaseline2026(): Conformance2026Baseline {
  const file = join(INTEROP, 'conformance-baseline-2026-07-28.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Conformance2026Baseline;
}

export function installedConformanceVersion(bin = CONFORMANCE_BIN): string {
  const manifest = join(bin, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Every server scenario the installed conformance suite knows, from `conformance list --server`. */
export async function conformanceScenarios(): Promise<string[]> {
  const listed = await run(process.execPath, [CONFORMANCE_BIN, 'list', '--server']);
  if (listed.code !== 0) throw new Error(`conformance list failed:\n${listed.stdout}\n${listed.stderr}`);
  return [...listed.stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] as string);
}

/**
 * The server scenarios a requirement set names, from `conformance list --server --requirements R`: `required`
 * decide the run, `notScored` (extensions, pending, added after the release) run for visibility only.
 */
export async function requiredScenarios(requirements: string): Promise<{ required: string[]; notScored: string[] }> {
  const listed = await run(process.execPath, [
    CONFORMANCE_2026_BIN,
    'list',
    '--server',
    '--requirements',
    requirements,
  ]);
  if (listed.code !== 0) throw new Error(`conformance list failed:\n${listed.stdout}\n${listed.stderr}`);
  return parseRequirementList(listed.stdout);
}

/** The listing's "Server scenarios" section, and the `[server]` entries of its "never scored" section. */
export function parseRequirementList(text: string): { required: string[]; notScored: string[] } {
  const required: string[] = [];
  const notScored: string[] = [];
  let section: 'server' | 'other' | 'unscored' = 'other';
  for (const line of text.split('\n')) {
    if (/^Server scenarios/.test(line)) section = 'server';
    else if (/^Client scenarios/.test(line)) section = 'other';
    else if (/^Run and reported, but never scored/.test(line)) section = 'unscored';
    const item = /^\s+- (\S+)(?: \[(\w+)\])?\s*$/.exec(line);
    if (!item) continue;
    if (section === 'server') required.push(item[1] as string);
    else if (section === 'unscored' && item[2] === 'server') notScored.push(item[1] as string);
  }
  return { required, notScored };
}

export interface CheckResult {
  readonly id: string;
  readonly status: string;
  readonly message: string;
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
  /** Every check. */
  readonly checks: CheckResult[];
}

/** Whether a check counts against a baseline (the conformance CLI's rule). */
export function isFailure(check: CheckResult): boolean {
  return check.status === 'FAILURE' || check.status === 'WARNING';
}

/** Reads `conformance server -o DIR`: one `server-<scenario>-<timestamp>/checks.json` per scenario. */
export function conformanceResults(outputDirectory: string): ScenarioResult[] {
  return readdirSync(outputDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('server-'))
    .map((entry) => {
      const scenario = entry.name.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
      const raw = JSON.parse(readFileSync(join(outputDirectory, entry.name, 'checks.json'), 'utf8')) as Array<{
        id: string;
        status: string;
        errorMessage?: string;
        details?: { message?: string };
      }>;
      const checks = raw.map((check) => ({
        id: check.id,
        status: check.status,
        message: check.errorMessage ?? check.details?.message ?? '',
      }));
      return {
        scenario,
        checks,
        statuses: checks.map((check) => check.status),
        failures: checks.filter(isFailure).map((check) => `${check.status} ${check.id}: ${check.message}`),
      };
    })
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

/**
 * Judges a run against baseline entries (`scenario` or `scenario:check`), as the conformance CLI does per
 * check: `unexpected` are failures no entry excuses, `stale` are entries with nothing left to excuse (a whole
 * scenario that passed, or a named check that ran and passed). A named check that never ran is tolerated: a
 * scenario that stops at a failed prerequisite never reaches its later checks.
 */
export function judge(
  results: readonly ScenarioResult[],
  entries: readonly string[],
): { unexpected: string[]; stale: string[] } {
  const whole = new Set(entries.filter((entry) => !entry.includes(':')));
  const perCheck = new Set(entries.filter((entry) => entry.includes(':')));
  const unexpected: string[] = [];
  const stale: string[] = [];
  for (const result of results) {
    if (whole.has(result.scenario)) {
      if (result.failures.length === 0) stale.push(result.scenario);
      continue;
    }
    for (const check of result.checks) {
      const entry = `${result.scenario}:${check.id}`;
      if (isFailure(check) && !perCheck.has(entry)) unexpected.push(`${entry} ${check.status}: ${check.message}`);
    }
  }
  for (const entry of perCheck) {
    const [scenario, id] = entry.split(/:(.*)/s) as [string, string];
    const ran = results.find((result) => result.scenario === scenario)?.checks.filter((check) => check.id === id);
    if (ran && ran.length > 0 && !ran.some(isFailure) && ran.some((check) => check.status === 'SUCCESS')) {
      stale.push(entry);
    }
  }
  return { unexpected, stale };
}
