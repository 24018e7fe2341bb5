/**
 * The demo on a real node, where the machine allows one (Linux, root): kubelet, containerd, runc, CNI and
 * kube-proxy run next to the control plane, the podmcp image is imported into containerd, the injector is
 * installed with `kubectl apply -k manifests/overlays/default` as a real Deployment, and the MCP session goes
 * through `podmcp connect` and the kubelet's port-forward to the sidecar running in the pod.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { stringify } from 'yaml';
import { eventually } from '../../test/control-plane/kube.ts';
import { REPO } from '../../test/manifests/render.ts';
import { injectorReady, kubectl, parseObjects, sidecarOf, toYaml, withTestApp } from '../../test/node/demo-workload.ts';
import { ensurePodmcpImage, PODMCP_IMAGE } from '../../test/node/podmcp-image.ts';
import { startRealNode } from '../../test/node/real-node.ts';
import { heading, indent, mcpSession, say } from './transcript.ts';

const NAMESPACE = 'podmcp-demo';
const WORKLOAD = 'demo-app';

export async function realNodeDemo(cli: string, cleanups: Array<() => Promise<void> | void>): Promise<void> {
  heading('1. Control plane and a real node');
  say('this machine can run a real node (Linux, root): kubelet, containerd, runc, CNI and kube-proxy run the pods');
  say('(the first run builds them and the podmcp image; that takes several minutes and is cached)');
  const archive = ensurePodmcpImage();
  const node = await startRealNode({ images: [archive] });
  cleanups.push(() => node.stop());
  const run = (args: readonly string[], input?: string) => kubectl(node.plane.kubeconfigFile, REPO, args, input);
  say(`API server ${node.plane.server}; node ${node.nodeName} Ready; ${PODMCP_IMAGE.ref} imported into containerd`);

  heading('2. Injector');
  say('$ kubectl apply -k manifests/overlays/default');
  run(['apply', '-k', 'manifests/overlays/default']);
  await injectorReady(node.plane.kubeConfig, 180_000);
  say('Deployment podmcp-system/podmcp-injector: 2 replicas Ready, TLS self-signed, reached through its Service');

  heading('3. Demo workload (examples/demo)');
  say('the app container runs a small local test app instead of podinfo: this node pulls no image from a registry');
  const demo = withTestApp(parseObjects(run(['kustomize', 'examples/demo'])), node.testAppImage);
  run(['apply', '-f', '-'], toYaml(demo));
  say(`applied ${demo.map((object) => `${object.kind}/${object.metadata?.name}`).join(', ')}`);
  const core = node.plane.kubeConfig.makeApiClient(CoreV1Api);
  const pod = await eventually(
    'a Ready demo-app pod',
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: `app.kubernetes.io/name=${WORKLOAD}`,
      });
      return pods.items.find((item) =>
        item.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'),
      );
    },
    180_000,
  );
  say(`pod ${pod.metadata?.name} is Running and Ready on ${pod.spec?.nodeName} (${pod.status?.podIP})`);

  heading('4. The injected sidecar, as the API server stored it');
  const sidecar = sidecarOf(pod);
  if (!sidecar) throw new Error('the demo pod has no podmcp sidecar: the webhook did not inject it');
  say(indent(stringify({ initContainers: [sidecar] }).trimEnd()));

  heading('5. podmcp connect, through the kubelet to the sidecar in the pod');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'connect', '-n', NAMESPACE, `deploy/${WORKLOAD}`],
    env: { KUBECONFIG: node.plane.kubeconfigFile, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'podmcp-demo', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  say(`$ podmcp connect -n ${NAMESPACE} deploy/${WORKLOAD}   (MCP over stdio, port-forward to the sidecar)`);

  await mcpSession(client);
}
