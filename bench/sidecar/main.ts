/**
 * Sidecar benchmark: podmcp against peer MCP servers for Kubernetes and against the direct API call, side by
 * side on one local control plane (etcd, kube-apiserver with an audit log, controllers, a kwok node) and one
 * seeded namespace, all authenticating with the same read-only ServiceAccount token. Sections: idle
 * footprint and cold start (also of podmcp as the image runs it), tool latency and answer size, the tool
 * catalogue as a model sees it, the same load on podmcp and the Go peer over Streamable HTTP, API requests
 * while idle and per call, the cost of a whole troubleshooting session, and the webhook benchmark. Prints
 * ratios and issue 15's goals, writes JSON and markdown under bench/results/ (*.tmp, ignored by git).
 *
 * Exit status: 0 when podmcp answered everything right, 1 when it did not or the run failed, 2 on bad flags,
 * 3 when no control plane could be had (the smoke test skips on that outside CI).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DEFAULTS } from '@podmcp/core';
import { resolveBinaries } from '../../test/control-plane/binaries.ts';
import {
  type ControlPlane,
  ControlPlaneUnavailableError,
  startControlPlane,
} from '../../test/control-plane/harness.ts';
import { SERVICE_ACCOUNT } from '../../test/e2e/sidecar/fixture.ts';
import { optionsOrExitCode, runScript, stopAfter } from '../shared/script.ts';
import { median, percentile } from '../shared/stats.ts';
import { runWebhookAtRate } from '../webhook/rate.ts';
import { type AuditRecord, agentOf, auditSetup, inWindow, readAudit } from './audit.ts';
import { type Catalogue, type Counterpart, compareCatalogues, measureCatalogue } from './catalogue.ts';
import { buildImageEntry, podmcpImageSpec } from './image-bundle.ts';
import { runLoadSection } from './load.ts';
import { injectedEnvText, startGoPeerHttp, startPodmcpHttp } from './load-servers.ts';
import {
  goPeerSpec,
  installPeers,
  peersDirectory,
  podmcpSpec,
  type RunningServer,
  rssBytes,
  type ServerName,
  type ServerSpec,
  startServer,
  tsPeerSpec,
} from './mcp-servers.ts';
import {
  type Answer,
  callOperation,
  directCall,
  expectedText,
  OPERATIONS,
  type Operation,
  type Target,
  toolCallFor,
} from './operations.ts';
import { parseSidecarOptions, SIDECAR_USAGE, type SidecarBenchOptions } from './options.ts';
// The injected sidecar's container on the real node, a section of its own (owned apart from this file).
import {
  REAL_NODE_BUDGET_SECONDS,
  type RealNodeSection,
  realNodeClean,
  realNodeForBench,
  realNodeMarkdown,
} from './real-node.ts';
import {
  evaluateEarlierGoals,
  evaluateGoals,
  type FootprintName,
  IMAGE_LABEL,
  renderMarkdown,
  type SidecarResults,
} from './report.ts';
import { seedNamespace } from './seed.ts';
import { runSessionSection } from './session-cost/main.ts';
import type { SessionResults } from './session-cost/report.ts';
import { readOnlyWorld } from './world.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const log = (message: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

async function main(): Promise<number> {
  const options = optionsOrExitCode(
    () => parseSidecarOptions(process.argv.slice(2), join(REPO, 'bench', 'results')),
    SIDECAR_USAGE,
  );
  if (typeof options === 'number') return options;
  stopAfter('sidecar benchmark', timeBudgetSeconds(options));

  const peers = options.peers ? peersDirectory() : undefined;
  if (peers) installPeers(peers);

  const scratch = mkdtempSync(join(tmpdir(), 'podmcp-bench-'));
  const external = Boolean(process.env.KUBECONFIG);
  const audit = external ? undefined : auditSetup(scratch);
  let plane: ControlPlane;
  const began = performance.now();
  try {
    log('starting the control plane');
    plane = await startControlPlane({ nodes: true, extraApiserverArgs: audit?.apiserverArgs ?? [] });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (error instanceof ControlPlaneUnavailableError) {
      process.stderr.write(`sidecar benchmark: no control plane: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
  try {
    const results = await run(options, plane, scratch, peers, audit?.logFile);
    const realNode: RealNodeSection = options.realNode
      ? await realNodeForBench(options.quick)
      : { ran: false, reason: '--no-real-node' };
    results.meta.totalSeconds = (performance.now() - began) / 1000;
    mkdirSync(options.out, { recursive: true });
    const markdown = `${renderMarkdown(results)}\n${realNodeMarkdown(realNode)}`;
    const json = JSON.stringify({ ...results, realNode }, null, 2);
    writeFileSync(join(options.out, 'sidecar.json.tmp'), `${json}\n`);
    writeFileSync(join(options.out, 'sidecar.md.tmp'), `${markdown}\n`);
    process.stdout.write(options.json ? `${json}\n` : `${markdown}\n`);
    log(`results in ${join(options.out, 'sidecar.json.tmp')} and sidecar.md.tmp`);
    return results.podmcpErrors === 0 && results.failures.length === 0 && realNodeClean(realNode) ? 0 : 1;
  } finally {
    await plane.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function run(
  options: SidecarBenchOptions,
  plane: ControlPlane,
  scratch: string,
  peers: string | undefined,
  auditLog: string | undefined,
): Promise<SidecarResults> {
  const { world, serverWorld } = await readOnlyWorld(plane, scratch, 'bench');
  const user = `system:serviceaccount:${world.namespace}:${SERVICE_ACCOUNT}`;

  // Session cost first: six broken workloads, each server with its fixed runbook (session-cost/main.ts). Its pods
  // must be scheduled and the seeded pods below are bound to the node directly, beyond its 250-pod capacity.
  // A failure here is reported (the run then exits 1) and the other sections still run.
  const failures: string[] = [];
  const session = await runSessionSection(plane, scratch, peers, log).catch((error: Error): SessionResults => {
    failures.push(`session cost: ${error.message}`);
    log(`session cost failed, its section left empty: ${error.message}`);
    return { namespace: '', scenarios: [], servers: [], goals: [] };
  });

  log(`seeding ${world.namespace}: ${options.pods} pods, ${options.events} events, ${options.logLines} log lines`);
  const seeded = await seedNamespace(plane, world.namespace, {
    pods: options.pods,
    events: options.events,
    logLines: options.logLines,
  });
  log(`seeded in ${seeded.seconds.toFixed(1)} s (${seeded.runningPods} pods Running)`);
  const target: Target = { namespace: world.namespace, logPod: seeded.logPod, deployment: seeded.deployment };

  const specs: ServerSpec[] = [podmcpSpec(serverWorld)];
  if (peers) specs.push(goPeerSpec(serverWorld, peers), tsPeerSpec(serverWorld, peers, options.peerDefaults));
  const names = specs.map((spec) => spec.name);
  log('bundling podmcp as the image does, with its compile cache');
  const imageEntry = await buildImageEntry(scratch);
  const image = podmcpImageSpec(serverWorld, imageEntry);
  const footprintSpecs: Array<{ label: FootprintName; spec: ServerSpec }> = [
    ...specs.map((spec) => ({ label: spec.name, spec })),
    { label: IMAGE_LABEL, spec: image },
  ];

  // 1. Cold start: spawn to the first tools/list answered, servers alternating so drift hits all alike.
  log(`cold starts: ${options.coldStarts} per server`);
  const coldStarts = new Map<FootprintName, number[]>(footprintSpecs.map(({ label }) => [label, []]));
  for (let round = 0; round < options.coldStarts; round += 1) {
    const order = round % 2 === 0 ? footprintSpecs : [...footprintSpecs].reverse();
    for (const { label, spec } of order) {
      const server = await startServer(spec);
      coldStarts.get(label)?.push(server.coldStartMs);
      await server.close();
    }
  }

  // Idle footprint and idle API requests: every server started, then left alone together.
  log(`starting ${names.join(', ')} and leaving them idle for ${options.idleSeconds} s`);
  const running = new Map<ServerName, RunningServer>();
  for (const spec of specs) running.set(spec.name, await startServer(spec));
  // The image's podmcp idles alongside, for its RSS; no section calls it.
  let imageServer: RunningServer | undefined = await startServer(image);
  try {
    const rssAfterStart = Object.fromEntries(names.map((name) => [name, rssBytes(server(running, name).pid)]));
    const imageRssAfterStart = rssBytes(imageServer.pid);
    await settle(1000);
    const podmcpHealth = server(running, 'podmcp').healthPort();
    const idleFrom = Date.now();
    const metricsBefore = await kubeRequestsOf(podmcpHealth);
    await settle(options.idleSeconds * 1000);
    const metricsAfter = await kubeRequestsOf(podmcpHealth);
    const idleTo = Date.now();
    const rssAfterIdle = Object.fromEntries(names.map((name) => [name, rssBytes(server(running, name).pid)]));
    const imageRssAfterIdle = rssBytes(imageServer.pid);
    await imageServer.close();
    imageServer = undefined;
    const catalogue = catalogueSection(running, names, target);
    const idleAudit = auditLog ? inWindow(readAudit(auditLog, user), idleFrom, idleTo) : undefined;

    // 2. Latency and answer size: a warm-up call each, then rounds over servers and the direct call.
    log(`latency: ${options.calls} calls per operation per server`);
    const latency: SidecarResults['latency'] = [];
    for (const operation of OPERATIONS) {
      const expected = expectedText(operation, target);
      const contenders: Array<{
        name: ServerName | 'direct';
        call: () => Promise<Answer>;
        tool: string;
        args: unknown;
      }> = [
        ...names.map((name) => {
          const call = toolCallFor(name, operation, target);
          return {
            name,
            tool: call.tool,
            args: call.args,
            call: () => callOperation(server(running, name).client, call, expected),
          };
        }),
        {
          name: 'direct' as const,
          tool: directToolName(operation),
          args: {},
          call: directCall(world.sidecarKubeConfig, operation, target),
        },
      ];
      const samples = new Map(contenders.map((contender) => [contender.name, [] as number[]]));
      const answers = new Map<string, Answer>();
      const problems = new Map<string, string[]>();
      for (let round = -1; round < options.calls; round += 1) {
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const contender of order) {
          const sent = performance.now();
          let answer: Answer;
          try {
            answer = await contender.call();
          } catch (error) {
            answer = { textBytes: 0, resultBytes: 0, problem: `threw: ${(error as Error).message.slice(0, 300)}` };
          }
          const elapsed = performance.now() - sent;
          if (round < 0) continue;
          if (answer.problem) problems.set(contender.name, [...(problems.get(contender.name) ?? []), answer.problem]);
          else samples.get(contender.name)?.push(elapsed);
          answers.set(contender.name, answer);
        }
      }
      for (const contender of contenders) {
        const times = samples.get(contender.name) ?? [];
        const answer = answers.get(contender.name);
        const errors = problems.get(contender.name) ?? [];
        latency.push({
          operation,
          server: contender.name,
          tool: contender.tool,
          args: contender.args,
          calls: options.calls,
          errors: errors.length,
          errorSample: errors[0],
          p50Ms: percentile(times, 50),
          p99Ms: percentile(times, 99),
          textBytes: answer && !answer.problem ? answer.textBytes : null,
          resultBytes: answer && !answer.problem ? answer.resultBytes : null,
          tokens: answer && !answer.problem ? Math.round(answer.textBytes / 4) : null,
        });
      }
    }

    // 4. API requests per call, steady state: one call of each operation per server, alone in its window.
    log('API requests per call');
    const perCall: SidecarResults['apiCost']['perCall'] = [];
    for (const name of names) {
      for (const operation of OPERATIONS) {
        const call = toolCallFor(name, operation, target);
        const before = name === 'podmcp' ? await kubeRequestsOf(podmcpHealth) : null;
        await settle(300);
        const from = Date.now();
        await callOperation(server(running, name).client, call, expectedText(operation, target)).catch(() => undefined);
        const to = Date.now();
        await settle(300);
        const after = name === 'podmcp' ? await kubeRequestsOf(podmcpHealth) : null;
        const records = auditLog ? inWindow(readAudit(auditLog, user), from - 5, to + 5) : undefined;
        perCall.push({
          server: name,
          operation,
          metrics: before === null || after === null ? null : after - before,
          audit: records ? records.length : null,
          userAgents: records ? [...new Set(records.map((record) => record.userAgent))] : [],
          requests: records ? records.map((record) => `${record.verb} ${record.uri.split('?')[0]}`) : [],
        });
      }
    }

    const allAudit = auditLog ? readAudit(auditLog, user) : [];
    const idleRequests = Object.fromEntries(
      names.map((name) => {
        if (name === 'podmcp') {
          const metrics = metricsBefore === null || metricsAfter === null ? null : metricsAfter - metricsBefore;
          const audit = idleAudit ? idleAudit.filter((record) => agentOf(record.userAgent) === 'node').length : null;
          return [name, { metrics, audit }];
        }
        const agent = name === 'kubernetes-mcp-server' ? 'kubernetes-mcp-server' : 'kubectl';
        return [
          name,
          { metrics: null, audit: idleAudit ? idleAudit.filter((r) => agentOf(r.userAgent) === agent).length : null },
        ];
      }),
    ) as SidecarResults['apiCost']['idle'];
    const idleSample = Object.fromEntries(
      (idleAudit ?? []).reduce((found, record) => {
        const key = `${record.userAgent.split(' ')[0]}: ${record.verb} ${record.uri.split('?')[0]}`;
        found.set(key, (found.get(key) ?? 0) + 1);
        return found;
      }, new Map<string, number>()),
    );

    const footprint: SidecarResults['footprint'] = footprintSpecs.map(({ label }) => ({
      server: label,
      coldStartMs: coldStarts.get(label) ?? [],
      coldStartMedianMs: median(coldStarts.get(label) ?? []),
      rssAfterStartBytes: (label === IMAGE_LABEL ? imageRssAfterStart : rssAfterStart[label]) ?? null,
      rssAfterIdleBytes: (label === IMAGE_LABEL ? imageRssAfterIdle : rssAfterIdle[label]) ?? null,
    }));
    const serversInfo = specs.map((spec) => ({
      name: spec.name,
      version: spec.version,
      describe: spec.describe,
      tools: server(running, spec.name).toolNames,
    }));
    for (const name of names) await server(running, name).close();
    running.clear();

    // 3. Load over Streamable HTTP: podmcp, then the Go peer with the same clients and calls.
    const plan = { clients: options.clients, callsPerClient: options.callsPerClient };
    log(`load: ${plan.clients} clients × ${plan.callsPerClient} calls against podmcp over Streamable HTTP`);
    const load = await runLoadSection(() => startPodmcpHttp(serverWorld, imageEntry), target, plan);
    log(
      `load: ${load.callsPerSecond.toFixed(1)} calls/s, ${load.errors} errors, p99 ${load.latencyMs.p99?.toFixed(1)} ms`,
    );
    let peerLoad: SidecarResults['peerLoad'] = null;
    if (peers) {
      log('load: the same against kubernetes-mcp-server over Streamable HTTP');
      peerLoad = await runLoadSection(() => startGoPeerHttp(serverWorld, peers), target, plan);
      log(
        `load: ${peerLoad.callsPerSecond.toFixed(1)} calls/s, ${peerLoad.errors} errors, p99 ${peerLoad.latencyMs.p99?.toFixed(1)} ms`,
      );
    }

    // 5. The webhook benchmark, as its own process, its JSON folded in.
    const webhook = options.webhook ? runWebhookBenchmark(options.quick) : { skipped: '--no-webhook' };
    if (options.webhook) log('webhook at a fixed rate');
    const webhookAtRate = options.webhook ? await runWebhookAtRate({ quick: options.quick }) : [];

    const podmcpErrors =
      latency.filter((row) => row.server === 'podmcp').reduce((sum, row) => sum + row.errors, 0) +
      load.errors +
      (session.servers.find((entry) => entry.server === 'podmcp')?.scenarios ?? []).filter(
        (scenario) => !scenario.factsFound,
      ).length;
    const results: SidecarResults = {
      meta: {
        date: new Date().toISOString(),
        quick: options.quick,
        node: process.version,
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryBytes: totalmem(),
        kubernetes: await kubernetesVersion(plane),
        external: plane.external,
        auditLog: Boolean(auditLog),
        options,
        seeded,
        namespace: world.namespace,
        totalSeconds: 0,
      },
      servers: serversInfo,
      image: { describe: image.describe },
      footprint,
      latency,
      apiCost: {
        idleSeconds: options.idleSeconds,
        idle: idleRequests,
        idleRequests: idleSample,
        perCall,
        forbidden: forbiddenRequests(allAudit),
      },
      catalogue,
      load,
      peerLoad,
      sidecarDefaults: {
        memoryRequest: BUILTIN_DEFAULTS.resources.memoryRequest,
        memoryLimit: BUILTIN_DEFAULTS.resources.memoryLimit,
        injectedEnv: injectedEnvText(),
      },
      webhook,
      webhookAtRate,
      session,
      podmcpErrors,
      failures,
      goals: [],
      earlierGoals: [],
    };
    results.goals = evaluateGoals(results);
    results.earlierGoals = evaluateEarlierGoals(results);
    return results;
  } finally {
    for (const [, running_] of running) await running_.close();
    await imageServer?.close();
  }
}

/**
 * Every running server's catalogue as a model sees it, against the Go peer's; a tool is paired with the Go
 * peer's tool for the same operation when it answers exactly one operation (kubectl_get answers three).
 */
