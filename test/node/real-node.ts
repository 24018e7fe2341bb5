/**
 * A real node for the e2e suites where realness matters: containerd 2 + runc run the pods, the CNI bridge
 * plugin wires them, the kubelet serves logs, exec and port-forward, and kube-proxy routes Services with
 * iptables. The control plane comes from the control-plane harness, bound to an address on a bridge this
 * harness creates (pods cannot reach loopback), so every address the node and its pods use is inside
 * 198.18.0.0/15 and nothing leaves the machine.
 *
 * Some of what the components touch is machine-wide (iptables chains, kubelet port 10250, /var/lib/cni,
 * kernel settings): one real node per machine, behind a lock, and teardown.sh removes all of it — from
 * stop(), from an exit handler, from a watchdog when the test runner is killed, and at the start of the
 * next run if a stale lock is found.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  type ControlPlane,
  type ControlPlaneOptions,
  ControlPlaneUnavailableError,
  kubeconfigYaml,
  startControlPlane,
} from '../control-plane/harness.ts';
import { freePorts } from '../control-plane/ports.ts';
import { type ManagedProcess, startProcess, stopProcess } from '../control-plane/processes.ts';
import { type NodeBuild, resolveNodeBuild } from './binaries.ts';
import { cniConfig, containerdConfig, kubeletConfig, kubeProxyConfig, NETWORK, type NodePaths } from './config.ts';
import { writeKubeletClientPki } from './pki.ts';

export { ControlPlaneUnavailableError, NETWORK };

export const REAL_NODE_NAME = 'podmcp-real-node';
const LOCK = process.env.PODMCP_REAL_NODE_LOCK ?? '/run/podmcp-real-node.lock';
const BASE = process.env.PODMCP_REAL_NODE_DIR ?? '/var/lib/podmcp-real-node';
// The node's components' kubeconfigs name their cluster and user `node`.
const NODE_KUBECONFIG_NAMES = { cluster: 'node', user: 'node' } as const;
const TEARDOWN = join(dirname(fileURLToPath(import.meta.url)), 'teardown.sh');
/** Folders the components use whatever they are configured with; teardown removes those it finds new. */
const SHARED_DIRS = ['/var/lib/cni', '/var/lib/kubelet', '/var/log/containers', '/run/containerd'];
/** Kernel settings the kubelet, kube-proxy or the bridge plugin may change; restored by teardown. */
const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
];

export interface RealNodeOptions {
  /** More OCI archives to import into the node's containerd (the podmcp image, say). */
  readonly images?: readonly string[];
  readonly extraApiserverArgs?: ControlPlaneOptions['extraApiserverArgs'];
  /** How long to wait for another run's node on this machine to go away (default 20 minutes). */
  readonly lockTimeoutMs?: number;
}

export interface RealNode {
  readonly plane: ControlPlane;
  readonly nodeName: string;
  /** The test app image (test/node/images/app), imported and ready to run. */
  readonly testAppImage: string;
  readonly pauseImage: string;
  /** Imports one more OCI archive into the node's containerd. */
  importImage(archive: string): void;
  /** The tail of every node component's log and the control plane's, for a failure message. */
  diagnostics(): string;
  stop(): Promise<void>;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Why this machine cannot run a real node, if it cannot. */
export function realNodeUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'a real node needs Linux';
  if (process.getuid?.() !== 0) return 'a real node needs root (it creates network links, mounts and cgroups)';
  for (const tool of ['ip', 'iptables', 'iptables-save', 'conntrack', 'umoci', 'skopeo', 'mount']) {
    if (!onPath(tool)) return `${tool} is not installed (Debian: iptables, conntrack, umoci, skopeo, iproute2)`;
  }
  if (!existsSync('/sys/fs/cgroup')) return 'no cgroup file system at /sys/fs/cgroup';
  return undefined;
}

