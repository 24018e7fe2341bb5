/**
 * `npm run demo`: the whole story on one machine, no cluster needed. Where the machine allows a real node
 * (Linux, root), the pods run on it (real-node.ts): the image, the injector Deployment, the injected pod and
 * `podmcp connect` are all real. Elsewhere it says why and keeps a simulated node: starts a local control plane
 * (or uses KUBECONFIG), installs the injector, applies examples/demo, shows the pod spec the API server stored
 * (with the injected sidecar), starts the sidecar for that pod as the pod's own ServiceAccount, and runs a short
 * MCP session, printing a transcript. Everything it started is stopped at the end, also on failure or Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubernetesObject,
  type V1Container,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createCertificateAuthority, issueServingCertificate } from '../../packages/injector/src/certificates.ts';
import { type RunningWebhook, runWebhook } from '../../packages/injector/src/run-webhook.ts';
import { appendPodLog, type ControlPlane, startControlPlane } from '../../test/control-plane/harness.ts';
import { createAll, eventually, serviceAccountToken } from '../../test/control-plane/kube.ts';
import { MANIFESTS, REPO, render } from '../../test/manifests/render.ts';
import { realNodeUnavailable } from '../../test/node/real-node.ts';
import { realNodeDemo } from './real-node.ts';
import { heading, indent, mcpSession, say } from './transcript.ts';

const NAMESPACE = 'podmcp-demo';
const WORKLOAD = 'demo-app';
const cli = fileURLToPath(new URL('../../packages/cli/bin/podmcp.js', import.meta.url));
const cleanups: Array<() => Promise<void> | void> = [];

async function startInjector(plane: ControlPlane): Promise<RunningWebhook> {
  const rendered = render(join(MANIFESTS, 'overlays/default'));
  const pick = (kind: string, name: string) => rendered.one(kind, name) as KubernetesObject;
  await createAll(plane.kubeConfig, [
    pick('Namespace', 'podmcp-system'),
    pick('ServiceAccount', 'podmcp-injector'),
    pick('ClusterRole', 'podmcp-injector'),
    pick('ClusterRoleBinding', 'podmcp-injector'),
  ]);
  const token = await serviceAccountToken(plane.kubeConfig, 'podmcp-system', 'podmcp-injector');
  const files = mkdtempSync(join(tmpdir(), 'podmcp-demo-'));
  cleanups.push(() => rmSync(files, { recursive: true, force: true }));
  const ca = await createCertificateAuthority('podmcp-demo-webhook-ca', 1);
  const leaf = await issueServingCertificate(ca, { ip: ['127.0.0.1'] }, 1);
  writeFileSync(join(files, 'tls.crt'), leaf.certPem);
  writeFileSync(join(files, 'tls.key'), leaf.keyPem);
  const injector = await runWebhook({
    host: '127.0.0.1',
    port: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    tls: { kind: 'files', certFile: join(files, 'tls.crt'), keyFile: join(files, 'tls.key') },
    kubeConfig: plane.kubeConfigForToken(token),
    instance: 'podmcp-injector-demo',
    logger: pino({ level: 'silent' }),
  });
  cleanups.push(() => injector.close());
  await injector.ready;
  const configuration = pick('MutatingWebhookConfiguration', 'podmcp-injector') as V1MutatingWebhookConfiguration;
  for (const webhook of configuration.webhooks ?? []) {
    webhook.clientConfig = {
      url: `https://127.0.0.1:${injector.port}/mutate`,
      caBundle: Buffer.from(ca.certPem).toString('base64'),
    };
  }
  await plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
    body: configuration,
  });
  say(`injector serving https://127.0.0.1:${injector.port}/mutate as ServiceAccount podmcp-system/podmcp-injector`);
  say('MutatingWebhookConfiguration podmcp-injector registered (from manifests/overlays/default)');
  return injector;
}

function sidecarOf(pod: V1Pod): V1Container | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === 'podmcp');
}

/** The sidecar's environment as the kubelet would give it: literal values, and the downward API filled in. */
function sidecarEnvironment(pod: V1Pod, container: V1Container): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'status.podIP': pod.status?.podIP,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
  };
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const value = variable.value ?? fields[variable.valueFrom?.fieldRef?.fieldPath ?? ''];
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

