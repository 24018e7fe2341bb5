/**
 * `podmcp webhook`: runs the injector — the mutating admission webhook and its admin server — until SIGTERM,
 * then shuts down gracefully. This module only turns flags and environment into run options.
 */
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  INJECTOR_NAME,
  KubeConfigError,
  loadKubeConfig as loadCredentials,
  WEBHOOK_ADMIN_PORT,
  WEBHOOK_PORT,
} from '@podmcp/core';
import { runWebhook, startSelfSignedCertificates, type WebhookRunOptions } from '@podmcp/injector';
import { type Logger, pino } from 'pino';
import { type Command, CommandError, EXIT_OK, type IO, UsageError } from '../command.ts';
import { oneOf, parseFlags, portFlag } from '../flags.ts';

const help = `Usage:
  podmcp webhook --tls-cert FILE --tls-key FILE [flags]

Serves the podmcp injector: POST /mutate (AdmissionReview v1) over TLS on --port, and /healthz, /readyz
and /metrics over plain HTTP on --admin-port. Logs are JSON lines on stdout, one per admission decision.
On SIGTERM it turns unready, waits --shutdown-delay for endpoints to drop it, finishes in-flight requests
and exits 0.

Flags:
      --config FILE            Cluster defaults (injector.yaml); without it, the built-in defaults.
      --port PORT              Webhook HTTPS port (default ${WEBHOOK_PORT}).
      --admin-port PORT        Health and metrics port (default ${WEBHOOK_ADMIN_PORT}).
      --bind-address ADDRESS   Address both servers listen on (default 0.0.0.0).
      --tls-cert FILE          Serving certificate (PEM); reloaded when the file changes.
      --tls-key FILE           Its private key (PEM).
      --self-signed            Manage TLS in the cluster instead of reading --tls-cert/--tls-key: the leader
                               (Lease --lease-name) keeps a CA and serving certificate in Secret --tls-secret,
                               renews them, and writes the CA into --webhook-name's caBundle; every replica
                               serves the certificate from the Secret. Namespace: $POD_NAMESPACE.
      --tls-secret NAME        Self-signed: the TLS Secret (default ${INJECTOR_NAME}-tls).
      --webhook-name NAME      Self-signed: the MutatingWebhookConfiguration (default ${INJECTOR_NAME}).
      --service-name NAME      Self-signed: the Service the certificate is for (default ${INJECTOR_NAME}).
      --lease-name NAME        Self-signed: the leader-election Lease (default ${INJECTOR_NAME}-cert).
      --kubeconfig FILE        API server access, for Events and the cluster version. Default: in-cluster
                               credentials, else $KUBECONFIG or ~/.kube/config, else none (no Events; the
                               config's nativeSidecars must then be always or never).
      --shutdown-delay SECONDS Time between turning unready and closing the listener (default 5).
      --log-level LEVEL        debug, info (default), warn or error.
  -h, --help                   Show this help.

Environment: POD_NAME names this instance in Events and leader election; POD_NAMESPACE is the
injector's namespace (self-signed mode).`;

/** Credentials in kubectl's order; none at all is a valid answer (offline or a test). */
function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  try {
    return loadCredentials({ file, env });
  } catch (error) {
    if (error instanceof KubeConfigError && error.problem === 'missing-file') throw new UsageError(error.message);
    throw error;
  }
}

type WebhookFlags = Readonly<Record<string, string | boolean | undefined>>;

/** Serving certificates from files, or (--self-signed) kept in a Secret by the injector itself. */
function tlsSource(
  flags: WebhookFlags,
  kubeConfig: KubeConfig | undefined,
  instance: string,
  logger: Logger,
): WebhookRunOptions['tls'] {
  if (flags['self-signed'] !== true) {
    return { kind: 'files', certFile: flags['tls-cert'] as string, keyFile: flags['tls-key'] as string };
  }
  const namespace = process.env.POD_NAMESPACE;
  if (!namespace) throw new UsageError('--self-signed needs POD_NAMESPACE (set it from the downward API)');
  if (!kubeConfig) throw new UsageError('--self-signed needs API server credentials (in-cluster or --kubeconfig)');
  const name = (flag: string, fallback: string) => (flags[flag] as string | undefined) ?? fallback;
  const names = {
    kubeConfig,
    namespace,
    secretName: name('tls-secret', `${INJECTOR_NAME}-tls`),
    webhookName: name('webhook-name', INJECTOR_NAME),
    serviceName: name('service-name', INJECTOR_NAME),
    leaseName: name('lease-name', `${INJECTOR_NAME}-cert`),
    identity: instance,
    logger,
  };
  return { kind: 'source', start: (onCertificate) => startSelfSignedCertificates({ ...names, onCertificate }) };
}

/** Runs until SIGTERM or SIGINT, then closes gracefully. */
function untilSignalled(running: { close(): Promise<void> }, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      logger.info({ signal }, 'stopping');
      running.close().then(resolve, resolve);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}

export const webhookCommand: Command = {
  summary: 'Run the injector: the mutating admission webhook that adds the podmcp sidecar.',
  help,
  async run(argv: readonly string[], io: IO): Promise<number> {
    const flags = parseFlags(argv, {
      config: { type: 'string' },
      port: { type: 'string' },
      'admin-port': { type: 'string' },
      'bind-address': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      kubeconfig: { type: 'string' },
      'shutdown-delay': { type: 'string' },
      'log-level': { type: 'string' },
      'self-signed': { type: 'boolean' },
      'tls-secret': { type: 'string' },
      'webhook-name': { type: 'string' },
      'service-name': { type: 'string' },
      'lease-name': { type: 'string' },
    });
    const selfSigned = flags['self-signed'] === true;
    if (!selfSigned && (!flags['tls-cert'] || !flags['tls-key'])) {
      throw new UsageError(
        '--tls-cert and --tls-key are required (or --self-signed): the API server only calls webhooks over TLS',
      );
    }
    const delay = Number(flags['shutdown-delay'] ?? '5');
    if (!Number.isFinite(delay) || delay < 0 || delay > 300) {
      throw new UsageError(`--shutdown-delay must be between 0 and 300 seconds, got ${flags['shutdown-delay']}`);
    }
    const level = oneOf('log-level', flags['log-level'] ?? 'info', ['debug', 'info', 'warn', 'error'] as const);
    const logger = pino({ level, base: { component: INJECTOR_NAME } }, io.stdout);
    const kubeConfig = loadKubeConfig(flags.kubeconfig);
    const instance = process.env.POD_NAME ?? hostname();
    const tls = tlsSource(flags, kubeConfig, instance, logger);
    const options: WebhookRunOptions = {
      ...(flags.config ? { configFile: flags.config } : {}),
      host: flags['bind-address'] ?? '0.0.0.0',
      port: portFlag('port', flags.port) ?? WEBHOOK_PORT,
      adminHost: flags['bind-address'] ?? '0.0.0.0',
      adminPort: portFlag('admin-port', flags['admin-port']) ?? WEBHOOK_ADMIN_PORT,
      tls,
      ...(kubeConfig ? { kubeConfig } : {}),
      instance,
      logger,
      shutdownDelayMs: delay * 1000,
    };
    if (!kubeConfig) logger.warn('no API server credentials: Events are off');

    let running: Awaited<ReturnType<typeof runWebhook>>;
    try {
      running = await runWebhook(options);
    } catch (error) {
      // Start-up problems (an invalid config, an unreadable certificate, a port in use) are the user's to fix.
      throw new CommandError((error as Error).message);
    }
    await untilSignalled(running, logger);
    logger.info('stopped');
    return EXIT_OK;
  },
};
