/**
 * Session cost: what a whole troubleshooting session costs an agent on each server. Six broken workloads
 * (session-scenarios.ts), each walked with the server's fixed runbook (session-runbooks.ts) until its facts
 * are in the answers. Counted: calls, bytes of tool output (the text a model reads), the catalogue
 * (tools/list as JSON, with and without output schemas) and the bytes re-read over the session: a model
 * re-reads the catalogue and every earlier answer on each turn, one turn before each call and one after the
 * last. Runs as a section of bench/sidecar.ts, or alone: `node bench/session-cost.ts [--quick] [--json]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type ControlPlane, ControlPlaneUnavailableError, startControlPlane } from '../test/control-plane/harness.ts';
import { createWorld } from '../test/e2e/sidecar/fixture.ts';
import {
  goPeerSpec,
  installPeers,
  peersDirectory,
  podmcpSpec,
  type ServerName,
  type ServerSpec,
  type ServerWorld,
  startServer,
  tsPeerSpec,
} from './mcp-servers.ts';
import { runScript, stopAfter } from './script.ts';
import { runbookFor } from './session-runbooks.ts';
import { createScenarios, type Scenario, type ScenarioName } from './session-scenarios.ts';

export interface SessionCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly textBytes: number;
  readonly isError: boolean;
}

export interface SessionScenarioResult {
  readonly scenario: ScenarioName;
  readonly calls: SessionCall[];
  readonly outputBytes: number;
  /** Every fact of the scenario was in the answers when the runbook stopped. */
  readonly factsFound: boolean;
  readonly missingFacts: string[];
}

export interface SessionServerResult {
  readonly server: ServerName;
  readonly tools: number;
  readonly catalogueBytes: number;
  readonly catalogueWithOutputSchemaBytes: number;
  readonly scenarios: SessionScenarioResult[];
  readonly calls: number;
  readonly outputBytes: number;
  /** Σ over turns of (catalogue without output schemas + answers so far). */
  readonly rereadBytes: number;
  readonly rereadWithOutputSchemaBytes: number;
}

export interface SessionResults {
  readonly namespace: string;
  readonly scenarios: Array<{ name: ScenarioName; workload: string; facts: string[] }>;
  readonly servers: SessionServerResult[];
  readonly goals: SessionGoal[];
}

export interface SessionGoal {
  readonly goal: string;
  readonly met: boolean;
  readonly detail: string;
}

/**
 * Bytes re-read over a session of `answers` calls: turn k (k = 0 … n) reads the catalogue and answers 0 … k-1.
 */
export function rereadBytes(catalogue: number, answers: readonly number[]): number {
  const n = answers.length;
  return (n + 1) * catalogue + answers.reduce((sum, bytes, index) => sum + (n - index) * bytes, 0);
}

/**
 * The text as a model reads it, whatever the wrapping: YAML folds long strings over lines (with `\` at a
 * break) and JSON escapes quotes, so facts are matched on the words, not the layout.
 */