function catalogueSection(
  running: Map<ServerName, RunningServer>,
  names: readonly ServerName[],
  target: Target,
): SidecarResults['catalogue'] {
  const reference: ServerName = 'kubernetes-mcp-server';
  const catalogues: Catalogue[] = names.map((name) => measureCatalogue(name, server(running, name).tools));
  const counterparts: Counterpart[] = [];
  for (const name of names.filter((entry) => entry !== reference)) {
    const tools = OPERATIONS.map((operation) => toolCallFor(name, operation, target).tool);
    OPERATIONS.forEach((operation, index) => {
      const tool = tools[index] as string;
      if (tools.filter((other) => other === tool).length !== 1) return;
      counterparts.push({ server: name, tool, referenceTool: toolCallFor(reference, operation, target).tool });
    });
  }
  return { reference, catalogues, rows: compareCatalogues(catalogues, reference, counterparts) };
}

function server(running: Map<ServerName, RunningServer>, name: ServerName): RunningServer {
  const found = running.get(name);
  if (!found) throw new Error(`${name} is not running`);
  return found;
}

function directToolName(operation: Operation): string {
  return {
    list_pods: 'CoreV1Api.listNamespacedPod',
    pod_logs: 'CoreV1Api.readNamespacedPodLog tailLines=100',
    warning_events: 'CoreV1Api.listNamespacedEvent type=Warning',
    deployment_status: 'AppsV1Api.readNamespacedDeployment',
  }[operation];
}

