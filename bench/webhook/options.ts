/** Command-line flags of the webhook benchmark, checked and bounded so no invocation runs unattended for long. */
import { parseArgs } from 'node:util';
import { flagValues, numberFlag, UsageError } from '../shared/flags.ts';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.ts';

export interface BenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  readonly maxRequestsPerRound: number;
  readonly scenarios: readonly ScenarioName[];
  readonly json: boolean;
  readonly quick: boolean;
  /** Where the webhook's server process writes a V8 CPU profile (node --cpu-prof), if anywhere. */
  readonly cpuProfileDir: string | undefined;
  /** A source tree whose webhook takes the baseline's place, so two versions are measured in one run. */
  readonly against: string | undefined;
}

export const USAGE = `Usage: node bench/webhook/main.ts [options]

Benchmarks the podmcp injector webhook against a bare node:https server that answers a constant
AdmissionReview, side by side on 127.0.0.1, and prints throughput, latency and cost ratios.

Options:
  --duration <s>       measured seconds per server per scenario (default 3, --quick 0.6, max 60)
  --warmup <s>         warm-up seconds per server per scenario (default 1, --quick 0.2, max 30)
  --connections <n>    concurrent keep-alive connections (default 8, max 256)
  --rounds <n>         alternating rounds per server per scenario (default 2, max 10)
  --max-requests <n>   request budget per round, whichever of it and the time runs out first (default 1000000)
  --scenarios <list>   comma-separated subset of: ${SCENARIO_NAMES.join(', ')} (default all)
  --quick              short run for CI smoke checks; the numbers are noisy
  --json               print machine-readable results instead of tables
  --cpu-prof <dir>     write a V8 CPU profile of each webhook server process to <dir> (open in DevTools)
  --against <dir>      in the baseline's place, the webhook of another source tree (an earlier commit's
                       packages/ and bench/, unpacked where node_modules resolves); ratios = this ÷ that
  --help               print this text`;

/** Returns undefined when --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const values = flagValues(() => parse(argv));
  if (values.help) return undefined;
  const quick = values.quick ?? false;
  return {
    seconds: numberFlag('duration', values.duration, quick ? 0.6 : 3, { min: 0.1, max: 60 }),
    warmupSeconds: numberFlag('warmup', values.warmup, quick ? 0.2 : 1, { min: 0.1, max: 30 }),
    connections: numberFlag('connections', values.connections, 8, { min: 1, max: 256, integer: true }),
    rounds: numberFlag('rounds', values.rounds, 2, { min: 1, max: 10, integer: true }),
    maxRequestsPerRound: numberFlag('max-requests', values['max-requests'], 1_000_000, {
      min: 1,
      max: 100_000_000,
      integer: true,
    }),
    scenarios: scenarioList(values.scenarios),
    json: values.json ?? false,
    quick,
    cpuProfileDir: values['cpu-prof'],
    against: values.against,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      'max-requests': { type: 'string' },
      scenarios: { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      against: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
}

function scenarioList(text: string | undefined): ScenarioName[] {
  if (text === undefined) return [...SCENARIO_NAMES];
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `--scenarios takes a comma-separated subset of ${SCENARIO_NAMES.join(', ')}; got ${JSON.stringify(text)}`,
    );
  }
  return [...new Set(names as ScenarioName[])];
}
