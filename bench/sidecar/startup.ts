/**
 * Cold start without a cluster: spawn → initialize → first tools/list answered over stdio, for podmcp from the
 * TypeScript sources, as the image's bundle (packages/image/src/bundle.ts) with and without its baked compile
 * cache, and the Go peer when `npm run bench` has installed it. The API server in the kubeconfig refuses
 * (loopback port 1): every server starts anyway, so start-up is all that is measured. With `--ref COMMIT` the
 * same variants of that commit run too (its sources and its own bundle.ts), alternating with today's, so a
 * before/after comes from one run on one machine.
 *   node bench/sidecar/startup.ts [--runs 9] [--ref COMMIT] [--no-sources]
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bakeArguments } from '../../packages/image/src/compile-cache.ts';
import { TOOLS_LIST_ID, toolsListInput, unreachableKubeconfig } from '../../packages/image/src/serve-stdio.ts';
import { flagValues, numberFlag } from '../shared/flags.ts';
import { optionsOrExitCode, runScript, stopAfter } from '../shared/script.ts';
import { median } from '../shared/stats.ts';
import { goPeerSpec, PEER_PACKAGES, peersDirectory } from './mcp-servers.ts';

const REPO = new URL('../../', import.meta.url).pathname;

interface Variant {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

interface Start {
  readonly ms: number;
  /** User + system CPU time until the answer: less swayed than `ms` by other work on a shared machine. */
  readonly cpuMs: number;
}

/** CPU time a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One start: the time to the tools/list answer, and the CPU the process used until then (from /proc). */
function once(variant: Variant, input: string): Promise<Start> {
  const started = performance.now();
  const child = spawn(variant.command, [...variant.args], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...variant.env },
  });
  child.stdin.write(input);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${variant.name}: no tools/list answer in 60 s`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.split('\n').some((line) => line.includes(`"id":${TOOLS_LIST_ID}`) && line.includes('"tools"'))) return;
      const ms = performance.now() - started;
      const cpuMs = child.pid === undefined ? Number.NaN : cpuMsOf(child.pid);
      clearTimeout(timer);
      child.stdin.end();
      child.kill();
      child.once('exit', () => resolve({ ms, cpuMs }));
    });
    child.once('error', reject);
  });
}

/** podmcp of one source tree: from the sources, its bundle, and its bundle with a compile cache baked as the image does. */
async function podmcpVariants(label: string, root: string, work: string, kubeconfig: string): Promise<Variant[]> {
  const app = join(work, `${label}-app`);
  const { bundle } = (await import(
    join(root, 'packages/image/src/bundle.ts')
  )) as typeof import('../../packages/image/src/bundle.ts');
  await bundle(root, app);
  const cache = join(work, `${label}-compile-cache`);
  mkdirSync(cache);
  execFileSync(process.execPath, bakeArguments(app), { env: { NODE_COMPILE_CACHE: cache }, stdio: 'ignore' });
  const serve = ['serve', '--transport', 'stdio', '--kubeconfig', kubeconfig];
  const entry = join(app, 'podmcp.mjs');
  return [
    {
      name: `${label}: sources`,
      command: process.execPath,
      args: [join(root, 'packages/cli/bin/podmcp.js'), ...serve],
    },
    { name: `${label}: bundle`, command: process.execPath, args: [entry, ...serve] },
    {
      name: `${label}: bundle + compile cache`,
      command: process.execPath,
      args: [entry, ...serve],
      env: { NODE_COMPILE_CACHE: cache },
    },
  ];
}

/** The tree of `ref` in `dir`, resolving npm packages through this checkout's node_modules and @podmcp/* to itself. */
function checkout(ref: string, dir: string): string {
  mkdirSync(dir);
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', REPO, ref, dir]);
  mkdirSync(join(dir, 'node_modules/@podmcp'), { recursive: true });
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== '@podmcp') symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name));
  }
  for (const name of readdirSync(join(dir, 'packages'))) {
    symlinkSync(join(dir, 'packages', name), join(dir, 'node_modules/@podmcp', name));
  }
  return dir;
}

const USAGE = `Usage: node bench/sidecar/startup.ts [--runs N] [--ref COMMIT]
  --runs N       starts per variant, alternating; the median is reported (default 9, max 50)
  --ref COMMIT   also run that commit's podmcp (sources, bundle, bundle + compile cache) for a before/after
  --no-sources   leave out podmcp from the TypeScript sources (the slowest variant; the image runs the bundle)`;

function parse(): { runs: number; ref: string | undefined; sources: boolean } | undefined {
  const values = flagValues(() =>
    parseArgs({
      options: {
        runs: { type: 'string' },
        ref: { type: 'string' },
        'no-sources': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }),
  );
  if (values.help) return undefined;
  return {
    runs: numberFlag('runs', values.runs, 9, { min: 1, max: 50, integer: true }),
    ref: values.ref,
    sources: values['no-sources'] !== true,
  };
}

async function main(): Promise<number> {
  const options = optionsOrExitCode(parse, USAGE);
  if (typeof options === 'number') return options;
  const { runs } = options;
  stopAfter('startup', 120 + runs * 60);
  const values = options;
  const work = mkdtempSync(join(tmpdir(), 'podmcp-startup-'));
  try {
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, unreachableKubeconfig('default'));
    const podmcp: Variant[] = [];
    if (values.ref)
      podmcp.push(...(await podmcpVariants(values.ref, checkout(values.ref, join(work, 'ref')), work, kubeconfig)));
    podmcp.push(...(await podmcpVariants('now', REPO, work, kubeconfig)));
    const variants = values.sources ? podmcp : podmcp.filter((variant) => !variant.name.endsWith(': sources'));
    const peers = peersDirectory();
    const go = goPeerSpec({ home: work, kubeconfigFile: kubeconfig, namespace: 'default' }, peers);
    if (existsSync(go.command)) variants.push({ name: `${PEER_PACKAGES[0]} (Go)`, command: go.command, args: go.args });
    const input = toolsListInput('podmcp-startup-bench');
    const times = new Map<string, Start[]>(variants.map((variant) => [variant.name, []]));
    for (const variant of variants) await once(variant, input); // page cache, not counted
    // Alternating, so drift in the machine's load lands on every variant alike.
    for (let round = 0; round < runs; round++) {
      for (const variant of variants) times.get(variant.name)?.push(await once(variant, input));
    }
    console.log(`| variant | median | min | max | CPU median |\n| --- | --- | --- | --- | --- |`);
    for (const [name, starts] of times) {
      const ms = (value: number | null | undefined) => (value == null ? '–' : `${value.toFixed(0)} ms`);
      const list = starts.map((start) => start.ms);
      const cpu = median(starts.map((start) => start.cpuMs));
      console.log(
        `| ${name} | ${ms(median(list))} | ${ms(Math.min(...list))} | ${ms(Math.max(...list))} | ${ms(cpu)} |`,
      );
    }
    console.log(`\n${runs} runs each, alternating; Node ${process.version}.`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

runScript('startup', main);
