/**
 * A real control plane on loopback for the e2e suites and the demo: etcd and kube-apiserver (RBAC,
 * service-account token issuance, admission webhooks), optionally kube-controller-manager and
 * kube-scheduler (Deployments become Pods, Pods get a node), and kwok (a simulated node whose pods reach
 * Running without a container runtime). Every instance has its own ports and directory, and removes both
 * when stopped, when the process exits, or — through a watchdog — when the process is killed.
 *
 * KUBECONFIG pointing at an existing cluster replaces all of this (`external: true`).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { type BinaryPaths, ControlPlaneUnavailableError, resolveBinaries } from './binaries.ts';
import { type ControlPlanePki, writePki } from './pki.ts';
import { freePorts } from './ports.ts';
import { type ManagedProcess, startProcess, startWatchdog, stopProcess } from './processes.ts';

export { ControlPlaneUnavailableError };

export interface ControlPlaneOptions {
  /** kube-controller-manager and kube-scheduler: workloads become scheduled Pods. */
  readonly controllers?: boolean;
  /** kwok with one simulated node, so scheduled Pods report Running. Implies controllers. */
  readonly nodes?: boolean;
  readonly extraApiserverArgs?: readonly string[];
  /**
   * With `nodes`: more kwok configuration documents (YAML), e.g. a `ClusterPortForward` that sends a pod
   * port-forward to a process on loopback. Passed to kwok as one more `--config` file.
   */
  readonly kwokConfigurations?: readonly string[];
  /**
   * The address the API server binds to and advertises (default 127.0.0.1). A real node's pods cannot reach
   * loopback, so its harness passes an address on a link it owns; the serving certificate names it.
   */
  readonly address?: string;
  /** The Service ClusterIP range (IPv4 CIDR; default 10.96.0.0/16). Its first address joins the certificate. */
  readonly serviceClusterIpRange?: string;
  /** More identities for the token file, e.g. a kubelet's `system:node:<name>` in `system:nodes`. */
  readonly extraTokens?: readonly {
    readonly token: string;
    readonly user: string;
    readonly groups: readonly string[];
  }[];
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> (or the external cluster's server). */
  readonly server: string;
  readonly caPem: string;
  readonly kubeconfigFile: string;
  readonly kubeConfig: KubeConfig;
  readonly external: boolean;
  /** The simulated node's name, when started with `nodes`. */
  readonly nodeName?: string;
  /**
   * With `nodes`: the file every simulated container's log is served from (`kubectl logs`, the log API), in
   * the CRI log format. Append to it with `appendPodLog`.
   */
  readonly podLogFile?: string;
  /** A kubeconfig that authenticates with a bearer token (a ServiceAccount's, say) instead of as admin. */
  kubeConfigForToken(token: string): KubeConfig;
  /** The tail of every component's log, for a failure message. */
  diagnostics(): string;
  stop(): Promise<void>;
}

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const SIMULATED_NODE = 'podmcp-node-0';

/**
 * A kubeconfig for a bearer token on `server`, trusting `caPem`; `names` name its cluster (and context) and user,
 * and optionally the context's namespace.
 */
export function kubeconfigYaml(
  server: string,
  caPem: string,
  token: string,
  names: { readonly cluster: string; readonly user: string; readonly namespace?: string } = {
    cluster: 'podmcp-test',
    user: 'podmcp-test-user',
  },
): string {
  const context = {
    cluster: names.cluster,
    user: names.user,
    ...(names.namespace ? { namespace: names.namespace } : {}),
  };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: names.cluster, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    users: [{ name: names.user, user: { token } }],
    contexts: [{ name: names.cluster, context }],
    'current-context': names.cluster,
  });
}

function loadKubeConfig(yaml: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(yaml);
  return config;
}

