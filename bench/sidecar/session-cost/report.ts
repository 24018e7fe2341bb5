/**
 * The session-cost section's results, its goals and its markdown: pure, so the sidecar report can render it
 * without the scenarios' machinery.
 */
import type { ServerName } from '../mcp-servers.ts';
import type { ScenarioName } from './scenarios.ts';

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
