/**
 * The injected sidecar's memory as the kubelet accounts it, on the real node (kubelet, containerd, runc; see
 * test/node): the image from `npm run image`, examples/demo injected as the webhook would with the shipped
 * configuration (`podmcp inject --config manifests/base/injector.yaml`), its sidecar the first podmcp process on
 * the node. Each variant is a copy of that injected pod with other resources and environment (heap caps,
 * allocator and thread-pool settings), run side by side in one run under the same agent load as
 * test/e2e/real-node-load.test.ts: M agents × K tool calls through one `podmcp connect --listen` per variant,
 * several rounds, the variants taking turns. Reported per variant: the container's cgroup memory idle and after
 * load (current, lifetime peak, and how much of it is anonymous memory rather than reclaimable file cache), the
 * process's resident set and its peak (/proc), the V8 heap (the sidecar's /metrics), the answers (result, "busy",
 * error), restarts, and whether the pod stayed Ready throughout.
 *
 * Runs alone (`node bench/sidecar/real-node.ts [--variants a,b] [--json]`) or as a section of the sidecar bench.
 * Exit status alone: 0 when every variant answered without errors or restarts, 1 otherwise, 2 on bad flags, 3
 * when this machine cannot run the real node.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, type KubernetesObject, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLAIMED_IDENTITY_HEADER } from '@podmcp/core';
import { eventually } from '../../test/control-plane/kube.ts';
import {
  parseObjects,
  readyPods,
  kubectl as runKubectl,
  sidecarStatus,
  toYaml,
  withTestApp,
} from '../../test/node/demo-workload.ts';
import { type ReadinessWatch, watchReadiness } from '../../test/node/observe.ts';
import { ensurePodmcpImage } from '../../test/node/podmcp-image.ts';
import {
  ControlPlaneUnavailableError,
  type RealNode,
  realNodeUnavailable,
  startRealNode,
} from '../../test/node/real-node.ts';
import { flagValues, numberFlag, UsageError } from '../shared/flags.ts';
import { optionsOrExitCode, runScript, stopAfter } from '../shared/script.ts';
import { percentile } from '../shared/stats.ts';
import { type MemorySample, sample } from './real-node-memory.ts';
import {
  FIRST_ON_NODE,
  NAMESPACE,
  type SidecarVariant,
  settingsOf,
  VARIANTS,
  variantDeployment,
} from './real-node-variants.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PODMCP_BIN = join(REPO, 'packages', 'cli', 'bin', 'podmcp.js');
const DEMO = 'app.kubernetes.io/name=demo-app';
/** The cluster defaults the shipped injector mounts (manifests/base). */
const INJECTOR_CONFIG = 'manifests/base/injector.yaml';
const SIDECAR_CLUSTER_ROLES = 'manifests/components/sidecar-rbac/clusterroles.yaml';
const TOOLS = ['list_pods', 'get_pod_logs', 'list_events', 'diagnose'] as const;
const MIB = 2 ** 20;
const log = (message: string) =>
  process.stderr.write(`[real-node] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

export interface RealNodeOptions {
  readonly variants: readonly SidecarVariant[];
  readonly clients: number;
  readonly callsPerClient: number;
  readonly rounds: number;
  /** Seconds every variant sits idle after start before the idle sample. */
  readonly idleSeconds: number;
  /** More objects in the namespace, so lists and events answer at size: Pending pods, events (a quarter warnings). */
  readonly pods: number;
  readonly events: number;
}

export const REAL_NODE_DEFAULTS: Omit<RealNodeOptions, 'variants'> = {
  clients: 20,
  callsPerClient: 50,
  rounds: 3,
  idleSeconds: 30,
  pods: 0,
  events: 0,
};

export interface VariantResult {
  readonly variant: SidecarVariant;
  readonly limitBytes: number | null;
  readonly idle: MemorySample;
  readonly afterLoad: MemorySample;
  readonly answers: { readonly ok: number; readonly busy: number; readonly error: number };
  readonly errorSamples: readonly string[];
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly roundSeconds: readonly number[];
  readonly restarts: number;
  readonly lastTermination: string | null;
  readonly readyThroughout: boolean;
}

export type RealNodeSection =
  | { readonly ran: false; readonly reason: string }
  | {
      readonly ran: true;
      readonly clients: number;
      readonly callsPerClient: number;
      readonly rounds: number;
      readonly idleSeconds: number;
      readonly pods: number;
      readonly events: number;
      readonly variants: readonly VariantResult[];
    };

type Outcome = 'ok' | 'busy' | 'error';

function kubectlOn(node: RealNode) {
  return (args: readonly string[], input?: string) => runKubectl(node.plane.kubeconfigFile, REPO, args, input);
}

/**
 * examples/demo with the node's test app, one replica (the first sidecar on the node), and the rate limit at its
 * maximum (memory is measured here, not the limit).
 */
function demoObjects(yaml: string, appImage: string): KubernetesObject[] {
  const objects = withTestApp(parseObjects(yaml), appImage);
  for (const object of objects) {
    const spec = object.kind === 'Deployment' ? (object as V1Deployment).spec : undefined;
    if (spec) spec.replicas = 1;
    const template = spec?.template;
    if (template?.metadata) {
      template.metadata.annotations = { ...template.metadata.annotations, 'podmcp.dev/rate-limit': '6000' };
    }
  }
  return objects;
}

/** `podmcp connect --listen 0` to one variant's Deployment: its URL once it listens. */
async function connectListening(node: RealNode, deployment: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [PODMCP_BIN, 'connect', '--listen', '0', '-n', NAMESPACE, deployment], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', KUBECONFIG: node.plane.kubeconfigFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await eventually(
    `podmcp connect ${deployment} to listen`,
    () => /listening on (\S+\/mcp)/.exec(stderr)?.[1],
  );
  return { url, child };
}

async function call(client: Client, tool: string): Promise<{ outcome: Outcome; text: string }> {
  try {
    const result = await client.callTool({ name: tool, arguments: {} });
    const text = (result.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('\n');
    if (!result.isError) return { outcome: 'ok', text };
    return { outcome: text.startsWith('Busy') ? 'busy' : 'error', text };
  } catch (error) {
    return { outcome: 'error', text: (error as Error).message };
  }
}

interface LoadTally {
  readonly answers: Record<Outcome, number>;
  readonly errorSamples: string[];
  readonly latenciesMs: number[];
  readonly roundSeconds: number[];
}

/** One round: M agents, each its own session and claimed identity, K calls in a row; "busy" waits 2 s. */
async function loadRound(url: string, options: RealNodeOptions, tally: LoadTally): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: options.clients }, async (_, index) => {
      const client = new Client({ name: `bench-agent-${index}`, version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { [CLAIMED_IDENTITY_HEADER]: `bench-agent-${index}` } },
        }),
      );
      return client;
    }),
  );
  const began = performance.now();
  await Promise.all(
    clients.map(async (client, index) => {
      for (let i = 0; i < options.callsPerClient; i += 1) {
        const sent = performance.now();
        const answer = await call(client, TOOLS[(index + i) % TOOLS.length] as string);
        tally.answers[answer.outcome] += 1;
        if (answer.outcome === 'ok') tally.latenciesMs.push(performance.now() - sent);
        if (answer.outcome === 'error' && tally.errorSamples.length < 5)
          tally.errorSamples.push(answer.text.slice(0, 200));
        if (answer.outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }),
  );
  tally.roundSeconds.push((performance.now() - began) / 1000);
  await Promise.all(clients.map((client) => client.close()));
}

/** Whether a pod of `deployment` went from Ready to not Ready in the watch's history. */
function stayedReady(readiness: ReadinessWatch, deployment: string): boolean {
  const last = new Map<string, boolean>();
  for (const transition of readiness.history()) {
    if (!transition.pod.startsWith(`${deployment}-`)) continue;
    if (last.get(transition.pod) === true && !transition.ready) return false;
    last.set(transition.pod, transition.ready);
  }
  return true;
}

/** A measured pod: one variant's copy, or the demo's own injected pod. */
interface Target {
  readonly variant: SidecarVariant;
  readonly deployment: string;
  readonly selector: string;
}

/** Pending pods (held by a scheduling gate, so nothing retries them) and events, a quarter of them warnings. */
async function seed(node: RealNode, counts: { pods: number; events: number }): Promise<void> {
  const core = node.plane.kubeConfig.makeApiClient(CoreV1Api);
  const batches = async (count: number, make: (index: number) => Promise<unknown>) => {
    for (let start = 0; start < count; start += 25) {
      await Promise.all(Array.from({ length: Math.min(25, count - start) }, (_, offset) => make(start + offset)));
    }
  };
  await batches(counts.pods, (index) =>
    core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: `filler-${index}`, labels: { 'app.kubernetes.io/name': 'filler' } },
        spec: {
          schedulingGates: [{ name: 'bench.podmcp.dev/hold' }],
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: node.testAppImage,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    }),
  );
  const now = new Date();
  await batches(counts.events, (index) =>
    core.createNamespacedEvent({
      namespace: NAMESPACE,
      body: {
        metadata: { name: `filler.${index}` },
        involvedObject: { kind: 'Pod', namespace: NAMESPACE, name: `filler-${index % Math.max(1, counts.pods)}` },
        reason: index % 4 === 0 ? 'BackOff' : 'Pulled',
        message: `filler event ${index}: ${'x'.repeat(120)}`,
        type: index % 4 === 0 ? 'Warning' : 'Normal',
        count: 1 + (index % 7),
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'kubelet' },
      },
    }),
  );
}

async function measure(node: RealNode, options: RealNodeOptions): Promise<VariantResult[]> {
  const kubectl = kubectlOn(node);
  // Injected offline, exactly as the webhook would with the shipped configuration, and applied before any other
  // podmcp process runs on the node: the demo's sidecar is the first, as one sidecar is on every node.
  const demo = toYaml(demoObjects(kubectl(['kustomize', 'examples/demo']), node.testAppImage));
  const injectedDemo = execFileSync(process.execPath, [PODMCP_BIN, 'inject', '--config', INJECTOR_CONFIG], {
    cwd: REPO,
    input: demo,
    encoding: 'utf8',
  });
  // The sidecar's ClusterRoles, which the injector's installation brings; the demo binds the read-only one.
  kubectl(['apply', '-f', SIDECAR_CLUSTER_ROLES]);
  kubectl(['apply', '-f', '-'], injectedDemo);
  const [injected] = await readyPods(node.plane.kubeConfig, NAMESPACE, DEMO, 1, 180_000);
  if (!injected) throw new Error('no injected demo pod');
  if (options.pods > 0 || options.events > 0) {
    log(`seeding ${options.pods} pending pods and ${options.events} events`);
    await seed(node, options);
  }
  const targets: Target[] = [
    { variant: FIRST_ON_NODE, deployment: 'demo-app', selector: DEMO },
    ...options.variants.map((variant) => ({
      variant,
      deployment: `bench-${variant.name}`,
      selector: `app.kubernetes.io/name=bench-${variant.name}`,
    })),
  ];

  const readiness = await watchReadiness(node.plane.kubeConfig, NAMESPACE, 'app.kubernetes.io/name');
  const listeners: ChildProcess[] = [];
  const podOf = async (target: Target, timeoutMs = 180_000) =>
    (await readyPods(node.plane.kubeConfig, NAMESPACE, target.selector, 1, timeoutMs))[0] as V1Pod;
  try {
    log(`starting ${options.variants.length} variants: ${options.variants.map((v) => v.name).join(', ')}`);
    kubectl(['apply', '-f', '-'], toYaml(options.variants.map((variant) => variantDeployment(injected, variant))));
    const pods = new Map<Target, V1Pod>();
    for (const target of targets) pods.set(target, await podOf(target));
    log(`all Ready; idle ${options.idleSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    const idle = new Map<Target, MemorySample & { limitBytes: number | null }>();
    for (const target of targets) idle.set(target, await sample(node, NAMESPACE, pods.get(target) as V1Pod));

    const urls = new Map<Target, string>();
    for (const target of targets) {
      const opened = await connectListening(node, `deploy/${target.deployment}`);
      listeners.push(opened.child);
      urls.set(target, opened.url);
    }
    const tallies = new Map<Target, LoadTally>(
      targets.map((target) => [
        target,
        { answers: { ok: 0, busy: 0, error: 0 }, errorSamples: [], latenciesMs: [], roundSeconds: [] },
      ]),
    );
    for (let round = 0; round < options.rounds; round += 1) {
      // The targets take turns, the order rotating each round, so none always runs on a warmer machine.
      const order = targets.map((_, index) => targets[(index + round) % targets.length] as Target);
      for (const target of order) {
        const tally = tallies.get(target) as LoadTally;
        await loadRound(urls.get(target) as string, options, tally);
        log(`round ${round + 1} ${target.variant.name}: ${JSON.stringify(tally.answers)}`);
      }
    }
    // Sessions closed; a short pause lets the last answers' garbage be collected as it would be in service.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const results: VariantResult[] = [];
    for (const target of targets) {
      const live = await podOf(target, 60_000);
      const tally = tallies.get(target) as LoadTally;
      const { limitBytes, ...idleSample } = idle.get(target) as MemorySample & { limitBytes: number | null };
      const { limitBytes: _, ...afterLoad } = await sample(node, NAMESPACE, live);
      const statuses = [...(live.status?.containerStatuses ?? []), ...(live.status?.initContainerStatuses ?? [])];
      results.push({
        variant: target.variant,
        limitBytes,
        idle: idleSample,
        afterLoad,
        answers: tally.answers,
        errorSamples: tally.errorSamples,
        latencyMs: { p50: percentile(tally.latenciesMs, 50), p99: percentile(tally.latenciesMs, 99) },
        roundSeconds: tally.roundSeconds,
        restarts: statuses.reduce((sum, entry) => sum + entry.restartCount, 0),
        lastTermination: sidecarStatus(live)?.lastState?.terminated?.reason ?? null,
        readyThroughout: stayedReady(readiness, target.deployment),
      });
    }
    return results;
  } finally {
    readiness.stop();
    for (const child of listeners) child.kill('SIGTERM');
  }
}

