/** Command-line flags of the sidecar benchmark, checked and bounded so no invocation runs unattended for long. */
import { parseArgs } from 'node:util';
import { flagValues, numberFlag } from '../shared/flags.ts';

export interface SidecarBenchOptions {
  readonly quick: boolean;
  /** Install and run the peers (the full run does; --quick and --no-peers do not). */
  readonly peers: boolean;
  /** Seconds each server sits idle before its second RSS sample and the idle API-request count. */
  readonly idleSeconds: number;
  /** Cold starts per server; the median is reported. */
  readonly coldStarts: number;
  readonly pods: number;
  readonly events: number;
  readonly logLines: number;
  /** Calls per operation per server in the latency section. */
  readonly calls: number;
  /** Concurrent MCP clients against podmcp over Streamable HTTP, and calls per client. */
  readonly clients: number;
  readonly callsPerClient: number;
  /** Start the peers exactly as installed (mcp-server-kubernetes keeps its 1 MiB kubectl output buffer). */
  readonly peerDefaults: boolean;
  /** Run the webhook benchmark too and include its table. */
  readonly webhook: boolean;
  /** Run the real-node section where this machine can (never in --quick). */
  readonly realNode: boolean;
  readonly json: boolean;
  /** Where the JSON and markdown results go (bench/results/ by default). */
  readonly out: string;
}

export const SIDECAR_USAGE = `Usage: node bench/sidecar/main.ts [options]

Benchmarks the podmcp sidecar against peer MCP servers for Kubernetes (kubernetes-mcp-server and
mcp-server-kubernetes, installed into the podmcp cache for the run) and the direct API call with
@kubernetes/client-node, side by side on one local control plane, then runs the webhook benchmark.
Results: tables on stdout, bench/results/sidecar.json.tmp and bench/results/sidecar.md.tmp.

Options:
  --quick                  short smoke run: small namespace, few calls, no peers
  --no-peers               leave the peers out of a full run
  --peer-defaults          keep mcp-server-kubernetes's 1 MiB kubectl output buffer (list of 500 pods fails)
  --idle <s>               idle seconds before the second RSS sample (default 60, --quick 3, max 600)
  --cold-starts <n>        cold starts per server, median reported (default 5, --quick 2, max 20)
  --pods <n>               pods seeded in the namespace (default 500, --quick 40, max 2000)
  --events <n>             events seeded (default 2000, --quick 100, max 10000)
  --log-lines <n>          lines in the large pod log (default 20000, --quick 2000, max 200000)
  --calls <n>              calls per operation per server (default 30, --quick 3, max 1000)
  --clients <n>            concurrent MCP clients in the load section (default 50, --quick 4, max 200)
  --calls-per-client <n>   calls per client in the load section (default 200, --quick 10, max 2000)
  --no-webhook             skip the webhook benchmark
  --no-real-node           skip the real-node section (the sidecar container's cgroup memory on a real node)
  --out <dir>              results directory (default bench/results)
  --json                   print the JSON results on stdout instead of tables
  --help                   print this text`;

/** Returns undefined when --help was asked for. */
export function parseSidecarOptions(argv: readonly string[], defaultOut: string): SidecarBenchOptions | undefined {
  const values = flagValues(() => parse(argv));
  if (values.help) return undefined;
  const quick = values.quick ?? false;
  const int = (name: keyof typeof values, full: number, short: number, max: number, min = 1) =>
    numberFlag(name, values[name] as string | undefined, quick ? short : full, { min, max, integer: true });
  return {
    quick,
    peers: !quick && !(values['no-peers'] ?? false),
    idleSeconds: int('idle', 60, 3, 600, 0),
    coldStarts: int('cold-starts', 5, 2, 20),
    pods: int('pods', 500, 40, 2000),
    events: int('events', 2000, 100, 10_000, 0),
    logLines: int('log-lines', 20_000, 2000, 200_000),
    calls: int('calls', 30, 3, 1000),
    clients: int('clients', 50, 4, 200),
    callsPerClient: int('calls-per-client', 200, 10, 2000),
    peerDefaults: values['peer-defaults'] ?? false,
    webhook: !(values['no-webhook'] ?? false),
    realNode: !(values['no-real-node'] ?? false),
    json: values.json ?? false,
    out: values.out ?? defaultOut,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      'no-peers': { type: 'boolean' },
      'peer-defaults': { type: 'boolean' },
      idle: { type: 'string' },
      'cold-starts': { type: 'string' },
      pods: { type: 'string' },
      events: { type: 'string' },
      'log-lines': { type: 'string' },
      calls: { type: 'string' },
      clients: { type: 'string' },
      'calls-per-client': { type: 'string' },
      'no-webhook': { type: 'boolean' },
      'no-real-node': { type: 'boolean' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
}