async function main(): Promise<void> {
  const noRealNode = process.env.KUBECONFIG ? 'KUBECONFIG is set' : realNodeUnavailable();
  if (!noRealNode) return realNodeDemo(cli, cleanups);
  heading('1. Control plane');
  say(`no real node on this machine (${noRealNode}): the pods run on a simulated node (kwok)`);
  say('starting kube-apiserver, etcd, controller-manager, scheduler and a simulated node (kwok)…');
  say('(the first run builds them from source; that takes several minutes and is cached)');
  const plane = await startControlPlane({ nodes: true });
  cleanups.push(() => plane.stop());
  if (plane.external) {
    throw new Error(
      'KUBECONFIG points at an existing cluster; the demo installs a loopback webhook that such an API server cannot reach. Unset KUBECONFIG to run the demo on the local control plane, or install the injector with `kubectl apply -k manifests/overlays/default`.',
    );
  }
  say(`API server ${plane.server}`);

  heading('2. Injector');
  await startInjector(plane);

  heading('3. Demo workload (examples/demo)');
  const demo = render(join(REPO, 'examples/demo'));
  const clusterRoles = render(join(MANIFESTS, 'components/sidecar-rbac')).all('ClusterRole');
  await createAll(plane.kubeConfig, [...clusterRoles, ...demo.objects] as KubernetesObject[]);
  say(`applied ${demo.objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}`);
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  const pod = await eventually(
    'a Running demo-app pod',
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: `app.kubernetes.io/name=${WORKLOAD}`,
      });
      return pods.items.find((item) => item.status?.phase === 'Running');
    },
    120_000,
  );
  say(`pod ${pod.metadata?.name} is Running on ${pod.spec?.nodeName}`);

  heading('4. The injected sidecar, as the API server stored it');
  const sidecar = sidecarOf(pod);
  if (!sidecar) throw new Error('the demo pod has no podmcp sidecar: the webhook did not inject it');
  say(indent(stringify({ initContainers: [sidecar] }).trimEnd()));

  heading('5. The sidecar, started for that pod with its ServiceAccount');
  const token = await serviceAccountToken(plane.kubeConfig, NAMESPACE, pod.spec?.serviceAccountName ?? 'default');
  const files = mkdtempSync(join(tmpdir(), 'podmcp-demo-sidecar-'));
  cleanups.push(() => rmSync(files, { recursive: true, force: true }));
  const kubeconfig = join(files, 'kubeconfig');
  writeFileSync(kubeconfig, plane.kubeConfigForToken(token).exportConfig());
  appendPodLog(plane, [
    'podinfo starting on :9898',
    'GET /readyz 200 0.4ms',
    'GET /api/info 500 12ms error="upstream timeout"',
    'GET /readyz 200 0.3ms',
  ]);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'serve', '--transport', 'stdio'],
    env: {
      ...sidecarEnvironment(pod, sidecar),
      KUBECONFIG: kubeconfig,
      PATH: process.env.PATH ?? '',
      PODMCP_LOG_LEVEL: 'warn',
    },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'podmcp-demo', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  say(`podmcp serve --transport stdio, as system:serviceaccount:${NAMESPACE}:${pod.spec?.serviceAccountName}`);

  await mcpSession(client);
}

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch {
      // Best effort: the remaining cleanups still run.
    }
  }
}

process.once('SIGINT', () => {
  void cleanUp().then(() => process.exit(130));
});

try {
  await main();
  heading('Done');
  say('Everything the demo started is being stopped.');
  await cleanUp();
} catch (error) {
  process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await cleanUp();
  process.exitCode = 1;
}