/**
 * Starts the real node (waiting for its machine-wide lock), measures the variants, and tears it all down.
 * `{ ran: false }` with the reason when this machine cannot run the real node.
 */
export async function runRealNodeSection(options: RealNodeOptions): Promise<RealNodeSection> {
  const missing = realNodeUnavailable();
  if (missing) return { ran: false, reason: missing };
  const image = ensurePodmcpImage();
  let node: RealNode;
  try {
    log('starting the real node');
    node = await startRealNode({ images: [image] });
  } catch (error) {
    if (error instanceof ControlPlaneUnavailableError) return { ran: false, reason: error.message };
    throw error;
  }
  try {
    const variants = await measure(node, options);
    const { clients, callsPerClient, rounds, idleSeconds, pods, events } = options;
    return { ran: true, clients, callsPerClient, rounds, idleSeconds, pods, events, variants };
  } catch (error) {
    process.stderr.write(`[real-node] diagnostics:\n${node.diagnostics()}\n`);
    throw error;
  } finally {
    await node.stop();
  }
}

/** The rows the sidecar bench measures besides the first sidecar on the node: the settings before, and the shipped. */
const BENCH_VARIANTS: readonly string[] = ['before', 'injected'];
/** What this section adds to the sidecar bench's time budget: an image build, the node, 3 rows × 3 rounds. */
export const REAL_NODE_BUDGET_SECONDS = 1500;

