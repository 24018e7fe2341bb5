/**
 * `podmcp connect`: gives a local agent the MCP endpoint of a workload's injected sidecar. It picks a ready
 * pod carrying the sidecar, port-forwards to the sidecar's MCP port over the API server with the user's
 * kubeconfig, and relays stdio to it (or, with --listen, serves a local Streamable HTTP endpoint).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  CLAIMED_IDENTITY_MAX_CHARS,
  cleanClaimedIdentity,
  inClusterTokenFile,
  KubeConfigError,
  kubeconfigFiles,
  loadKubeConfig as loadUserKubeConfig,
} from '@podmcp/core';
import { type Command, CommandError, EXIT_OK, type IO, UsageError } from '../command.ts';
import { withUsageErrors } from '../flags.ts';
import { StdioBridge } from './bridge.ts';
import { Cluster, ConnectError, forbiddenToPortForward } from './cluster.ts';
import { acceptConnections, ForwardError, PodForwarder } from './forward.ts';
import { PodPicker } from './picker.ts';
import { parseTarget, type Target } from './target.ts';

const help = `Usage:
  podmcp connect [flags] deploy/NAME | sts/NAME | ds/NAME | pod/NAME | NAME

Connects a local MCP client to the podmcp sidecar injected into a workload's pods. It picks a ready pod that
carries the sidecar, port-forwards to the sidecar's MCP port through the API server with your kubeconfig
(like kubectl port-forward: you need create on pods/portforward), and relays MCP between stdin/stdout and the
sidecar. An agent's MCP configuration is then just a command:

  {"command": "npx", "args": ["podmcp", "connect", "deploy/checkout"]}

A bare NAME is looked up as a Deployment, a StatefulSet, a DaemonSet, then a Pod. When the pod goes away,
the next request connects to another ready pod of the workload. Logs go to stderr; stdout carries the
protocol. Exits 0 when stdin closes; exits 1 with what to do when the workload does not exist, has no
sidecar injected (podmcp.dev/inject), has no ready pod, or you may not port-forward.

Flags:
  -n, --namespace NS          The workload's namespace. Default: the kubeconfig context's namespace, else "default".
      --kubeconfig FILE       Default: $KUBECONFIG, else ~/.kube/config (in a pod: its service account).
      --context NAME          A context of the kubeconfig instead of its current one.
      --listen [HOST:]PORT    Instead of stdio, serve Streamable HTTP on http://HOST:PORT/mcp (HOST defaults to
                              127.0.0.1; PORT 0 picks a free one). Each connection is port-forwarded to a ready
                              pod. Runs until SIGINT or SIGTERM.
  -h, --help                  Show this help.

Examples:
  podmcp connect deploy/checkout                       # stdio, for an agent that starts it
  claude mcp add podmcp-checkout -- npx podmcp connect deploy/checkout
  podmcp connect -n shop --context prod sts/db
  podmcp connect --listen 9810 deploy/checkout         # then POST http://127.0.0.1:9810/mcp`;

export interface ConnectArgs {
  readonly target: Target;
  readonly namespace: string | undefined;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
}

/** The command line, checked; throws UsageError. Exported so configuration snippets can be checked against it. */
export function parseConnectArgs(argv: readonly string[]): ConnectArgs {
  const { values, positionals } = withUsageErrors(() => parse(argv));
  if (positionals.length === 0) {
    throw new UsageError('name the workload to connect to, e.g. podmcp connect deploy/checkout');
  }
  if (positionals.length > 1) {
    throw new UsageError(`one workload only, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  const target = parseTarget(positionals[0] ?? '');
  if ('error' in target) throw new UsageError(target.error);
  for (const flag of ['namespace', 'kubeconfig', 'context'] as const) {
    const value = values[flag];
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  }
  return {
    target,
    namespace: values.namespace,
    kubeconfig: values.kubeconfig,
    context: values.context,
    listen: values.listen === undefined ? undefined : parseListen(values.listen),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      listen: { type: 'string' },
    },
  });
}

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen must be [HOST:]PORT with PORT between 0 and 65535, got ${JSON.stringify(text)}`);
  }
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** The user's kubeconfig, as kubectl would read it. */
export function loadKubeConfig(
  args: Pick<ConnectArgs, 'kubeconfig' | 'context'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KubeConfig {
  let kubeConfig: KubeConfig | undefined;
  try {
    kubeConfig = loadUserKubeConfig({ file: args.kubeconfig, context: args.context, env });
  } catch (error) {
    if (!(error instanceof KubeConfigError)) throw error;
    const missing = error.problem === 'missing-file';
    throw new CommandError(missing ? `cannot read the kubeconfig: ${error.message}` : error.message);
  }
  // Without a kubeconfig client-node falls back to http://localhost:8080 and fails later with a message about
  // TLS; say what is missing instead. (In a pod, its ServiceAccount is a kubeconfig too.)
  if (kubeConfig === undefined) throw new CommandError('no kubeconfig found; set KUBECONFIG or --kubeconfig');
  if (kubeConfig.getCurrentCluster() === null) {
    throw new CommandError('the kubeconfig has no current cluster: pass --kubeconfig or --context');
  }
  return kubeConfig;
}

/** Whether there is a kubeconfig to load: a KUBECONFIG file, ~/.kube/config, or in-cluster credentials. */
export function kubeConfigAvailable(env: Readonly<Record<string, string | undefined>>): boolean {
  return kubeconfigFiles(env).length > 0 || inClusterTokenFile(env) !== undefined;
}

/**
 * Who this connect process says it is to the sidecar: the kubeconfig's user and an id of this process, so two
 * agents of one user are two callers. Unverified (anyone reaching the port could claim anything), so the
 * sidecar labels it claimed; with token authentication the verified identity decides.
 */
export function claimedIdentityOf(kubeConfig: KubeConfig, instance = randomBytes(4).toString('hex')): string {
  let user = kubeConfig.getCurrentUser()?.name;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  // Cleaned here, not only by the sidecar: a name outside Latin-1 in a header makes every request throw. The
  // user part is shortened so the instance id, which tells two agents of one user apart, always fits.
  const room = CLAIMED_IDENTITY_MAX_CHARS - instance.length - 1;
  return `${cleanClaimedIdentity(user)?.slice(0, room) ?? 'unknown'}#${instance}`;
}

function namespaceOf(kubeConfig: KubeConfig, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return context?.namespace ?? 'default';
}

export const connectCommand: Command = {
  summary: "Connect a local MCP client to a workload's injected sidecar, by port-forward.",
  help,
  async run(argv: readonly string[], io: IO): Promise<number> {
    const args = parseConnectArgs(argv);
    const kubeConfig = loadKubeConfig(args);
    const namespace = namespaceOf(kubeConfig, args.namespace);
    const log = (line: string) => {
      io.stderr.write(`podmcp connect: ${line}\n`);
    };
    const cluster = new Cluster(kubeConfig, namespace);
    const picker = new PodPicker(cluster, args.target, log);
    const forwarder = new PodForwarder(kubeConfig, namespace, log);

    // Fail at start, with the reason, rather than on the agent's first request.
    const first = await picker.pod();
    if ((await cluster.mayPortForward(first.name)) === false) throw forbiddenToPortForward(namespace, first.name);

    if (args.listen === undefined) {
      const claimedIdentity = claimedIdentityOf(kubeConfig);
      await new StdioBridge({
        stdin: io.stdin,
        stdout: io.stdout,
        picker,
        forwarder,
        namespace,
        log,
        claimedIdentity,
      }).run();
      return EXIT_OK;
    }
    await serveListen(args.listen, { picker, forwarder, namespace, log });
    return EXIT_OK;
  },
};

/** --listen: a plain port-forward. Each accepted connection goes to the current pod, re-checked first. */
async function serveListen(
  address: { host: string; port: number },
  context: { picker: PodPicker; forwarder: PodForwarder; namespace: string; log: (line: string) => void },
): Promise<void> {
  const { picker, forwarder, namespace, log } = context;
  const connectOne = async (socket: import('node:net').Socket) => {
    // One retry: a pod that vanished is only found out when its stream is refused, before any byte is read.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const pod = await picker.pod();
      if (!(await picker.stillServing(pod))) continue;
      try {
        await forwarder.pipe(socket, { pod: pod.name, port: pod.port });
        return;
      } catch (error) {
        if (error instanceof ForwardError && error.status === 403) throw forbiddenToPortForward(namespace, pod.name);
        picker.drop(pod.name, `could not be reached (${(error as Error).message})`);
      }
    }
    throw new ConnectError('no ready pod could be reached; the next connection tries again');
  };
  let local: Awaited<ReturnType<typeof acceptConnections>>;
  try {
    local = await acceptConnections(address.host, address.port, (socket) => {
      connectOne(socket).catch((error: unknown) => {
        log((error as Error).message);
        socket.destroy();
      });
    });
  } catch (error) {
    throw new CommandError(`cannot listen on ${address.host}:${address.port}: ${(error as Error).message}`);
  }
  const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
  log(`listening on http://${shown}:${local.port}/mcp (Streamable HTTP, forwarded to ${picker.workload})`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await local.close();
  forwarder.closeAll();
}