/** Requests RBAC refused, per user agent: where a server reaches beyond the namespace's read-only role. */
function forbiddenRequests(records: readonly AuditRecord[]): Record<string, string[]> {
  const found: Record<string, Set<string>> = {};
  for (const record of records) {
    if (record.code !== 403) continue;
    const agent = agentOf(record.userAgent);
    const key = agent === 'kubectl' ? 'mcp-server-kubernetes (kubectl)' : agent === 'node' ? 'node client' : agent;
    found[key] ??= new Set();
    found[key].add(`${record.verb} ${record.uri.split('?')[0]}`);
  }
  return Object.fromEntries(Object.entries(found).map(([key, set]) => [key, [...set].slice(0, 20)]));
}

async function kubeRequestsOf(healthPort: number | undefined): Promise<number | null> {
  if (healthPort === undefined) return null;
  try {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    let total = 0;
    for (const match of text.matchAll(/^podmcp_sidecar_kube_requests_total\{[^}]*\} (\d+)$/gm))
      total += Number(match[1]);
    return total;
  } catch {
    return null;
  }
}

async function kubernetesVersion(plane: ControlPlane): Promise<string> {
  try {
    const { VersionApi } = await import('@kubernetes/client-node');
    const version = (await plane.kubeConfig.makeApiClient(VersionApi).getCode()).gitVersion;
    if (!version.startsWith('v0.0.0') || plane.external) return version;
    // Built from source without version stamping: the build cache names the release it built.
    const built = /\/(v\d+\.\d+\.\d+)-etcd/.exec(resolveBinaries().kubeApiserver)?.[1];
    return built ? `${built} (built from source)` : version;
  } catch {
    return 'unknown';
  }
}

function runWebhookBenchmark(quick: boolean): unknown {
  log(`webhook benchmark${quick ? ' --quick' : ''}`);
  const run = spawnSync(process.execPath, ['bench/webhook/main.ts', '--json', ...(quick ? ['--quick'] : [])], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  try {
    return { exitCode: run.status, ...(JSON.parse(run.stdout) as object) };
  } catch {
    return { exitCode: run.status, failed: run.stderr.slice(-2000) };
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function timeBudgetSeconds(options: SidecarBenchOptions): number {
  const servers = options.peers ? 3 : 1;
  const loads = options.peers ? 2 : 1;
  const callSeconds = servers * 4 * (options.calls + 1) * 2 + loads * options.clients * options.callsPerClient * 0.05;
  return (
    780 +
    options.idleSeconds +
    options.coldStarts * servers * 10 +
    callSeconds +
    (options.webhook ? 300 : 0) +
    (options.quick || !options.realNode ? 0 : REAL_NODE_BUDGET_SECONDS)
  );
}

runScript('sidecar benchmark', main);
