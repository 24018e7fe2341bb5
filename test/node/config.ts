/**
 * The real node's configuration files: containerd, the CNI network, the kubelet and kube-proxy. Pure
 * functions of the node's paths and addresses, so what the node runs with is readable in one place.
 */
import { stringify } from 'yaml';

/** Every address the node uses is inside 198.18.0.0/15 (RFC 2544), on links the harness creates. */
export const NETWORK = {
  /** The bridge the harness owns; the node IP and the API server's address are on it. */
  nodeLink: 'podmcp0',
  nodeAddress: '198.18.0.1',
  nodePrefix: 24,
  /** The bridge the CNI plugin creates for the pods, and their subnet. */
  podBridge: 'podmcp-cni0',
  podCidr: '198.18.16.0/20',
  podGateway: '198.18.16.1',
  serviceCidr: '198.19.0.0/16',
  /** Pods route only this range: nothing they send can leave the machine. */
  routedRange: '198.18.0.0/15',
  cniNetwork: 'podmcp-test',
} as const;

export interface NodePaths {
  readonly base: string;
  readonly bin: string;
  readonly containerdSocket: string;
}

const quote = (value: string) => `'${value}'`;

export function containerdConfig(paths: NodePaths, pauseImage: string): string {
  const { base, bin } = paths;
  // Version 4 is what this containerd writes as its default. Only what differs from the defaults is set: own
  // folders and sockets (nothing under /var/lib/containerd, /run/containerd, /etc or /opt), no NRI, no
  // machine-wide config imports.
  return `version = 4
root = ${quote(`${base}/containerd/root`)}
state = ${quote(`${base}/containerd/state`)}
imports = []
disabled_plugins = ['io.containerd.nri.v1.nri', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.blockfile', 'io.containerd.snapshotter.v1.erofs', 'io.containerd.differ.v1.erofs', 'io.containerd.image-verifier.v1.bindir']

[plugins]
  [plugins.'io.containerd.server.v1.grpc']
    address = ${quote(paths.containerdSocket)}
  [plugins.'io.containerd.server.v1.ttrpc']
    address = ${quote(`${paths.containerdSocket}.ttrpc`)}
  [plugins.'io.containerd.internal.v1.opt']
    path = ${quote(`${base}/containerd/opt`)}
  [plugins.'io.containerd.shim.v1.manager']
    socket_dir = ${quote(`${base}/s`)}
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = ${quote(pauseImage)}
  [plugins.'io.containerd.cri.v1.runtime']
    # The sandbox's bounding set lacks CAP_SYS_RESOURCE: runc could not lower the pause container's score.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        runtime_path = ${quote(`${bin}/containerd-shim-runc-v2`)}
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = ${quote(`${bin}/runc`)}
          Root = ${quote(`${base}/runc`)}
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [${quote(bin)}]
      conf_dir = ${quote(`${base}/cni/net.d`)}
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
`;
}

export function cniConfig(base: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: NETWORK.cniNetwork,
      plugins: [
        {
          type: 'bridge',
          bridge: NETWORK.podBridge,
          isGateway: true,
          // No masquerade and no default route: pods reach the node's range and nothing beyond it.
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${base}/cni/ipam`,
            ranges: [[{ subnet: NETWORK.podCidr, gateway: NETWORK.podGateway }]],
            routes: [{ dst: NETWORK.routedRange }],
          },
        },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(paths: NodePaths, clientCaFile: string): string {
  const { base } = paths;
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    address: NETWORK.nodeAddress,
    port: 10250,
    readOnlyPort: 0,
    healthzPort: 0,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: clientCaFile },
    },
    authorization: { mode: 'Webhook' },
    // This machine kind: cgroup v1 (refused by default since 1.35), no systemd, swap may be on.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    podLogsDir: `${base}/pod-logs`,
    // No external nameserver: a pod's lookups go to its own loopback and nowhere else.
    resolvConf: `${base}/resolv.conf`,
    clusterDomain: 'cluster.local',
    // A test node on a shared disk: never evict or collect images because the disk is fuller than a real node's.
    evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '0%', 'imagefs.available': '0%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    shutdownGracePeriod: '0s',
    rotateCertificates: false,
  });
}

export function kubeProxyConfig(
  kubeconfig: string,
  nodeName: string,
  ports: { healthz: number; metrics: number },
): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: nodeName,
    mode: 'iptables',
    bindAddress: NETWORK.nodeAddress,
    healthzBindAddress: `127.0.0.1:${ports.healthz}`,
    metricsBindAddress: `127.0.0.1:${ports.metrics}`,
    clusterCIDR: NETWORK.podCidr,
    // NodePorts open on the node's own range only, never on the machine's interfaces.
    nodePortAddresses: [NETWORK.routedRange],
    // 0 keeps the machine's conntrack settings as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { minSyncPeriod: '0s', syncPeriod: '30s' },
  });
}
