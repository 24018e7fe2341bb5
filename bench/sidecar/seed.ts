/**
 * The namespace every server is measured on: many bare pods bound to the simulated node (no scheduler in the
 * way), one Deployment with a pod of its own, many events (a quarter of them warnings), and a large log that
 * every simulated container serves. Objects are created in parallel batches as admin; the servers only read.
 */
import { AppsV1Api, CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { appendPodLog, type ControlPlane } from '../../test/control-plane/harness.ts';

export const DEPLOYMENT = 'web';
const BATCH = 25;

export interface Seeded {
  readonly pods: number;
  readonly runningPods: number;
  readonly events: number;
  readonly warningEvents: number;
  readonly logLines: number;
  readonly logBytes: number;
  /** The pod whose log is read. */
  readonly logPod: string;
  readonly deployment: string;
  readonly seconds: number;
}

async function inBatches(count: number, make: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, offset) => make(start + offset));
    await Promise.all(batch);
  }
}

export async function seedNamespace(
  plane: ControlPlane,
  namespace: string,
  counts: { pods: number; events: number; logLines: number },
): Promise<Seeded> {
  const began = Date.now();
  const admin: KubeConfig = plane.kubeConfig;
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const node = plane.nodeName;

  const labels = { app: DEPLOYMENT };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: DEPLOYMENT, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'app',
            automountServiceAccountToken: false,
            containers: [{ name: 'app', image: 'registry.example/web:1.4.2' }],
          },
        },
      },
    },
  });

  const bare = Math.max(0, counts.pods - 1);
  await inBatches(bare, (index) =>
    core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `worker-${String(index).padStart(4, '0')}`,
          labels: { app: 'worker', shard: String(index % 10) },
        },
        spec: {
          ...(node ? { nodeName: node } : {}),
          serviceAccountName: 'app',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'registry.example/worker:2.0.1',
              env: [{ name: 'SHARD', value: String(index % 10) }],
              resources: { requests: { cpu: '10m', memory: '16Mi' } },
            },
          ],
        },
      },
    }),
  );

  const now = Date.now();
  let warnings = 0;
  await inBatches(counts.events, (index) => {
    const warning = index % 4 === 0;
    if (warning) warnings += 1;
    const pod = `worker-${String(index % Math.max(1, bare)).padStart(4, '0')}`;
    const at = new Date(now - (counts.events - index) * 1000).toISOString();
    const reason = warning ? (['BackOff', 'Unhealthy', 'FailedMount'][index % 3] as string) : 'Pulled';
    const event: CoreV1Event = {
      metadata: { name: `${pod}.bench${index}` },
      involvedObject: { kind: 'Pod', name: pod, namespace, apiVersion: 'v1' },
      reason,
      message: warning
        ? `Readiness probe failed: Get "http://10.0.0.${index % 250}:8080/ready": context deadline exceeded (attempt ${index})`
        : `Container image "registry.example/worker:2.0.1" already present on machine (event ${index})`,
      type: warning ? 'Warning' : 'Normal',
      count: 1,
      firstTimestamp: at as never,
      lastTimestamp: at as never,
      source: { component: 'kubelet', host: node ?? 'node' },
    };
    return core.createNamespacedEvent({ namespace, body: event });
  });

  let logBytes = 0;
  if (plane.podLogFile) {
    const lines: string[] = [];
    for (let index = 0; index < counts.logLines; index += 1) {
      const level = index % 50 === 0 ? 'ERROR' : index % 7 === 0 ? 'WARN' : 'INFO';
      const line = `{"level":"${level}","msg":"handled request","path":"/api/orders/${index}","status":${level === 'ERROR' ? 500 : 200},"duration_ms":${index % 97},"trace":"${(index * 2654435761).toString(16).padStart(8, '0')}"}`;
      lines.push(line);
      logBytes += line.length + 1;
      if (lines.length === 5000) appendPodLog(plane, lines.splice(0));
    }
    if (lines.length > 0) appendPodLog(plane, lines);
  }

  // Wait (bounded) for kwok to report the pods Running, so list answers carry real status.
  const deadline = Date.now() + 120_000;
  let running = 0;
  let deploymentPod = '';
  let lastChange = Date.now();
  while (Date.now() < deadline && Date.now() - lastChange < 15_000) {
    const list = await core.listNamespacedPod({ namespace });
    const count = list.items.filter((pod) => pod.status?.phase === 'Running').length;
    if (count !== running) lastChange = Date.now();
    running = count;
    deploymentPod = list.items.find((pod) => pod.metadata?.labels?.app === DEPLOYMENT)?.metadata?.name ?? '';
    if (running >= counts.pods && deploymentPod) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return {
    pods: bare + 1,
    runningPods: running,
    events: counts.events,
    warningEvents: warnings,
    logLines: counts.logLines,
    logBytes,
    logPod: deploymentPod || 'worker-0000',
    deployment: DEPLOYMENT,
    seconds: (Date.now() - began) / 1000,
  };
}
