/**
 * Runs one scenario against the webhook and the baseline in alternating rounds (A B B A A B …), so slow
 * drift of the machine (thermal, other tenants, JIT settling) lands on both sides alike.
 */
import type { RecordableHistogram } from 'node:perf_hooks';
import type { ServerRole, ServerUsage } from './ipc.ts';
import { type LoadPlan, type LoadTarget, newLatencyHistogram, runLoad } from './load.ts';
import type { Scenario } from './scenarios.ts';
import type { ServerProcess } from './server-process.ts';

export interface ComparePlan {
  readonly connections: number;
  /** Measured seconds per server, split evenly over the rounds. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly maxRequestsPerRound: number;
  readonly requestTimeoutMs: number;
}

export interface Contender {
  readonly server: ServerProcess;
  readonly target: LoadTarget;
}

export interface SideResult {
  readonly requests: number;
  readonly errors: number;
  readonly errorSamples: ReadonlyMap<string, number>;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Server CPU time (user + system) per right answer, errors included in the time. */
  readonly cpuMicrosPerRequest: number;
  /** Share of one core the server process used while loaded. */
  readonly serverCpuShare: number;
  /** Share of one core the load generator used meanwhile; near 100% means the client, not the server, was the limit. */
  readonly clientCpuShare: number;
  /** Resident memory of the server process right after the scenario, and the most it ever held. */
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly webhook: SideResult;
  readonly baseline: SideResult;
}

interface Tally {
  requests: number;
  errors: number;
  errorSamples: Map<string, number>;
  seconds: number;
  cpuMicros: number;
  clientCpuMicros: number;
  latency: RecordableHistogram;
}

export async function compareScenario(
  scenario: Scenario,
  contenders: Record<ServerRole, Contender>,
  plan: ComparePlan,
): Promise<ScenarioResult> {
  await contenders.baseline.server.answerWith(scenario.answerBody);
  const load = (role: ServerRole, seconds: number) =>
    runLoad(contenders[role].target, scenario.requestBody, scenario.check, {
      connections: plan.connections,
      seconds,
      maxRequests: plan.maxRequestsPerRound,
      requestTimeoutMs: plan.requestTimeoutMs,
    } satisfies LoadPlan);

  // Warm-up opens every connection (TLS handshakes stay out of the numbers) and lets the JIT settle;
  // its wrong answers still count, so a broken server cannot hide behind it.
  const tallies = { webhook: newTally(), baseline: newTally() };
  for (const role of ['webhook', 'baseline'] as const) {
    const warm = await load(role, plan.warmupSeconds);
    addErrors(tallies[role], warm.errors, warm.errorSamples);
  }

  const roundSeconds = plan.seconds / plan.rounds;
  for (const role of alternatingOrder(plan.rounds)) {
    const before = await contenders[role].server.usage();
    const clientBefore = process.cpuUsage();
    const result = await load(role, roundSeconds);
    const client = process.cpuUsage(clientBefore);
    const after = await contenders[role].server.usage();
    const tally = tallies[role];
    tally.requests += result.ok;
    tally.seconds += result.seconds;
    tally.cpuMicros += after.cpuMicros - before.cpuMicros;
    tally.clientCpuMicros += client.user + client.system;
    tally.latency.add(result.latency);
    addErrors(tally, result.errors, result.errorSamples);
  }

  const [webhookUsage, baselineUsage] = await Promise.all([
    contenders.webhook.server.usage(),
    contenders.baseline.server.usage(),
  ]);
  return {
    scenario,
    webhook: summarize(tallies.webhook, webhookUsage),
    baseline: summarize(tallies.baseline, baselineUsage),
  };
}

/** webhook, baseline, baseline, webhook, webhook, baseline, … — 2 × rounds entries. */
export function alternatingOrder(rounds: number): ServerRole[] {
  return Array.from({ length: rounds }, (_, round): ServerRole[] =>
    round % 2 === 0 ? ['webhook', 'baseline'] : ['baseline', 'webhook'],
  ).flat();
}

function newTally(): Tally {
  return {
    requests: 0,
    errors: 0,
    errorSamples: new Map(),
    seconds: 0,
    cpuMicros: 0,
    clientCpuMicros: 0,
    latency: newLatencyHistogram(),
  };
}

function addErrors(tally: Tally, errors: number, samples: ReadonlyMap<string, number>): void {
  tally.errors += errors;
  for (const [message, count] of samples)
    tally.errorSamples.set(message, (tally.errorSamples.get(message) ?? 0) + count);
}

function summarize(tally: Tally, usage: ServerUsage): SideResult {
  const ms = (percentile: number) =>
    tally.latency.count === 0 ? Number.NaN : tally.latency.percentile(percentile) / 1000;
  return {
    requests: tally.requests,
    errors: tally.errors,
    errorSamples: tally.errorSamples,
    seconds: tally.seconds,
    requestsPerSecond: tally.seconds > 0 ? tally.requests / tally.seconds : 0,
    latencyMs: {
      p50: ms(50),
      p90: ms(90),
      p99: ms(99),
      max: tally.latency.count === 0 ? Number.NaN : tally.latency.max / 1000,
    },
    cpuMicrosPerRequest: tally.requests > 0 ? tally.cpuMicros / tally.requests : Number.NaN,
    serverCpuShare: tally.seconds > 0 ? tally.cpuMicros / (tally.seconds * 1e6) : 0,
    clientCpuShare: tally.seconds > 0 ? tally.clientCpuMicros / (tally.seconds * 1e6) : 0,
    rssBytes: usage.rssBytes,
    peakRssBytes: usage.peakRssBytes,
  };
}
