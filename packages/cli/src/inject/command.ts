/**
 * `podmcp inject`: offline injection, like `istioctl kube-inject` or `linkerd inject`. This module only reads
 * flags and moves bytes; the decision and the patch are the webhook's own, from @podmcp/injector.
 */
import { readFile } from 'node:fs/promises';
import { defaultInjectorConfig, type InjectorConfig, parseInjectorConfig } from '@podmcp/injector';
import { type Command, CommandError, EXIT_FAILURE, EXIT_OK, UsageError } from '../command.ts';
import { oneOf, parseFlags } from '../flags.ts';
import { injectSources } from './inject.ts';
import { anyDenied, renderCheckJson, renderCheckText, renderDenials, renderWarnings } from './report.ts';
import { readSources, unreadable } from './sources.ts';

const help = `Usage:
  podmcp inject [-f FILE]... [flags]

Adds the podmcp sidecar to workload manifests offline, exactly as the admission webhook would, and prints
the result. Workloads whose pod template carries podmcp.dev/inject: "true" are injected; every other
document passes through unchanged. Running inject on its own output changes nothing.

Flags:
  -f, --filename FILE           A manifest file, a directory (its *.yaml and *.yml files, sorted), or - for
                                stdin. Repeatable. Without -f, manifests are read from stdin.
      --config FILE             Cluster defaults: the same injector.yaml the webhook mounts. Without it,
                                the built-in defaults.
      --native-sidecars BOOL    Whether the target cluster runs native sidecars: true (the default) or false.
                                Kubernetes 1.29 and newer run them by default, so the sidecar is added as an
                                init container with restartPolicy: Always that starts before the app and
                                never keeps a Job from completing. Use false for older clusters: the sidecar
                                becomes a regular container, and pods that require podmcp.dev/native-sidecar:
                                "true" are denied. nativeSidecars in --config (always, never) takes precedence.
      --check                   Print the decision for each workload instead of YAML, then its errors and
                                warnings. Exits 1 if any workload would be denied: a lint for CI.
  -o, --output FORMAT           With --check: text (the default) or json.
  -h, --help                    Show this help.

Examples:
  podmcp inject -f deployment.yaml | kubectl apply -f -
  kubectl kustomize overlays/prod | podmcp inject | kubectl apply -f -
  podmcp inject --check -f k8s/

Exit codes:
  0  the YAML was printed (or, with --check, no workload would be denied)
  1  a workload would be denied, or an input could not be read or parsed; without --check nothing is
     printed to stdout, so a pipeline never applies half of the manifests
  2  usage error
`;

const OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  config: { type: 'string' },
  'native-sidecars': { type: 'string', default: 'true' },
  check: { type: 'boolean', default: false },
  output: { type: 'string', short: 'o' },
} as const;

export const injectCommand: Command = {
  summary: 'Add the podmcp sidecar to manifests offline, as the webhook would (--check to lint).',
  help,
  async run(argv, io) {
    const flags = parseFlags(argv, OPTIONS);
    const nativeSidecars = oneOf('native-sidecars', flags['native-sidecars'], ['true', 'false']) === 'true';
    const format = flags.output === undefined ? 'text' : oneOf('output', flags.output, ['text', 'json']);
    if (flags.output !== undefined && !flags.check) {
      throw new UsageError('-o/--output applies to --check; without --check the output is the injected YAML');
    }
    const config = flags.config === undefined ? defaultInjectorConfig() : await loadConfig(flags.config);
    const sources = await readSources(flags.filename ?? [], io.stdin);
    const { output, reports } = injectSources(sources, config, { nativeSidecars });

    if (flags.check) {
      io.stdout.write(format === 'json' ? renderCheckJson(reports) : renderCheckText(reports));
      return anyDenied(reports) ? EXIT_FAILURE : EXIT_OK;
    }
    io.stderr.write(renderWarnings(reports));
    if (anyDenied(reports)) throw new CommandError(renderDenials(reports));
    io.stdout.write(output);
    return EXIT_OK;
  },
};

async function loadConfig(path: string): Promise<InjectorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    return parseInjectorConfig(text, path);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
}
