/**
 * Output budgets on a busy namespace: 200 pods and a pod with a large log. Every answer must stay within the
 * 24 KiB budget, say what it left out, and let the agent get the rest (cursor), instead of failing or flooding
 * the context.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { appendPodLog } from '../../control-plane/harness.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type ConnectedSidecar, callTool, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const BUDGET = 24 * 1024;
const PODS = 200;

function bytes(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
}

describe(`answers stay within the budget with ${PODS} pods and a large log`, { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let logPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'size' });
    const { pods } = await deployApp(world, 'chatty');
    logPod = pods[0]?.metadata?.name ?? '';
    const core = world.admin.makeApiClient(CoreV1Api);
    // Bare pods with long names, bound to the simulated node so they run and report IPs like real ones.
    const creations: Array<Promise<unknown>> = [];
    for (let index = 0; index < PODS; index += 1) {
      creations.push(
        core.createNamespacedPod({
          namespace: world.namespace,
          body: {
            metadata: {
              name: `checkout-worker-with-a-rather-long-name-${String(index).padStart(3, '0')}`,
              labels: { app: 'checkout' },
            },
            spec: {
              nodeName: plane.nodeName,
              containers: [{ name: 'app', image: 'registry.example/checkout:1' }],
            },
          },
        }),
      );
      if (creations.length >= 20) await Promise.all(creations.splice(0));
    }
    await Promise.all(creations);
    const line = `${'x'.repeat(180)} request served`;
    for (let chunk = 0; chunk < 10; chunk += 1) {
      appendPodLog(
        plane,
        Array.from({ length: 2000 }, (_, index) => `${chunk * 2000 + index} ${line}`),
      );
    }
    sidecar = await connectSidecar(world, { podName: logPod, env: { PODMCP_RATE_LIMIT: '6000' } });
  });
  after(() => sidecar?.close());

  test('list_pods with limit 200 fits the budget and pages through every pod', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const result = await callTool<{ pods: Array<{ name: string }>; next_cursor?: string }>(
        sidecar.client,
        'list_pods',
        {
          limit: 200,
          ...(cursor ? { cursor } : {}),
        },
      );
      assert.ok(bytes(result.structured) <= BUDGET, `structured ${bytes(result.structured)} bytes`);
      assert.ok(bytes(result.text) <= BUDGET, `text ${bytes(result.text)} bytes`);
      for (const pod of result.structured.pods) seen.add(pod.name);
      cursor = result.structured.next_cursor;
      pages += 1;
    } while (cursor && pages < 20);
    assert.equal(seen.size, PODS + 1, 'every pod was listed exactly once across the pages');
  });

  test('problems_only stays bounded too', async () => {
    const result = await callTool<{ pods: unknown[] }>(sidecar.client, 'list_pods', {
      problems_only: true,
      limit: 200,
    });
    assert.ok(bytes(result.structured) <= BUDGET);
  });

  test('logs of a pod with a 4 MB log are capped, marked truncated, and continue by cursor', async () => {
    const result = await callTool<{ lines: string[]; truncated?: unknown; next_cursor?: string }>(
      sidecar.client,
      'get_pod_logs',
      { pod: logPod, tail_lines: 5000 },
    );
    assert.ok(bytes(result.structured) <= BUDGET, `structured ${bytes(result.structured)} bytes`);
    assert.ok(result.structured.truncated, 'says it left lines out');
    assert.match(result.text, /19999 x+ request served/, 'the newest line is kept');
  });

  test('diagnose, list_events and list_deployments stay within the budget', async () => {
    for (const [tool, args] of [
      ['diagnose', { workload: 'deploy/chatty' }],
      ['list_events', { limit: 200 }],
      ['list_deployments', {}],
      ['get_resources', { kind: 'pods', limit: 200 }],
    ] as const) {
      const result = await sidecar.client.callTool({ name: tool, arguments: args });
      assert.ok(bytes(result.structuredContent ?? {}) <= BUDGET, `${tool} structured`);
      const text = JSON.stringify(result.content);
      assert.ok(bytes(text) <= BUDGET + 1024, `${tool} text`);
      if (result.isError) assert.match(text, /narrow|limit|cursor/i, `${tool} says how to narrow`);
    }
  });
});
