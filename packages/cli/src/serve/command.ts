/**
 * `podmcp serve`: runs the MCP sidecar — what the injected container runs (`args: [serve]`), and what a
 * developer runs beside kubectl to give a local agent the same scoped access. This module only turns flags
 * into run options; settings, transports and shutdown live in @podmcp/sidecar.
 */
import { DEFAULT_HEALTH_PORT, DEFAULT_MCP_PORT } from '@podmcp/core';
import {
  parseWorkloadReference,
  runSidecar,
  SidecarConfigError,
  SidecarStartError,
  serveUntilStopped,
  TRANSPORTS,
} from '@podmcp/sidecar';
import { type Command, CommandError, EXIT_OK, type IO, UsageError } from '../command.ts';
import { oneOf, parseFlags, portFlag } from '../flags.ts';

const help = `Usage:
  podmcp serve [flags]

Serves MCP for one namespace: the tools, resources and prompts of the podmcp sidecar, with the credentials
of the kubeconfig or service account it runs with. There is no namespace argument for callers; Secrets are
never readable. Logs are JSON lines on stderr (stdout carries the stdio protocol).

Transports:
  stdio   One client on stdin/stdout (an agent that starts podmcp itself). Exits when stdin closes.
  http    Streamable HTTP: POST http://HOST:PORT/mcp; initialize starts an MCP session, DELETE ends it.
          Binds 127.0.0.1 unless PODMCP_EXPOSE=true (then the pod IP, else 0.0.0.0) or --host. Health and
          metrics on --health-port: /healthz, /readyz (ready = serving MCP; never depends on the API
          server), /metrics.
On SIGTERM or SIGINT it turns unready, stops accepting, finishes requests in flight (up to 25 s) and exits 0.
An API server that cannot be reached does not stop it: it logs a warning, serves, and tools say so.

Flags:
      --transport stdio|http   Default: http when running injected (PODMCP_POD_NAME set), else stdio.
      --namespace NS           The namespace to serve. Default: PODMCP_POD_NAMESPACE, the service account's
                               namespace, the kubeconfig context's namespace, else "default".
      --kubeconfig FILE        Credentials from this kubeconfig. Default: the injected token (PODMCP_TOKEN_FILE),
                               in-cluster credentials, else $KUBECONFIG or ~/.kube/config.
      --context NAME           A context of the kubeconfig instead of its current one.
      --pod NAME               The pod "self" means (default PODMCP_POD_NAME).
      --workload KIND/NAME     Outside a pod: the workload "self" means, e.g. deploy/web.
      --host ADDRESS           HTTP: the address to bind (overrides the PODMCP_EXPOSE choice).
      --port PORT              HTTP: the MCP port (default PODMCP_PORT, else ${DEFAULT_MCP_PORT}; 0 picks a free one).
      --health-port PORT       Health and metrics port (default PODMCP_HEALTH_PORT, else ${DEFAULT_HEALTH_PORT}). With stdio,
                               the health server runs only when this flag is given.
      --allowed-host NAME      HTTP: also accept this name in Host and Origin headers (repeatable), e.g. a
                               Service name when exposed. Loopback names (and the pod IP when exposed) always are.
      --token-audience AUD     HTTP: callers must send a bearer token issued for this audience, checked with a
                               TokenReview, and RBAC \`use\` on tools.podmcp.dev per tool (default
                               PODMCP_TOKEN_AUDIENCE). Required to listen beyond loopback.
  -h, --help                   Show this help.

Environment: every PODMCP_* setting the injector writes (PODMCP_MODE, PODMCP_TOOLS, PODMCP_PORT,
PODMCP_HEALTH_PORT, PODMCP_EXPOSE, PODMCP_LOG_LEVEL, PODMCP_RATE_LIMIT, …) and the identity variables
(PODMCP_POD_NAME, PODMCP_POD_NAMESPACE, PODMCP_POD_IP). Flags override them. An invalid value exits 2 and
names the variable and its allowed values.

Examples:
  podmcp serve --namespace shop --workload deploy/web          # stdio, for a local agent
  podmcp serve --transport http --port 9810 --context staging  # http://127.0.0.1:9810/mcp
  kubectl port-forward pod/web-0 9810:9810                      # reach an injected sidecar`;

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  return value;
}

export const serveCommand: Command = {
  summary: 'Run the MCP sidecar for one namespace, over stdio or Streamable HTTP.',
  help,
  async run(argv: readonly string[], io: IO): Promise<number> {
    const flags = parseFlags(argv, {
      transport: { type: 'string' },
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      pod: { type: 'string' },
      workload: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'health-port': { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'token-audience': { type: 'string' },
    });
    const transport = flags.transport === undefined ? undefined : oneOf('transport', flags.transport, TRANSPORTS);
    let workload: { kind: string; name: string } | undefined;
    if (flags.workload !== undefined) {
      const parsed = parseWorkloadReference(flags.workload);
      if ('error' in parsed) throw new UsageError(`--workload: ${parsed.error}`);
      if (parsed.self)
        throw new UsageError('--workload must name a workload as KIND/NAME (e.g. deploy/web), not "self"');
      workload = { kind: parsed.kind, name: parsed.name };
    }
    const stdioOnly = transport === 'stdio';
    if (stdioOnly && (flags.host !== undefined || flags.port !== undefined || flags['allowed-host'] !== undefined)) {
      throw new UsageError('--host, --port and --allowed-host apply to --transport http only');
    }
    const tokenAudience = flags['token-audience'];
    if (tokenAudience !== undefined && !/^[\x21-\x7e]{1,253}$/.test(tokenAudience)) {
      throw new UsageError('--token-audience must be an audience string: 1-253 printable characters, no spaces');
    }

    let running: Awaited<ReturnType<typeof runSidecar>>;
    try {
      running = await runSidecar({
        env: process.env,
        transport,
        namespace: nonEmpty('namespace', flags.namespace),
        kubeconfig: nonEmpty('kubeconfig', flags.kubeconfig),
        context: nonEmpty('context', flags.context),
        podName: nonEmpty('pod', flags.pod),
        workload,
        host: nonEmpty('host', flags.host),
        port: portFlag('port', flags.port),
        healthPort: portFlag('health-port', flags['health-port']),
        allowedHosts: flags['allowed-host'],
        tokenAudience,
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
      });
    } catch (error) {
      if (error instanceof SidecarConfigError) throw new UsageError(error.message);
      if (error instanceof SidecarStartError) throw new CommandError(error.message);
      throw error;
    }
    await serveUntilStopped(running);
    return EXIT_OK;
  },
};
