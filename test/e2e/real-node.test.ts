/**
 * podmcp as it runs in a cluster, on a real node (kubelet, containerd, runc, CNI, kube-proxy): the image from
 * `npm run image` imported into containerd; the injector installed from manifests/overlays/default as a real
 * Deployment that the API server reaches through its Service (kube-proxy); the demo example injected, with
 * the sidecar as a real container (projected token, probes, read-only root filesystem, memory limit);
 * `podmcp connect` through the kubelet's real port-forward; a Job that completes; a pod deletion the sidecar
 * survives gracefully; and a restart approved by a human that really rolls the pods.
 *
 * The demo's app container runs the node's test app (test/node/images/app) instead of podinfo: no image is
 * pulled from a registry. The sidecar's idle cgroup memory is reported, not judged.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, type TestContext, test } from 'node:test';
import {
  AdmissionregistrationV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { BUILTIN_DEFAULTS, parseQuantity } from '@podmcp/core';
import { eventually } from '../control-plane/kube.ts';
import {
  injectorReady,
  isReady,
  parseObjects,
  readyPods as readyPodsIn,
  kubectl as runKubectl,
  sidecarOf,
  sidecarStatus,
  toYaml,
  withTestApp,
} from '../node/demo-workload.ts';
import { containerMemory, type ReadinessWatch, watchReadiness } from '../node/observe.ts';
import { ensurePodmcpImage, PODMCP_IMAGE } from '../node/podmcp-image.ts';
import { realNodeUnavailable } from '../node/real-node.ts';
import { realNodeForSuite } from '../node/suite.ts';
import { apiServerAuditLog, callTool } from './sidecar/fixture.ts';
import { connectThroughCli, REPO } from './sidecar/process-helpers.ts';

const IMAGE_REF = PODMCP_IMAGE.ref;
const NAMESPACE = 'podmcp-demo';
const SIDECAR = 'podmcp';
/** The default memory limit, which manifests/overlays/default's injector configuration states too. */
const DEFAULT_LIMIT_BYTES = parseQuantity(BUILTIN_DEFAULTS.resources.memoryLimit) ?? Number.NaN;

const audit = apiServerAuditLog('podmcp-e2e-real-node-audit-');
after(() => rmSync(audit.directory, { recursive: true, force: true }));
const { node, skip } = await realNodeForSuite({
  images: realNodeUnavailable() ? [] : [ensurePodmcpImage()],
  extraApiserverArgs: audit.args,
});

function kubectl(args: readonly string[], input?: string): string {
  assert.ok(node);
  return runKubectl(node.plane.kubeconfigFile, REPO, args, input);
}

function demoObjects(appImage: string): KubernetesObject[] {
  return withTestApp(parseObjects(kubectl(['kustomize', 'examples/demo'])), appImage);
}

/** A read-write twin of the demo app: its own ServiceAccount, bound to the read-write sidecar role. */
function readWriteObjects(appImage: string): KubernetesObject[] {
  const demo = demoObjects(appImage).find((object) => object.kind === 'Deployment') as V1Deployment;
  const name = 'demo-rw';
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'podmcp-demo' };
  const template = demo.spec?.template;
  assert.ok(template?.spec && template.metadata);
  const annotations: Record<string, string> = {
    ...template.metadata.annotations,
    'podmcp.dev/mode': 'read-write',
  };
  delete annotations['podmcp.dev/tools'];
  const rolebinding = parseObjects(kubectl(['kustomize', 'manifests/sidecar-rbac/read-write'])).find(
    (object) => object.kind === 'RoleBinding',
  ) as (KubernetesObject & { subjects: { name: string }[] }) | undefined;
  assert.ok(rolebinding);
  rolebinding.metadata = { ...rolebinding.metadata, namespace: NAMESPACE };
  rolebinding.subjects = [{ ...rolebinding.subjects[0], name } as { name: string }];
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NAMESPACE, labels } },
    rolebinding,
    {
      ...demo,
      metadata: { name, namespace: NAMESPACE, labels },
      spec: {
        ...demo.spec,
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        template: {
          metadata: { labels, annotations },
          spec: { ...template.spec, serviceAccountName: name },
        },
      },
    } as V1Deployment,
  ];
}

function readyPods(labelSelector: string, count: number, timeoutMs = 120_000): Promise<V1Pod[]> {
  assert.ok(node);
  return readyPodsIn(node.plane.kubeConfig, NAMESPACE, labelSelector, count, timeoutMs);
}