function run(command: string, args: readonly string[], what: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}): ${result.stderr || result.error?.message}`);
  }
  return result.stdout;
}

function processStartTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(19);
  } catch {
    return undefined;
  }
}

function lockHolderAlive(): { pid: string } | undefined {
  let pid: string;
  try {
    pid = readFileSync(join(LOCK, 'pid'), 'utf8').trim();
  } catch {
    // Just created by another run that has not written its pid yet, or left half-made by a crash.
    try {
      return Date.now() - statSync(LOCK).mtimeMs < 30_000 ? { pid: '(starting)' } : undefined;
    } catch {
      return { pid: '(gone)' };
    }
  }
  let started = '';
  try {
    started = readFileSync(join(LOCK, 'pid-start'), 'utf8').trim();
  } catch {}
  return processStartTime(Number(pid)) === started ? { pid } : undefined;
}

function teardown(owner?: number): void {
  spawnSync('bash', [TEARDOWN, ...(owner ? ['--owner', String(owner)] : [])], {
    stdio: 'ignore',
    env: { ...process.env, PODMCP_REAL_NODE_LOCK: LOCK, PODMCP_REAL_NODE_DIR: BASE },
  });
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK, { mode: 0o700 });
      writeFileSync(join(LOCK, 'pid-start'), processStartTime(process.pid) ?? '');
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolderAlive();
    if (!holder) {
      process.stderr.write(`[node] a previous real node was not torn down (${LOCK}): removing what it left\n`);
      teardown();
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `another real node runs on this machine (test process ${holder.pid} holds ${LOCK}); waited ${timeoutMs} ms`,
      );
    }
    if (!told) process.stderr.write(`[node] waiting for the real node of test process ${holder.pid} to stop\n`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** What teardown.sh must know even when this process is gone: binaries, new shared folders, kernel settings. */
function recordState(build: NodeBuild): void {
  const created = SHARED_DIRS.filter((dir) => !existsSync(dir));
  const sysctls = SYSCTLS.flatMap((name) => {
    try {
      return [`${name}=${readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim()}`];
    } catch {
      return [];
    }
  });
  writeFileSync(
    join(LOCK, 'state.env'),
    [`NODE_BIN='${build.bin}'`, `CREATED_DIRS='${created.join(' ')}'`, `SYSCTLS='${sysctls.join(' ')}'`, ''].join('\n'),
  );
  writeFileSync(join(LOCK, 'created'), new Date().toISOString());
}

/** A detached shell that tears the node down once this process is gone, however it went. */
function startTeardownWatchdog(): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; exec bash "$0" --owner ${process.pid}`;
  const watchdog = spawn('sh', ['-c', script, TEARDOWN], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, PODMCP_REAL_NODE_LOCK: LOCK, PODMCP_REAL_NODE_DIR: BASE },
  });
  watchdog.unref();
  return watchdog;
}

