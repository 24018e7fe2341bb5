/**
 * The sidecar never hurts its app, on a real node (kubelet, containerd, runc) with the injector's default
 * resources: the image from `npm run image`, the injector from manifests/overlays/default, the demo injected.
 *
 * - A pod start reports no failed probe of the sidecar (nor of the injector).
 * - 20 agents × 50 tool calls, three times, through one `podmcp connect --listen` (each agent claims its own
 *   identity): no answer other than a result or an explicit "busy", no restart, the app's pods Ready the whole
 *   time (watched), the sidecar's cgroup memory peak below the default limit (recorded), never OOM-killed.
 * - Two agents through two `podmcp connect` processes: one hammering, the other still served, and the audit
 *   lines tell them apart.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, type TestContext, test } from 'node:test';
import { CoreV1Api, type KubernetesObject, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { BUILTIN_DEFAULTS, CLAIMED_IDENTITY_HEADER, parseQuantity } from '@podmcp/core';
import { eventually } from '../control-plane/kube.ts';
import {
  injectorReady,
  parseObjects,
  readyPods,
  kubectl as runKubectl,
  sidecarStatus,
  toYaml,
  withTestApp,
} from '../node/demo-workload.ts';
import { containerMemory, type ReadinessWatch, watchReadiness } from '../node/observe.ts';
import { ensurePodmcpImage } from '../node/podmcp-image.ts';
import { realNodeUnavailable } from '../node/real-node.ts';
import { realNodeForSuite } from '../node/suite.ts';
import { PODMCP_BIN as BIN, connectThroughCli, REPO } from './sidecar/process-helpers.ts';

const NAMESPACE = 'podmcp-demo';
const INJECTOR_NAMESPACE = 'podmcp-system';
const SIDECAR = 'podmcp';
const DEMO = 'app.kubernetes.io/name=demo-app';
const CLIENTS = 20;
const CALLS_PER_CLIENT = 50;
const ROUNDS = 3;
const TOOLS = ['list_pods', 'get_pod_logs', 'list_events', 'diagnose'] as const;
/** The default memory limit, which manifests/overlays/default's injector configuration states too. */
const DEFAULT_LIMIT_BYTES = parseQuantity(BUILTIN_DEFAULTS.resources.memoryLimit) ?? Number.NaN;

const { node, skip } = await realNodeForSuite({ images: realNodeUnavailable() ? [] : [ensurePodmcpImage()] });

function kubectl(args: readonly string[], input?: string): string {
  assert.ok(node);
  return runKubectl(node.plane.kubeconfigFile, REPO, args, input);
}

/**
 * examples/demo with the node's test app in place of podinfo (no registry), and the rate limit at its maximum:
 * this suite measures memory and readiness under load, not the per-caller rate limit.
 */
function demoObjects(appImage: string): KubernetesObject[] {
  const objects = withTestApp(parseObjects(kubectl(['kustomize', 'examples/demo'])), appImage);
  for (const object of objects) {
    if (object.kind !== 'Deployment') continue;
    const template = (object as V1Deployment).spec?.template;
    assert.ok(template?.metadata);
    template.metadata.annotations = { ...template.metadata.annotations, 'podmcp.dev/rate-limit': '6000' };
  }
  return objects;
}

function demoPods(count: number): Promise<V1Pod[]> {
  assert.ok(node);
  return readyPods(node.plane.kubeConfig, NAMESPACE, DEMO, count, 180_000);
}

/** Warning events about failed probes in a namespace, optionally of one container. */
async function probeWarnings(namespace: string, container?: string): Promise<string[]> {
  assert.ok(node);
  const events = (await node.plane.kubeConfig.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace })).items;
  return events
    .filter((event) => event.reason === 'Unhealthy')
    .filter((event) => container === undefined || event.involvedObject.fieldPath?.includes(`{${container}}`))
    .map((event) => `${event.involvedObject.name} ${event.involvedObject.fieldPath ?? ''}: ${event.message}`);
}

type Outcome = 'ok' | 'busy' | 'error';

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