/** An MCP client over `podmcp connect`, with the user's (admin) kubeconfig, answering elicitations with yes. */
async function connect(workload: string, asked: string[] = []) {
  assert.ok(node);
  return connectThroughCli({
    args: ['-n', NAMESPACE, workload],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', KUBECONFIG: node.plane.kubeconfigFile },
    name: 'podmcp-e2e-real-node',
    elicit: (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { approve: true } };
    },
  });
}

describe('podmcp on a real node', { skip }, () => {
  let demoReadiness: ReadinessWatch | undefined;
  let failed = false;
  /** Each step prints the node's logs when it fails: a real node has many more ways to go wrong. */
  const step = (name: string, body: (context: TestContext) => Promise<void>) =>
    test(name, async (context) => {
      try {
        await body(context);
      } catch (error) {
        if (!failed && node) process.stderr.write(`[e2e] real node diagnostics:\n${node.diagnostics()}\n`);
        failed = true;
        throw error;
      }
    });
  after(() => demoReadiness?.stop());

  step('the injector installs from manifests/overlays/default as a real Deployment of the image', async () => {
    assert.ok(node);
    kubectl(['apply', '-k', 'manifests/overlays/default']);
    const deployment = await injectorReady(node.plane.kubeConfig, 120_000);
    assert.equal(deployment.spec?.template.spec?.containers[0]?.image, IMAGE_REF);
    // Self-signed mode: the injector made its CA and wrote it into the webhook configuration itself.
    const admission = node.plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await eventually(
      'the caBundle the injector writes',
      async () => {
        const webhook = await admission.readMutatingWebhookConfiguration({ name: 'podmcp-injector' });
        return (webhook.webhooks?.[0]?.clientConfig.caBundle ?? '').length > 0;
      },
      60_000,
    );
  });

  step('the demo Deployment gets the sidecar through the webhook and its pods become Ready', async (context) => {
    assert.ok(node);
    demoReadiness = await watchReadiness(node.plane.kubeConfig, NAMESPACE, 'app.kubernetes.io/name=demo-app');
    kubectl(['apply', '-f', '-'], toYaml(demoObjects(node.testAppImage)));
    const pods = await readyPods('app.kubernetes.io/name=demo-app', 2);
    for (const pod of pods) {
      const sidecar = sidecarOf(pod);
      assert.ok(sidecar, `pod ${pod.metadata?.name} has the podmcp sidecar`);
      assert.equal(sidecar.image, IMAGE_REF);
      assert.equal(sidecar.securityContext?.readOnlyRootFilesystem, true);
      // Liveness only: a readiness or startup probe on the sidecar would hold the app's pod out of service.
      assert.ok(sidecar.livenessProbe, 'the sidecar has a liveness probe');
      const status = sidecarStatus(pod);
      assert.equal(status?.ready, true, `the sidecar of ${pod.metadata?.name} is ready`);
      assert.ok(status?.state?.running, 'the sidecar runs');
      assert.equal(status?.restartCount, 0, 'its liveness probe never failed');
      context.diagnostic(
        `${pod.metadata?.name}: sidecar injected as ${pod.spec?.initContainers?.some((c) => c.name === SIDECAR) ? 'native sidecar' : 'container'}`,
      );
    }
  });

  step('kubectl logs -c podmcp shows the JSON logs of a sidecar that reached the API with its own token', async () => {
    assert.ok(node);
    const [pod] = await readyPods('app.kubernetes.io/name=demo-app', 2);
    const lines = kubectl(['logs', '-n', NAMESPACE, pod?.metadata?.name ?? '', '-c', SIDECAR])
      .trim()
      .split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.every((record) => typeof record.level === 'number' && typeof record.msg === 'string'));
    const listening = records.find((record) => record.msg === 'listening');
    // The API server through the `kubernetes` Service (kube-proxy), in the pod's own namespace.
    assert.match(String(listening?.server), /^https:\/\/198\.19\.0\.1:443$/);
    assert.equal(listening?.namespace, NAMESPACE);
    assert.ok(
      records.some((record) => /the API server answered/.test(String(record.msg))),
      lines.join('\n'),
    );
  });

  step(
    'podmcp connect through the kubelet port-forward: tools/list, list_pods, get_pod_logs, diagnose',
    async (context) => {
      const { client, stderr } = await connect('deploy/demo-app');
      try {
        const { tools } = await client.listTools();
        const names = tools.map((tool) => tool.name).sort();
        assert.deepEqual(names, [
          'diagnose',
          'get_pod_logs',
          'inspect_app',
          'list_events',
          'list_pods',
          'read_runbook',
        ]);
        const listed = await callTool<{ namespace: string; pods: { name: string }[] }>(client, 'list_pods');
        assert.equal(listed.structured.namespace, NAMESPACE);
        const demoPods = listed.structured.pods.filter((pod) => pod.name.startsWith('demo-app-'));
        assert.equal(demoPods.length, 2);
        const logs = await callTool<{ container: string; lines: string[] }>(client, 'get_pod_logs', {
          pod: demoPods[0]?.name,
        });
        assert.equal(logs.structured.container, 'app');
        const text = logs.structured.lines.join('\n');
        assert.match(text, /testapp listening on :9898/);
        assert.match(text, /GET \/readyz/, "the kubelet's probes, as the app logged them");
        const diagnosis = await callTool<{ healthy: boolean; findings: { text: string }[] }>(client, 'diagnose');
        context.diagnostic(
          `diagnose: healthy=${diagnosis.structured.healthy}; ${diagnosis.structured.findings.map((f) => f.text).join(' | ')}`,
        );
        assert.equal(typeof diagnosis.structured.healthy, 'boolean');
        assert.match(stderr(), /forwarding to pod demo-app-/);
      } finally {
        await client.close();
      }
    },
  );

  step("the sidecar's idle memory, as its cgroup accounts it; the app never lost Ready", async (context) => {
    assert.ok(node);
    const pods = await readyPods('app.kubernetes.io/name=demo-app', 2);
    for (const pod of pods) {
      const memory = await containerMemory(node.plane.kubeConfig, NAMESPACE, pod.metadata?.name ?? '', SIDECAR);
      const mib = (bytes: number | undefined) => (bytes === undefined ? 'none' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
      context.diagnostic(
        `sidecar memory in ${pod.metadata?.name}: idle ${mib(memory.currentBytes)}, peak ${mib(memory.peakBytes)}, limit ${mib(memory.limitBytes)}`,
      );
      assert.equal(memory.limitBytes, DEFAULT_LIMIT_BYTES, 'the injected memory limit is the cgroup limit');
    }
    assert.ok(demoReadiness);
    const history = demoReadiness.history();
    context.diagnostic(`demo-app Ready history: ${history.map((t) => `${t.pod}=${t.ready}`).join(', ')}`);
    assert.equal(demoReadiness.flapped(), false, 'no app pod went from Ready to not Ready');
  });

  step("the sidecar's API calls use its pod-bound projected token and stay in its namespace", async (context) => {
    const user = `system:serviceaccount:${NAMESPACE}:demo-app`;
    const events = readFileSync(audit.log, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            user: { username: string; extra?: Record<string, string[]> };
            verb: string;
            requestURI: string;
            objectRef?: { namespace?: string; resource?: string };
          },
      )
      .filter((event) => event.user.username === user);
    assert.ok(events.length > 0, `the API server saw requests from ${user}`);
    const podNames = new Set(
      events.flatMap((event) => event.user.extra?.['authentication.kubernetes.io/pod-name'] ?? []),
    );
    assert.ok(
      events.every((event) => event.user.extra?.['authentication.kubernetes.io/pod-name']?.length === 1),
      'every request carried a token bound to a pod (the projected ServiceAccount token)',
    );
    const outside = events.filter((event) => event.objectRef && event.objectRef.namespace !== NAMESPACE);
    assert.deepEqual(
      outside.map((event) => `${event.verb} ${event.requestURI}`),
      [],
      'no request outside the namespace',
    );
    context.diagnostic(`${events.length} requests from ${podNames.size} pods' sidecars, all in ${NAMESPACE}`);
  });

  step('a Job opted in completes: the native sidecar does not hold it open', async () => {
    assert.ok(node);
    const batch = node.plane.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'demo-batch' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { job: 'demo-batch' }, annotations: { 'podmcp.dev/inject': 'true' } },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: 'demo-app',
              // The demo namespace enforces the restricted Pod Security Standard.
              securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'step',
                  image: node.testAppImage,
                  args: ['--once', '--work=3s'],
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      },
    });
    await eventually(
      'Job demo-batch Complete',
      async () => {
        const job = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'demo-batch' });
        const failedCondition = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if (failedCondition) throw new Error(`Job failed: ${failedCondition.message}`);
        return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
      },
      120_000,
    );
    const core = node.plane.kubeConfig.makeApiClient(CoreV1Api);
    const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job=demo-batch' })).items;
    assert.ok(pod && sidecarOf(pod), 'the Job pod was injected');
  });

  step('deleting a pod ends the sidecar gracefully: exit 0 within the grace period', async (context) => {
    assert.ok(node);
    const [pod] = await readyPods('app.kubernetes.io/name=demo-app', 2);
    const name = pod?.metadata?.name ?? '';
    const grace = pod?.spec?.terminationGracePeriodSeconds ?? 30;
    let last: V1Pod | undefined;
    const gone = new Promise<void>((resolve, reject) => {
      void new Watch(node.plane.kubeConfig)
        .watch(
          `/api/v1/namespaces/${NAMESPACE}/pods`,
          { fieldSelector: `metadata.name=${name}` },
          (type: string, object: V1Pod) => {
            if (type === 'DELETED') resolve();
            else last = object;
          },
          (error: unknown) => (error ? reject(error) : undefined),
        )
        .catch(reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // finishedAt has whole seconds.
    const deletedAt = Math.floor(Date.now() / 1000) * 1000;
    await node.plane.kubeConfig.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: NAMESPACE, name });
    await Promise.race([
      gone,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`pod ${name} not gone`)), (grace + 30) * 1000)),
    ]);
    assert.ok(last);
    const terminated = sidecarStatus(last)?.state?.terminated;
    assert.ok(terminated, `the last status of ${name} shows the sidecar terminated: ${JSON.stringify(last.status)}`);
    const seconds = (new Date(terminated.finishedAt ?? 0).getTime() - deletedAt) / 1000;
    context.diagnostic(
      `sidecar of ${name}: exit ${terminated.exitCode} (${terminated.reason}) ${seconds.toFixed(1)} s after the delete`,
    );
    assert.equal(terminated.exitCode, 0);
    assert.ok(seconds < grace, `ended within the ${grace} s grace period`);
    const app = last.status?.containerStatuses?.find((status) => status.name === 'app')?.state?.terminated;
    assert.equal(app?.exitCode, 0, 'the app ended cleanly too');
  });

  /** What the user was asked during the restart below. */
  const asked: string[] = [];
  step(
    'read-write: restart_deployment through podmcp connect rolls the pods, and the new pods become Ready',
    async (context) => {
      assert.ok(node);
      kubectl(['apply', '-f', '-'], toYaml(readWriteObjects(node.testAppImage)));
      const before = await readyPods('app.kubernetes.io/name=demo-rw', 2);
      const { client } = await connect('deploy/demo-rw', asked);
      try {
        const result = await callTool<{ applied: boolean; pods: number }>(client, 'restart_deployment', {
          reason: 'e2e: a real restart on a real node',
        });
        assert.equal(result.structured.applied, true);
      } finally {
        await client.close();
      }
      const beforeNames = new Set(before.map((pod) => pod.metadata?.name));
      const after = await eventually(
        'the restarted pods Ready and the old ones gone',
        async () => {
          const pods = (
            await node.plane.kubeConfig
              .makeApiClient(CoreV1Api)
              .listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app.kubernetes.io/name=demo-rw' })
          ).items;
          return pods.length === 2 && pods.every((pod) => isReady(pod) && !beforeNames.has(pod.metadata?.name)) && pods;
        },
        180_000,
      );
      context.diagnostic(
        `rolled: ${[...beforeNames].join(', ')} -> ${after.map((pod) => pod.metadata?.name).join(', ')}`,
      );
    },
  );

  // No podmcp.dev/unattended-actions on demo-rw: only a human's yes, asked through podmcp connect and the injected
  // sidecar's MCP session, let the restart above happen.
  test('read-write: the restart above was approved by the user, asked through podmcp connect', () => {
    assert.equal(asked.length, 1, 'the user was asked once');
    assert.match(asked[0] ?? '', /dry run says/);
    assert.match(asked[0] ?? '', /demo-rw/);
    assert.match(asked[0] ?? '', /a real restart on a real node/);
  });
});