function createNodeLink(): void {
  const { nodeLink, nodeAddress, nodePrefix } = NETWORK;
  const added = spawnSync('ip', ['link', 'add', nodeLink, 'type', 'bridge'], { encoding: 'utf8' });
  if (added.status !== 0) {
    throw new ControlPlaneUnavailableError(`cannot create a bridge link here: ${added.stderr.trim()}`);
  }
  run('ip', ['addr', 'add', `${nodeAddress}/${nodePrefix}`, 'dev', nodeLink], 'giving the node link its address');
  run('ip', ['link', 'set', nodeLink, 'up'], 'bringing the node link up');
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  processes: readonly ManagedProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    const dead = processes.find((managed) => managed.child.exitCode !== null || managed.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.tail()}`);
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}:\n${processes.map((p) => `--- ${p.name}\n${p.tail(15)}`).join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startRealNode(options: RealNodeOptions = {}): Promise<RealNode> {
  const unavailable = realNodeUnavailable();
  if (unavailable) throw new ControlPlaneUnavailableError(unavailable);
  if (process.env.KUBECONFIG) {
    throw new ControlPlaneUnavailableError('KUBECONFIG is set: the real node runs only with the local control plane');
  }
  const build = resolveNodeBuild();
  await acquireLock(options.lockTimeoutMs ?? 20 * 60_000);
  // No node of this harness runs now (the lock saw to it), so KUBE-* chains belong to a Kubernetes this machine
  // runs itself: a test node would fight it, and its teardown would remove that cluster's rules.
  const foreign = spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout ?? '';
  if (/^:KUBE-/m.test(foreign)) {
    rmSync(LOCK, { recursive: true, force: true });
    throw new ControlPlaneUnavailableError('this machine runs Kubernetes networking already (KUBE-* iptables chains)');
  }

  let plane: ControlPlane | undefined;
  const processes: ManagedProcess[] = [];
  let stopped = false;
  const teardownOnExit = () => teardown(process.pid);
  let watchdog: ChildProcess | undefined;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', teardownOnExit);
    // The kubelet first, so it does not restart what is being stopped; teardown.sh does the rest.
    for (const managed of processes) if (managed.name === 'kubelet') await stopProcess(managed, 2_000);
    teardown(process.pid);
    watchdog?.kill('SIGKILL');
    await plane?.stop();
  };

  try {
    recordState(build);
    process.on('exit', teardownOnExit);
    watchdog = startTeardownWatchdog();
    const paths: NodePaths = { base: BASE, bin: build.bin, containerdSocket: join(BASE, 'containerd.sock') };
    for (const dir of ['logs', 'pki', 'cni/net.d', 'cni/ipam', 'pod-logs', 'kubelet', 's']) {
      mkdirSync(join(BASE, dir), { recursive: true, mode: 0o700 });
    }
    const logs = join(BASE, 'logs');
    const pidFile = join(LOCK, 'pids');
    const start = (name: string, binary: string, args: readonly string[]) => {
      const managed = startProcess(name, binary, args, logs, pidFile);
      processes.push(managed);
      return managed;
    };

    createNodeLink();
    const kubeletPki = await writeKubeletClientPki(join(BASE, 'pki'));
    const kubeletToken = randomBytes(24).toString('hex');
    const proxyToken = randomBytes(24).toString('hex');
    plane = await startControlPlane({
      controllers: true,
      address: NETWORK.nodeAddress,
      serviceClusterIpRange: NETWORK.serviceCidr,
      extraTokens: [
        { token: kubeletToken, user: `system:node:${REAL_NODE_NAME}`, groups: ['system:nodes'] },
        // Bound to the system:node-proxier ClusterRole by the API server's default RBAC.
        { token: proxyToken, user: 'system:kube-proxy', groups: [] },
      ],
      extraApiserverArgs: [
        `--kubelet-client-certificate=${kubeletPki.apiserverClientCertFile}`,
        `--kubelet-client-key=${kubeletPki.apiserverClientKeyFile}`,
        ...(options.extraApiserverArgs ?? []),
      ],
    });
    const livePlane = plane;

    writeFileSync(join(BASE, 'containerd.toml'), containerdConfig(paths, build.pause.ref));
    start('containerd', join(build.bin, 'containerd'), [
      `--config=${join(BASE, 'containerd.toml')}`,
      '--log-level=warn',
    ]);
    const ctr = (...args: string[]) =>
      run(join(build.bin, 'ctr'), [`--address=${paths.containerdSocket}`, '--namespace=k8s.io', ...args], 'ctr');
    await waitUntil('containerd', () => existsSync(paths.containerdSocket) && ctr('version') !== '', processes, 30_000);
    const importImage = (archive: string) => {
      ctr('images', 'import', archive);
    };
    for (const archive of [build.pause.archive, build.testApp.archive, ...(options.images ?? [])]) importImage(archive);

    writeFileSync(join(BASE, 'cni/net.d/10-podmcp-test.conflist'), cniConfig(BASE));
    writeFileSync(join(BASE, 'resolv.conf'), 'nameserver 127.0.0.1\noptions ndots:1\n');
    writeFileSync(
      join(BASE, 'kubelet.kubeconfig'),
      kubeconfigYaml(livePlane.server, livePlane.caPem, kubeletToken, NODE_KUBECONFIG_NAMES),
      {
        mode: 0o600,
      },
    );
    writeFileSync(join(BASE, 'kubelet.yaml'), kubeletConfig(paths, kubeletPki.clientCaFile));
    start('kubelet', join(build.bin, 'kubelet'), [
      `--config=${join(BASE, 'kubelet.yaml')}`,
      `--kubeconfig=${join(BASE, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(BASE, 'kubelet')}`,
      `--cert-dir=${join(BASE, 'kubelet', 'pki')}`,
      `--hostname-override=${REAL_NODE_NAME}`,
      `--node-ip=${NETWORK.nodeAddress}`,
      '--v=1',
    ]);

    const [healthz, metrics] = (await freePorts(2)) as [number, number];
    writeFileSync(
      join(BASE, 'kube-proxy.kubeconfig'),
      kubeconfigYaml(livePlane.server, livePlane.caPem, proxyToken, NODE_KUBECONFIG_NAMES),
      {
        mode: 0o600,
      },
    );
    writeFileSync(
      join(BASE, 'kube-proxy.yaml'),
      kubeProxyConfig(join(BASE, 'kube-proxy.kubeconfig'), REAL_NODE_NAME, { healthz, metrics }),
    );
    start('kube-proxy', join(build.bin, 'kube-proxy'), [`--config=${join(BASE, 'kube-proxy.yaml')}`, '--v=1']);

    const core = livePlane.kubeConfig.makeApiClient(CoreV1Api);
    await waitUntil(
      `node ${REAL_NODE_NAME} Ready and untainted`,
      async () => {
        const node = await core.readNode({ name: REAL_NODE_NAME });
        const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return Boolean(ready) && (node.spec?.taints ?? []).length === 0;
      },
      processes,
      120_000,
    );
    // Pods need their namespace's ServiceAccount and CA bundle, and the `kubernetes` Service routed.
    await waitUntil(
      'the default ServiceAccount, kube-root-ca.crt and kube-proxy rules for the kubernetes Service',
      async () => {
        await core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
        await core.readNamespacedConfigMap({ namespace: 'default', name: 'kube-root-ca.crt' });
        return run('iptables-save', ['-t', 'nat'], 'iptables-save').includes('default/kubernetes:https');
      },
      processes,
      60_000,
    );

    return {
      plane: livePlane,
      nodeName: REAL_NODE_NAME,
      testAppImage: build.testApp.ref,
      pauseImage: build.pause.ref,
      importImage,
      diagnostics: () =>
        [
          ...processes.map((managed) => `--- ${managed.name} (${managed.logFile})\n${managed.tail(20)}`),
          livePlane.diagnostics(),
        ].join('\n'),
      stop,
    };
  } catch (error) {
    const tails = processes.map((managed) => `--- ${managed.name}\n${managed.tail(20)}`).join('\n');
    await stop();
    if (error instanceof ControlPlaneUnavailableError) throw error;
    throw new Error(`${(error as Error).message}${tails ? `\n${tails}` : ''}`);
  }
}
