/**
 * Webhook benchmark: the real injector webhook and a bare node:https baseline, each in its own process,
 * loaded in turn from this one over keep-alive TLS on 127.0.0.1 with the same AdmissionReviews. Prints
 * ratios rather than absolute numbers, because only the ratio carries over between machines.
 * Exits 1 if any answer was wrong, 2 on bad flags; stops itself if a run overstays its time budget.
 */
import { Agent } from 'node:https';
import { availableParallelism } from 'node:os';
import { optionsOrExitCode, runScript, stopAfter } from '../shared/script.ts';
import { type ComparePlan, type Contender, compareScenario, type ScenarioResult } from './compare.ts';
import type { ServerRole } from './ipc.ts';
import { type BenchOptions, parseOptions, USAGE } from './options.ts';
import { renderJson, renderText, totalErrors } from './report.ts';
import { buildScenarios } from './scenarios.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';
import { mintTlsIdentity, type TlsIdentity } from './tls-identity.ts';

const REQUEST_TIMEOUT_MS = 5_000;
// Certificate minting, and per scenario server start-up, IPC and stragglers, on top of the asked-for load time.
const OVERHEAD_BUDGET_SECONDS = 30;
const PER_SCENARIO_OVERHEAD_SECONDS = 10;

async function main(): Promise<number> {
  const options = optionsOrExitCode(() => parseOptions(process.argv.slice(2)), USAGE);
  if (typeof options === 'number') return options;
  stopAfter('webhook benchmark', timeBudgetSeconds(options));

  const scenarios = buildScenarios(options.scenarios);
  const tls = await mintTlsIdentity();
  const plan: ComparePlan = { ...options, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    if (!options.json) process.stderr.write(`running ${scenario.name} …\n`);
    results.push(await withFreshServers(tls, options, (contenders) => compareScenario(scenario, contenders, plan)));
  }

  const facts = { nodeVersion: process.version, cpus: availableParallelism() };
  const rendered = options.json ? renderJson(results, options, facts) : renderText(results, options, facts);
  process.stdout.write(`${rendered}\n`);
  return totalErrors(results) > 0 ? 1 : 0;
}

/**
 * A new pair of server processes per scenario, so each scenario's memory figures are its own rather than
 * the high-water mark of whatever ran before it (the 2000-env-var pod would otherwise inflate the rest).
 */
async function withFreshServers<T>(
  tls: TlsIdentity,
  options: BenchOptions,
  use: (contenders: Record<ServerRole, Contender>) => Promise<T>,
): Promise<T> {
  const started = await Promise.allSettled([
    startServerProcess('webhook', tls, { cpuProfileDir: options.cpuProfileDir }),
    startServerProcess('baseline', tls, { source: options.against }),
  ]);
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const agents: Agent[] = [];
  try {
    const [webhook, baseline] = started.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    }) as [ServerProcess, ServerProcess];
    const contender = (server: ServerProcess): Contender => {
      const agent = keepAliveAgent(tls, options);
      agents.push(agent);
      return { server, target: { port: server.port, agent } };
    };
    return await use({ webhook: contender(webhook), baseline: contender(baseline) });
  } finally {
    for (const agent of agents) agent.destroy();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Exactly `connections` sockets per server, opened in the warm-up so handshakes stay out of the numbers. */
function keepAliveAgent(tls: TlsIdentity, options: BenchOptions): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: options.connections,
    maxFreeSockets: options.connections,
    ca: tls.caPem,
  });
}

function timeBudgetSeconds(options: BenchOptions): number {
  const perScenario =
    2 * (options.warmupSeconds + options.seconds) +
    (REQUEST_TIMEOUT_MS / 1000) * 2 * options.rounds +
    PER_SCENARIO_OVERHEAD_SECONDS;
  return options.scenarios.length * perScenario + OVERHEAD_BUDGET_SECONDS;
}

runScript('webhook benchmark', main);