/** The section as `npm run bench` runs it: not in --quick (it takes minutes and the machine-wide node lock). */
export function realNodeForBench(quick: boolean): Promise<RealNodeSection> {
  if (quick) return Promise.resolve({ ran: false, reason: 'not in --quick (a real node takes minutes)' });
  const variants = VARIANTS.filter((variant) => BENCH_VARIANTS.includes(variant.name));
  return runRealNodeSection({ ...REAL_NODE_DEFAULTS, variants });
}

const mib = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '–' : (bytes / MIB).toFixed(1);

/** The section as markdown: one row per variant, memory in MiB. */
export function realNodeMarkdown(section: RealNodeSection): string {
  if (!section.ran) return `#### Sidecar container on the real node\n\nNot run: ${section.reason}\n`;
  const seeded =
    section.pods + section.events > 0
      ? `, ${section.pods} more pods and ${section.events} events in the namespace`
      : '';
  const header = [
    '#### Sidecar container on the real node (MiB)',
    '',
    `${section.clients} agents × ${section.callsPerClient} calls through \`podmcp connect\`, ${section.rounds} rounds per row (rows taking turns)${seeded}; idle sampled after ${section.idleSeconds} s. cgroup: current (anonymous + shmem, which reclaim cannot drop; the rest is file cache) and the lifetime peak; process: VmRSS (of it file-backed), VmHWM; V8 heap from the sidecar's /metrics.`,
    '',
    '| row | request / limit | settings | idle current (anon) | idle RSS (file) | idle heap | **cgroup peak** | after current (anon) | RSS peak | heap used / total after | ok / busy / error | p50 / p99 ms | restarts | Ready throughout |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const rows = section.variants.map((result) => {
    const { variant, idle, afterLoad: after, answers, latencyMs } = result;
    const cells = [
      variant.name,
      `${variant.memoryRequest} / ${variant.memoryLimit}`,
      settingsOf(variant),
      `${mib(idle.currentBytes)} (${mib(idle.anonBytes)})`,
      `${mib(idle.rssBytes)} (${mib(idle.rssFileBytes)})`,
      mib(idle.heapUsedBytes),
      `**${mib(after.peakBytes)}**`,
      `${mib(after.currentBytes)} (${mib(after.anonBytes)})`,
      mib(after.rssPeakBytes),
      `${mib(after.heapUsedBytes)} / ${mib(after.heapTotalBytes)}`,
      `${answers.ok} / ${answers.busy} / ${answers.error}`,
      `${latencyMs.p50?.toFixed(0) ?? '–'} / ${latencyMs.p99?.toFixed(0) ?? '–'}`,
      `${result.restarts}${result.lastTermination ? ` (${result.lastTermination})` : ''}`,
      result.readyThroughout ? 'yes' : '**no**',
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [...header, ...rows, ''].join('\n');
}

/** Whether every variant answered with no error, never restarted, and stayed Ready. */
export function realNodeClean(section: RealNodeSection): boolean {
  return (
    !section.ran ||
    section.variants.every((result) => result.answers.error === 0 && result.restarts === 0 && result.readyThroughout)
  );
}

const USAGE = `usage: node bench/sidecar/real-node.ts [--variants a,b,…] [--clients n] [--calls-per-client n] [--rounds n] [--idle s] [--pods n] [--events n] [--json]

variants: ${VARIANTS.map((variant) => `${variant.name} (${variant.about})`).join('; ')}`;

function parseOptions(argv: readonly string[]): (RealNodeOptions & { json: boolean }) | undefined {
  const values = flagValues(() =>
    parseArgs({
      args: [...argv],
      options: {
        variants: { type: 'string' },
        clients: { type: 'string' },
        'calls-per-client': { type: 'string' },
        rounds: { type: 'string' },
        idle: { type: 'string' },
        pods: { type: 'string' },
        events: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }),
  );
  if (values.help) return undefined;
  const names = values.variants?.split(',').map((name) => name.trim()) ?? VARIANTS.map((variant) => variant.name);
  const variants = names.map((name) => {
    const variant = VARIANTS.find((candidate) => candidate.name === name);
    if (!variant) throw new UsageError(`--variants: unknown variant ${JSON.stringify(name)}`);
    return variant;
  });
  const d = REAL_NODE_DEFAULTS;
  return {
    variants,
    clients: numberFlag('clients', values.clients, d.clients, { min: 1, max: 100, integer: true }),
    callsPerClient: numberFlag('calls-per-client', values['calls-per-client'], d.callsPerClient, {
      min: 1,
      max: 1000,
      integer: true,
    }),
    rounds: numberFlag('rounds', values.rounds, d.rounds, { min: 1, max: 10, integer: true }),
    idleSeconds: numberFlag('idle', values.idle, d.idleSeconds, { min: 0, max: 600 }),
    pods: numberFlag('pods', values.pods, d.pods, { min: 0, max: 2000, integer: true }),
    events: numberFlag('events', values.events, d.events, { min: 0, max: 10000, integer: true }),
    json: values.json,
  };
}

async function main(): Promise<number> {
  const options = optionsOrExitCode(() => parseOptions(process.argv.slice(2)), USAGE);
  if (typeof options === 'number') return options;
  stopAfter('real-node memory benchmark', 60 * 60);
  const section = await runRealNodeSection(options);
  if (!section.ran) {
    process.stderr.write(`real-node memory benchmark: ${section.reason}\n`);
    return 3;
  }
  process.stdout.write(options.json ? `${JSON.stringify(section, null, 2)}\n` : `${realNodeMarkdown(section)}\n`);
  return realNodeClean(section) ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) runScript('real-node memory benchmark', main);