/** `podmcp connect --listen 0`: resolves with its URL once it listens. */
async function connectListening(): Promise<{ url: string; child: ChildProcess }> {
  assert.ok(node);
  const child = spawn(process.execPath, [BIN, 'connect', '--listen', '0', '-n', NAMESPACE, 'deploy/demo-app'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', KUBECONFIG: node.plane.kubeconfigFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await eventually('podmcp connect --listen to listen', () => /listening on (\S+\/mcp)/.exec(stderr)?.[1]);
  return { url, child };
}

async function httpClient(url: string, claimed: string): Promise<Client> {
  const client = new Client({ name: `load-${claimed}`, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { [CLAIMED_IDENTITY_HEADER]: claimed } },
    }),
  );
  return client;
}

async function stdioConnect(): Promise<{ client: Client; close: () => Promise<void> }> {
  assert.ok(node);
  const { client } = await connectThroughCli({
    args: ['-n', NAMESPACE, 'deploy/demo-app'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', KUBECONFIG: node.plane.kubeconfigFile },
    name: 'podmcp-e2e-load',
  });
  return { client, close: () => client.close() };
}

describe('the sidecar never hurts its app, on a real node', { skip }, () => {
  let readiness: ReadinessWatch | undefined;
  let listener: ChildProcess | undefined;
  let failed = false;
  const step = (name: string, body: (context: TestContext) => Promise<void>) =>
    test(name, async (context) => {
      if (failed) return context.skip('an earlier step failed');
      try {
        await body(context);
      } catch (error) {
        if (node) process.stderr.write(`[e2e] real node diagnostics:\n${node.diagnostics()}\n`);
        failed = true;
        throw error;
      }
    });
  after(() => {
    readiness?.stop();
    listener?.kill('SIGTERM');
  });

  step('the injector and the injected demo start with no failed probe', async (context) => {
    assert.ok(node);
    kubectl(['apply', '-k', 'manifests/overlays/default']);
    await injectorReady(node.plane.kubeConfig, 180_000);
    readiness = await watchReadiness(node.plane.kubeConfig, NAMESPACE, DEMO);
    kubectl(['apply', '-f', '-'], toYaml(demoObjects(node.testAppImage)));
    const pods = await demoPods(2);
    for (const pod of pods) {
      const started = sidecarStatus(pod)?.state?.running?.startedAt;
      const app = pod.status?.containerStatuses?.find((status) => status.name !== SIDECAR)?.state?.running?.startedAt;
      context.diagnostic(
        `${pod.metadata?.name}: sidecar started ${started?.toISOString()}, app started ${app?.toISOString()}`,
      );
    }
    // Events are written asynchronously; give a failed probe the time to be reported before looking.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.deepEqual(await probeWarnings(NAMESPACE, SIDECAR), [], 'no failed probe of the sidecar');
    assert.deepEqual(await probeWarnings(INJECTOR_NAMESPACE), [], 'no failed probe of the injector');
  });

  step(
    `${CLIENTS} agents × ${CALLS_PER_CLIENT} calls, ${ROUNDS} times: only results or "busy", memory below the limit, no restart, Ready throughout`,
    async (context) => {
      assert.ok(node && readiness);
      const opened = await connectListening();
      listener = opened.child;
      const totals: Record<Outcome, number> = { ok: 0, busy: 0, error: 0 };
      const errors: string[] = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        const clients = await Promise.all(
          Array.from({ length: CLIENTS }, (_, index) => httpClient(opened.url, `load-agent-${index}`)),
        );
        const began = performance.now();
        await Promise.all(
          clients.map(async (client, index) => {
            for (let i = 0; i < CALLS_PER_CLIENT; i += 1) {
              const answer = await call(client, TOOLS[(index + i) % TOOLS.length] as string);
              totals[answer.outcome] += 1;
              if (answer.outcome === 'error' && errors.length < 5) errors.push(answer.text.slice(0, 300));
              if (answer.outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, 2_000));
            }
          }),
        );
        await Promise.all(clients.map((client) => client.close()));
        context.diagnostic(`round ${round}: ${((performance.now() - began) / 1000).toFixed(1)} s`);
      }
      context.diagnostic(`answers: ${JSON.stringify(totals)}`);
      assert.deepEqual(errors, [], 'no answer other than a result or "busy"');
      assert.equal(totals.error, 0);
      assert.ok(totals.ok > 0);

      for (const pod of await demoPods(2)) {
        const memory = await containerMemory(node.plane.kubeConfig, NAMESPACE, pod.metadata?.name ?? '', SIDECAR);
        context.diagnostic(
          `${pod.metadata?.name}: sidecar cgroup memory now ${(memory.currentBytes / 2 ** 20).toFixed(1)} MiB, peak ${(memory.peakBytes / 2 ** 20).toFixed(1)} MiB of ${((memory.limitBytes ?? 0) / 2 ** 20).toFixed(0)} MiB`,
        );
        assert.equal(memory.limitBytes, DEFAULT_LIMIT_BYTES, 'the default limit');
        assert.ok(memory.peakBytes < memory.limitBytes, 'the peak stayed below the limit');
        assert.notEqual(sidecarStatus(pod)?.lastState?.terminated?.reason, 'OOMKilled', 'never OOM-killed');
        assert.equal(sidecarStatus(pod)?.restartCount ?? 0, 0, 'the sidecar never restarted');
        assert.ok(
          (pod.status?.containerStatuses ?? []).every((status) => status.restartCount === 0),
          'no container restarted',
        );
      }
      assert.equal(readiness.flapped(), false, `the app's pods stayed Ready: ${JSON.stringify(readiness.history())}`);
    },
  );

  step(
    'two agents through two connect processes: one hammering, the other still served; the audit tells them apart',
    async (context) => {
      assert.ok(node);
      const hammering = await stdioConnect();
      const other = await stdioConnect();
      try {
        let stop = false;
        const hammer = Promise.all(
          Array.from({ length: 8 }, async () => {
            const counts: Record<Outcome, number> = { ok: 0, busy: 0, error: 0 };
            while (!stop) counts[(await call(hammering.client, 'diagnose')).outcome] += 1;
            return counts;
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const served: Outcome[] = [];
        for (const tool of TOOLS) served.push((await call(other.client, tool)).outcome);
        stop = true;
        const hammered = await hammer;
        context.diagnostic(`hammering agent: ${JSON.stringify(hammered)}; the other: ${served.join(', ')}`);
        assert.deepEqual(served, ['ok', 'ok', 'ok', 'ok'], 'the other agent is served while one hammers');
        // The demo is healthy, and diagnose says so: no finding from the starts' probes or from the load. (The
        // test node runs no cluster DNS, so the kubelet warns MissingClusterDNS for every pod: not the workload's.)
        const diagnosis = await other.client.callTool({ name: 'diagnose', arguments: {} });
        const findings =
          (diagnosis.structuredContent as { findings?: Array<{ severity: string; text: string }> } | undefined)
            ?.findings ?? [];
        const problems = findings.filter(
          (finding) => finding.severity !== 'info' && !finding.text.startsWith('MissingClusterDNS'),
        );
        assert.deepEqual(problems, [], 'diagnose finds nothing wrong with the healthy demo');
        assert.ok(findings.length > 0, 'diagnose answered with findings');
        assert.ok(
          hammered.some((counts) => counts.busy > 0),
          'the hammering agent met its own share of the sidecar (busy)',
        );
      } finally {
        await hammering.close();
        await other.close();
      }
      const callers = new Set<string>();
      for (const pod of await demoPods(2)) {
        const lines = kubectl(['logs', '-n', NAMESPACE, pod.metadata?.name ?? '', '-c', SIDECAR, '--tail=-1'])
          .split('\n')
          .filter((line) => line.includes('"audit":true'));
        for (const line of lines) {
          const record = JSON.parse(line) as { caller?: string; claimed?: string };
          if (record.caller?.startsWith('claimed:') && record.claimed && !record.claimed.startsWith('load-agent-')) {
            callers.add(record.caller);
          }
        }
      }
      context.diagnostic(`callers in the audit: ${[...callers].join(', ')}`);
      assert.equal(callers.size, 2, 'two connect processes, two callers in the audit');
    },
  );
});
