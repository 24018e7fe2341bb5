/**
 * The webhook at a fixed request rate (open loop), where bench/webhook/main.ts measures it at saturation: requests
 * leave on a schedule (500 a second by default) whether or not earlier answers are in, and latency counts
 * from the scheduled time, so queueing behind a slow answer is not hidden. The webhook and the bare
 * node:https baseline (the same server processes bench/webhook/main.ts uses) are run in turn, per scenario.
 *
 *   node bench/webhook/rate.ts [--quick] [--json]
 */
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { percentile } from '../shared/stats.ts';
import { buildScenarios, type Scenario, type ScenarioName } from './scenarios.ts';
import { type ServerProcess, startServerProcess } from './server-process.ts';
import { mintTlsIdentity, type TlsIdentity } from './tls-identity.ts';

const REQUEST_TIMEOUT_MS = 5_000;

export interface RateRun {
  readonly scenario: ScenarioName;
  readonly server: 'webhook' | 'baseline';
  readonly targetRate: number;
  readonly achievedRate: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorSample: string | undefined;
  readonly latencyMs: { p50: number | null; p99: number | null; max: number | null };
}

const PLAN: ReadonlyArray<{ scenario: ScenarioName; rate: number }> = [
  { scenario: 'opted-in', rate: 500 },
  { scenario: 'not-opted-in', rate: 500 },
  { scenario: 'env-2000', rate: 500 },
  { scenario: 'env-2000', rate: 100 },
];

async function atRate(server: ServerProcess, agent: Agent, scenario: Scenario, rate: number, seconds: number) {
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  let errors = 0;
  let errorSample: string | undefined;
  const began = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let index = 0; index < total; index += 1) {
    const scheduled = began + (index * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // Timers run on the event loop's millisecond clock, so a request may leave up to a millisecond early: it
    // counts from when it left, never from before (a negative latency). One that leaves late counts from its
    // scheduled time, the conservative side.
    const start = Math.min(scheduled, performance.now());
    inFlight.push(
      post(server.port, agent, scenario.requestBody).then(
        ({ status, text }) => {
          const problem = scenario.check(status, text);
          if (problem) {
            errors += 1;
            errorSample ??= problem;
          } else latencies.push(performance.now() - start);
        },
        (error: Error) => {
          errors += 1;
          errorSample ??= error.message;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - began) / 1000;
  return {
    requests: total,
    errors,
    errorSample,
    achievedRate: latencies.length / elapsed,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
  };
}

function post(port: number, agent: Agent, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function runWebhookAtRate(options: { quick: boolean }): Promise<RateRun[]> {
  const seconds = options.quick ? 0.5 : 5;
  const tls: TlsIdentity = await mintTlsIdentity();
  const runs: RateRun[] = [];
  for (const { scenario: name, rate } of PLAN) {
    const [scenario] = buildScenarios([name]);
    if (!scenario) continue;
    const servers = {
      webhook: await startServerProcess('webhook', tls),
      baseline: await startServerProcess('baseline', tls),
    };
    try {
      await servers.baseline.answerWith(scenario.answerBody);
      for (const role of ['webhook', 'baseline'] as const) {
        const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: tls.caPem });
        try {
          // Warm-up: opens connections and lets the JIT settle, a quarter of the measured time.
          await atRate(servers[role], agent, scenario, rate, seconds / 4);
          const measured = await atRate(servers[role], agent, scenario, rate, seconds);
          runs.push({ scenario: name, server: role, targetRate: rate, ...measured });
        } finally {
          agent.destroy();
        }
      }
    } finally {
      await Promise.all([servers.webhook.stop(), servers.baseline.stop()]);
    }
  }
  return runs;
}

export function renderRateTable(runs: readonly RateRun[]): string {
  const ms = (value: number | null) => (value === null ? '–' : `${value.toFixed(2)} ms`);
  const lines = [
    '| scenario | rate | server | achieved req/s | p50 | p99 | max | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    lines.push(
      `| ${run.scenario} | ${run.targetRate}/s | ${run.server} | ${run.achievedRate.toFixed(0)} | ${ms(run.latencyMs.p50)} | ${ms(run.latencyMs.p99)} | ${ms(run.latencyMs.max)} | ${run.errors} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const runs = await runWebhookAtRate({ quick });
  process.stdout.write(`${process.argv.includes('--json') ? JSON.stringify(runs, null, 2) : renderRateTable(runs)}\n`);
  process.exit(runs.some((run) => run.errors > 0) ? 1 : 0);
}