function getStatus(server: string, path: string, caPem: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const call = request(
      `${server}${path}`,
      { ca: caPem, headers: { Authorization: `Bearer ${token}` }, timeout: 2_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    call.on('error', () => resolve(0));
    call.on('timeout', () => call.destroy());
    call.end();
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  processes: readonly ManagedProcess[],
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    const dead = processes.find((process) => process.child.exitCode !== null || process.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}:\n${processes.map((p) => `--- ${p.name}\n${p.tail(15)}`).join('\n')}`,
  );
}

function externalControlPlane(file: string): ControlPlane {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new ControlPlaneUnavailableError(`KUBECONFIG=${file} has no current cluster`);
  const caPem = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString()
    : cluster.caFile
      ? readFileSync(cluster.caFile, 'utf8')
      : '';
  return {
    server: cluster.server,
    caPem,
    kubeconfigFile: file,
    kubeConfig,
    external: true,
    kubeConfigForToken: (token) => loadKubeConfig(kubeconfigYaml(cluster.server, caPem, token)),
    diagnostics: () => `external cluster ${cluster.server}`,
    stop: async () => {},
  };
}

/** The first host address of an IPv4 CIDR: what the API server gives the `kubernetes` Service. */
function firstAddress(cidr: string): string {
  const octets = (cidr.split('/')[0] ?? '').split('.').map(Number);
  const value = (octets.reduce((sum, octet) => sum * 256 + octet, 0) + 1) >>> 0;
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function apiserverArgs(
  ports: { apiserver: number; etcd: number },
  pki: ControlPlanePki,
  directory: string,
  tokenFile: string,
  network: { address: string; serviceClusterIpRange: string },
): string[] {
  return [
    `--bind-address=${network.address}`,
    `--advertise-address=${network.address}`,
    `--secure-port=${ports.apiserver}`,
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    `--cert-dir=${join(directory, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.servingCertFile}`,
    `--tls-private-key-file=${pki.servingKeyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountPrivateKeyFile}`,
    `--service-cluster-ip-range=${network.serviceClusterIpRange}`,
    '--enable-admission-plugins=NodeRestriction,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
    '--kubelet-preferred-address-types=InternalIP',
    // One client (the tests) and two cores: fairness queues only add latency here.
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=1',
  ];
}

/** kwok serves every pod's log from one file the tests write, so log tools read real log API responses. */
function kwokLogsConfiguration(logFile: string): string {
  return stringify({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterLogs',
    metadata: { name: 'podmcp-test-logs' },
    spec: { logs: [{ logsFile: logFile, follow: true }] },
  });
}

/** Appends lines in the CRI log format kwok reads (`<RFC 3339 time> stdout F <line>`). */
export function appendPodLog(plane: ControlPlane, lines: readonly string[], at = new Date()): void {
  if (!plane.podLogFile) throw new Error('the control plane was started without nodes, so it serves no pod logs');
  appendFileSync(plane.podLogFile, lines.map((line) => `${at.toISOString()} stdout F ${line}\n`).join(''));
}

/** A Node that kwok manages: Ready, heartbeating, with room for every test pod, and no taints. */
async function registerSimulatedNode(kubeConfig: KubeConfig, name: string, processes: readonly ManagedProcess[]) {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({
    body: {
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '250' },
        capacity: { cpu: '32', memory: '256Gi', pods: '250' },
      },
    },
  });
  const ready = async () => {
    const node = await core.readNode({ name });
    return (
      node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false
    );
  };
  await waitFor(`node ${name} to be Ready`, ready, processes, 60_000);
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  if (process.env.KUBECONFIG) return externalControlPlane(process.env.KUBECONFIG);
  const binaries: BinaryPaths = resolveBinaries();
  const controllers = options.controllers || options.nodes;
  const address = options.address ?? '127.0.0.1';
  const serviceClusterIpRange = options.serviceClusterIpRange ?? '10.96.0.0/16';
  const directory = mkdtempSync(join(tmpdir(), 'podmcp-control-plane-'));
  const processes: ManagedProcess[] = [];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stopOnExit);
    for (const managed of [...processes].reverse()) await stopProcess(managed);
    rmSync(directory, { recursive: true, force: true });
  };
  const stopOnExit = () => {
    for (const managed of processes) managed.child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.on('exit', stopOnExit);
  const pidFile = join(directory, 'pids');
  startWatchdog(pidFile, directory);
  const start = (name: string, binary: string, args: readonly string[]) => {
    const managed = startProcess(name, binary, args, directory, pidFile);
    processes.push(managed);
    return managed;
  };

  try {
    const [apiserverPort, etcdPort, etcdPeerPort, controllerPort, schedulerPort, kwokPort] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const pki = await writePki(directory, [
      ...(address === '127.0.0.1' ? [] : [address]),
      firstAddress(serviceClusterIpRange),
    ]);
    const adminToken = randomBytes(24).toString('hex');
    const tokenFile = join(directory, 'tokens.csv');
    const tokenLines = [
      `${adminToken},podmcp-admin,podmcp-admin,"system:masters"`,
      ...(options.extraTokens ?? []).map(({ token, user, groups }) => `${token},${user},${user},"${groups.join(',')}"`),
    ];
    writeFileSync(tokenFile, `${tokenLines.join('\n')}\n`, { mode: 0o600 });
    const server = `https://${address}:${apiserverPort}`;
    const kubeconfigFile = join(directory, 'admin.kubeconfig');
    writeFileSync(kubeconfigFile, kubeconfigYaml(server, pki.caPem, adminToken), { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    start('etcd', binaries.etcd, [
      `--data-dir=${join(directory, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--log-level=warn',
      // Throwaway data: durability buys nothing and fsync costs seconds per test run.
      '--unsafe-no-fsync',
    ]);
    start('kube-apiserver', binaries.kubeApiserver, [
      ...apiserverArgs({ apiserver: apiserverPort, etcd: etcdPort }, pki, directory, tokenFile, {
        address,
        serviceClusterIpRange,
      }),
      ...(options.extraApiserverArgs ?? []),
    ]);
    const ready = async () => (await getStatus(server, '/readyz', pki.caPem, adminToken)) === 200;
    await waitFor('kube-apiserver /readyz', ready, processes, 90_000);
    const kubeConfig = loadKubeConfig(readFileSync(kubeconfigFile, 'utf8'));

    if (controllers) {
      const certDir = join(directory, 'controller-certs');
      mkdirSync(certDir);
      const clientFlags = [
        `--kubeconfig=${kubeconfigFile}`,
        `--authentication-kubeconfig=${kubeconfigFile}`,
        `--authorization-kubeconfig=${kubeconfigFile}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--cert-dir=${certDir}`,
        '--v=1',
      ];
      start('kube-controller-manager', binaries.kubeControllerManager, [
        ...clientFlags,
        `--secure-port=${controllerPort}`,
        `--root-ca-file=${pki.caFile}`,
        `--service-account-private-key-file=${pki.serviceAccountPrivateKeyFile}`,
        '--use-service-account-credentials=false',
        `--service-cluster-ip-range=${serviceClusterIpRange}`,
      ]);
      start('kube-scheduler', binaries.kubeScheduler, [...clientFlags, `--secure-port=${schedulerPort}`]);
    }
    let nodeName: string | undefined;
    let podLogFile: string | undefined;
    if (options.nodes) {
      nodeName = SIMULATED_NODE;
      podLogFile = join(directory, 'pod.log');
      writeFileSync(podLogFile, '');
      const logsConfig = join(directory, 'kwok-logs.yaml');
      writeFileSync(logsConfig, kwokLogsConfiguration(podLogFile));
      const extraConfig = join(directory, 'kwok-extra.yaml');
      const extraDocuments = options.kwokConfigurations ?? [];
      if (extraDocuments.length > 0) writeFileSync(extraConfig, extraDocuments.map((doc) => `---\n${doc}`).join('\n'));
      start('kwok', binaries.kwok, [
        `--kubeconfig=${kubeconfigFile}`,
        `--config=${binaries.kwokStages}`,
        `--config=${logsConfig}`,
        ...(extraDocuments.length > 0 ? [`--config=${extraConfig}`] : []),
        `--manage-single-node=${nodeName}`,
        '--node-ip=127.0.0.1',
        `--node-port=${kwokPort}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        `--tls-cert-file=${pki.servingCertFile}`,
        `--tls-private-key-file=${pki.servingKeyFile}`,
      ]);
      await registerSimulatedNode(kubeConfig, nodeName, processes);
    }

    return {
      server,
      caPem: pki.caPem,
      kubeconfigFile,
      kubeConfig,
      external: false,
      ...(nodeName ? { nodeName } : {}),
      ...(podLogFile ? { podLogFile } : {}),
      kubeConfigForToken: (token) => loadKubeConfig(kubeconfigYaml(server, pki.caPem, token)),
      diagnostics: () =>
        processes.map((managed) => `--- ${managed.name} (${managed.logFile})\n${managed.tail(20)}`).join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