export function readable(text: string): string {
  return text
    .replace(/\\(?=\s)/g, '')
    .replace(/\\"/g, '"')
    .replace(/\s+/g, ' ');
}

/** Runs the section on a running control plane; `peers` is the peers' install directory, or undefined. */
export async function runSessionSection(
  plane: ControlPlane,
  scratch: string,
  peers: string | undefined,
  log: (message: string) => void,
): Promise<SessionResults> {
  const world = await createWorld(plane, { prefix: 'session' });
  const kubeconfigFile = join(scratch, 'session.kubeconfig');
  writeFileSync(kubeconfigFile, kubeconfigYaml(plane, world.sidecarToken, world.namespace), { mode: 0o600 });
  const serverWorld: ServerWorld = { home: scratch, kubeconfigFile, namespace: world.namespace };
  log(`session cost: six broken workloads in ${world.namespace}`);
  const scenarios = await createScenarios(plane, world.namespace);
  const specs: ServerSpec[] = [podmcpSpec(serverWorld)];
  if (peers) specs.push(goPeerSpec(serverWorld, peers), tsPeerSpec(serverWorld, peers));
  const servers: SessionServerResult[] = [];
  for (const spec of specs) {
    log(`session cost: ${spec.name}`);
    servers.push(await runSession(spec, scenarios, world.namespace));
  }
  return {
    namespace: world.namespace,
    scenarios: scenarios.map((scenario) => ({
      name: scenario.name,
      workload: `${scenario.kind}/${scenario.workload}`,
      facts: scenario.facts.map((fact) => fact.source),
    })),
    servers,
    goals: evaluateSessionGoals(servers, scenarios.length),
  };
}

async function runSession(spec: ServerSpec, scenarios: readonly Scenario[], namespace: string) {
  const server = await startServer(spec);
  try {
    const { tools } = await server.client.listTools();
    const catalogueWithOutputSchemaBytes = Buffer.byteLength(JSON.stringify({ tools }));
    const catalogueBytes = Buffer.byteLength(
      JSON.stringify({ tools: tools.map(({ outputSchema: _left, ...tool }) => tool) }),
    );
    const results: SessionScenarioResult[] = [];
    for (const scenario of scenarios) {
      const calls: SessionCall[] = [];
      let context = '';
      let missing = scenario.facts;
      for (const call of runbookFor(spec.name, scenario, namespace)) {
        let text: string;
        let isError: boolean;
        try {
          const result = await server.client.callTool({ name: call.tool, arguments: call.args });
          text = (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('\n');
          isError = result.isError === true;
        } catch (error) {
          // A protocol error still reaches the model as text.
          text = (error as Error).message;
          isError = true;
        }
        calls.push({ ...call, textBytes: Buffer.byteLength(text), isError });
        context += `\n${text}`;
        missing = scenario.facts.filter((fact) => !fact.test(readable(context)));
        if (missing.length === 0) break;
      }
      results.push({
        scenario: scenario.name,
        calls,
        outputBytes: calls.reduce((sum, call) => sum + call.textBytes, 0),
        factsFound: missing.length === 0,
        missingFacts: missing.map((fact) => fact.source),
      });
    }
    const answers = results.flatMap((result) => result.calls.map((call) => call.textBytes));
    return {
      server: spec.name,
      tools: tools.length,
      catalogueBytes,
      catalogueWithOutputSchemaBytes,
      scenarios: results,
      calls: answers.length,
      outputBytes: answers.reduce((sum, bytes) => sum + bytes, 0),
      rereadBytes: rereadBytes(catalogueBytes, answers),
      rereadWithOutputSchemaBytes: rereadBytes(catalogueWithOutputSchemaBytes, answers),
    };
  } finally {
    await server.close();
  }
}

/** The goals of the lean-session work, against the peers measured in the same run (podmcp's own without them). */
export function evaluateSessionGoals(servers: readonly SessionServerResult[], scenarios: number): SessionGoal[] {
  const podmcp = servers.find((server) => server.server === 'podmcp');
  if (!podmcp) return [];
  const peers = servers.filter((server) => server.server !== 'podmcp');
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const goals: SessionGoal[] = [];
  const perScenario = podmcp.scenarios.map((scenario) => scenario.calls.length);
  goals.push({
    goal: 'podmcp: at most 1 call per scenario, with every fact found',
    met: perScenario.every((calls) => calls <= 1) && podmcp.scenarios.every((scenario) => scenario.factsFound),
    detail: `${podmcp.calls} calls for ${scenarios} scenarios (${perScenario.join(', ')})`,
  });
  goals.push({
    goal: 'podmcp: read-only catalogue with output schemas ≤ 12 KB',
    met: podmcp.catalogueWithOutputSchemaBytes <= 12 * 1024,
    detail: kb(podmcp.catalogueWithOutputSchemaBytes),
  });
  if (peers.length > 0) {
    const leanest = peers.reduce((best, peer) =>
      peer.catalogueBytes / peer.tools < best.catalogueBytes / best.tools ? peer : best,
    );
    const allowed = (leanest.catalogueBytes / leanest.tools) * podmcp.tools;
    goals.push({
      goal: 'podmcp: read-only catalogue without output schemas ≤ the leanest peer’s for the same tool count',
      met: podmcp.catalogueBytes <= allowed,
      detail: `${kb(podmcp.catalogueBytes)} for ${podmcp.tools} tools; ${leanest.server}: ${kb(leanest.catalogueBytes)} for ${leanest.tools}`,
    });
    const best = peers.reduce((low, peer) => (peer.rereadBytes < low.rereadBytes ? peer : low));
    goals.push({
      goal: 'podmcp: bytes re-read over the session ≤ 0.5× the best peer’s',
      met: podmcp.rereadBytes <= 0.5 * best.rereadBytes,
      detail: `${kb(podmcp.rereadBytes)} vs ${best.server} ${kb(best.rereadBytes)} (${(podmcp.rereadBytes / best.rereadBytes).toFixed(2)}×)`,
    });
  }
  return goals;
}

export function renderSessionMarkdown(session: SessionResults): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const lines: string[] = ['### Session cost', ''];
  lines.push(
    'Six broken workloads, each walked with the server’s fixed runbook (bench/README.md) until the facts are in the answers. Output: the text a model reads. Re-read: the catalogue without output schemas and every earlier answer, once per turn.',
    '',
  );
  const names = session.servers.map((server) => server.server);
  lines.push(`| scenario | ${names.map((name) => `${name}: calls / output`).join(' | ')} |`);
  lines.push(`| --- | ${names.map(() => '---').join(' | ')} |`);
  for (const scenario of session.scenarios) {
    const cells = session.servers.map((server) => {
      const row = server.scenarios.find((entry) => entry.scenario === scenario.name);
      if (!row) return '—';
      return `${row.calls.length} / ${kb(row.outputBytes)}${row.factsFound ? '' : ` (missing ${row.missingFacts.join(', ')})`}`;
    });
    lines.push(`| ${scenario.name} | ${cells.join(' | ')} |`);
  }
  lines.push(
    `| **total** | ${session.servers.map((server) => `${server.calls} / ${kb(server.outputBytes)}`).join(' | ')} |`,
  );
  lines.push('');
  lines.push('| server | tools | catalogue | with output schemas | re-read over the session | with output schemas |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const server of session.servers) {
    lines.push(
      `| ${server.server} | ${server.tools} | ${kb(server.catalogueBytes)} | ${kb(server.catalogueWithOutputSchemaBytes)} | ${kb(server.rereadBytes)} | ${kb(server.rereadWithOutputSchemaBytes)} |`,
    );
  }
  lines.push('');
  for (const goal of session.goals) lines.push(`- ${goal.met ? 'met' : '**missed**'}: ${goal.goal} — ${goal.detail}`);
  lines.push('');
  return lines.join('\n');
}

function kubeconfigYaml(plane: ControlPlane, token: string, namespace: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'bench',
        cluster: { server: plane.server, 'certificate-authority-data': Buffer.from(plane.caPem).toString('base64') },
      },
    ],
    users: [{ name: 'read-only', user: { token } }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'read-only', namespace } }],
    'current-context': 'bench',
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => !['--quick', '--json', '--no-peers'].includes(arg));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown flag(s): ${unknown.join(' ')}\nusage: node bench/session-cost.ts [--quick] [--no-peers] [--json]\n`,
    );
    return 2;
  }
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  stopAfter('session-cost benchmark', 600);
  const peers = quick || args.includes('--no-peers') ? undefined : peersDirectory();
  if (peers) installPeers(peers);
  const log = (message: string) => process.stderr.write(`[session] ${message}\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'podmcp-session-'));
  let plane: ControlPlane;
  try {
    plane = await startControlPlane({ nodes: true });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (error instanceof ControlPlaneUnavailableError) {
      process.stderr.write(`session-cost benchmark: no control plane: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
  try {
    const session = await runSessionSection(plane, scratch, peers, log);
    process.stdout.write(json ? `${JSON.stringify(session, null, 2)}\n` : `${renderSessionMarkdown(session)}\n`);
    const podmcp = session.servers.find((server) => server.server === 'podmcp');
    return podmcp?.scenarios.every((scenario) => scenario.factsFound) ? 0 : 1;
  } finally {
    await plane.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.main) runScript('session-cost benchmark', main);
