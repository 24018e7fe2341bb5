/**
 * Session cost: what a whole troubleshooting session costs an agent on each server. Six broken workloads
 * (scenarios.ts), each walked with the server's fixed runbook (runbooks.ts) until its facts
 * are in the answers. Counted: calls, bytes of tool output (the text a model reads), the catalogue
 * (tools/list as JSON, with and without output schemas) and the bytes re-read over the session: a model
 * re-reads the catalogue and every earlier answer on each turn, one turn before each call and one after the
 * last. Runs as a section of bench/sidecar/main.ts, or alone: `node bench/sidecar/session-cost/main.ts [--quick] [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ControlPlane,
  ControlPlaneUnavailableError,
  startControlPlane,
} from '../../../test/control-plane/harness.ts';
import { runScript, stopAfter } from '../../shared/script.ts';
import {
  goPeerSpec,
  installPeers,
  peersDirectory,
  podmcpSpec,
  type ServerSpec,
  startServer,
  tsPeerSpec,
} from '../mcp-servers.ts';
import { readOnlyWorld } from '../world.ts';
import {
  evaluateSessionGoals,
  renderSessionMarkdown,
  rereadBytes,
  type SessionCall,
  type SessionResults,
  type SessionScenarioResult,
  type SessionServerResult,
} from './report.ts';
import { runbookFor } from './runbooks.ts';
import { createScenarios, type Scenario } from './scenarios.ts';

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
  const { world, serverWorld } = await readOnlyWorld(plane, scratch, 'session');
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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => !['--quick', '--json', '--no-peers'].includes(arg));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown flag(s): ${unknown.join(' ')}\nusage: node bench/sidecar/session-cost/main.ts [--quick] [--no-peers] [--json]\n`,
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
