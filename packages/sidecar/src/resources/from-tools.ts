/**
 * Resources that address the same facts the tools compute: a pod's diagnosis and logs, the namespace's events,
 * a workload's or ConfigMap's manifest, a runbook, the app's metrics. Each is read through its tool, so it is
 * bounded, redacted and rendered the same way, and offered only where that tool is enabled.
 */
import type { ServiceContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { createRedactor } from '../safety/redact.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { invokeTool } from '../tools/invoke.ts';
import { configMapNames, podNames, runbookNames } from './completions.ts';
import type { ResourceDefinition } from './definition.ts';
import { watchWhileSubscribed } from './watch.ts';

const WORKLOAD_KINDS = ['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'replicasets'];

/** Name-based redaction (env pairs, credential keys) needs the structure; the exit sees only the text. */
const byName = createRedactor();

/**
 * One object's manifest as get_resources renders it, pretty-printed JSON, redacted by name as get_resources'
 * structured answer is: once printed, `"name": "DB_PASSWORD"` and its `"value"` are on separate lines.
 */
async function manifest(kind: string | undefined, name: string | undefined, context: ServiceContext): Promise<string> {
  const { structured } = await invokeTool('get_resources', { kind, name }, context);
  return JSON.stringify(byName.value(structured.object ?? structured), null, 2);
}

export const podResource: ResourceDefinition = {
  uri: 'podmcp://pods/{name}',
  name: 'pod',
  title: 'Pod diagnosis',
  description: 'One pod in this namespace: phase, conditions, container states, last terminations, recent warnings.',
  mimeType: 'text/markdown',
  requires: 'diagnose',
  complete: { name: podNames },
  async list(context) {
    const own = await context.self.pod().catch(() => undefined);
    const name = own?.metadata?.name;
    return name ? [{ uri: `podmcp://pods/${name}`, name: `pod ${name} (this pod)` }] : [];
  },
  async read(variables, context) {
    return (await invokeTool('diagnose', { pod: variables.name }, context)).text;
  },
};

export const podLogsResource: ResourceDefinition = {
  uri: 'podmcp://pods/{name}/logs',
  name: 'pod-logs',
  title: 'Pod logs',
  description: "The last 200 lines of a pod's default container (use get_pod_logs for filters and paging).",
  mimeType: 'text/plain',
  requires: 'get_pod_logs',
  complete: { name: podNames },
  async read(variables, context) {
    return (await invokeTool('get_pod_logs', { pod: variables.name, tail_lines: 200 }, context)).text;
  },
};

export const eventsResource: ResourceDefinition = {
  uri: 'podmcp://events',
  name: 'events',
  title: 'Recent events',
  description: 'Recent events in this namespace, warnings first. Subscribable: changes are signalled while subscribed.',
  mimeType: 'text/plain',
  requires: 'list_events',
  async read(_variables, context) {
    return (await invokeTool('list_events', {}, context)).text;
  },
  watch: (_variables, context, changed) =>
    watchWhileSubscribed(context, `/api/v1/namespaces/${context.kube.namespace}/events`, {}, changed),
};

export const workloadResource: ResourceDefinition = {
  uri: 'podmcp://workloads/{kind}/{name}',
  name: 'workload',
  title: 'Workload manifest',
  description: `A workload's manifest without machinery noise; kind is one of ${WORKLOAD_KINDS.join(', ')}.`,
  mimeType: 'application/json',
  requires: 'get_resources',
  complete: { kind: async () => WORKLOAD_KINDS },
  async read(variables, context) {
    if (!WORKLOAD_KINDS.includes(variables.kind ?? '')) {
      throw new ToolFailure(`kind must be one of ${WORKLOAD_KINDS.join(', ')}`, 'invalid');
    }
    return manifest(variables.kind, variables.name, context);
  },
};

export const configMapResource: ResourceDefinition = {
  uri: 'podmcp://configmaps/{name}',
  name: 'configmap',
  title: 'ConfigMap',
  description: 'A ConfigMap in this namespace; values under secret-looking keys are redacted, long values capped.',
  mimeType: 'application/json',
  requires: 'get_resources',
  complete: { name: configMapNames },
  async read(variables, context) {
    return manifest('configmaps', variables.name, context);
  },
};

export const runbookResource: ResourceDefinition = {
  uri: 'podmcp://runbooks/{name}',
  name: 'runbook',
  title: 'Runbook',
  description: "A runbook from the workload's runbooks ConfigMap (podmcp.dev/runbooks).",
  mimeType: 'text/markdown',
  requires: 'read_runbook',
  when: (settings) => settings.runbooks !== undefined,
  complete: { name: runbookNames },
  async list(context) {
    const names = await runbookNames('', context);
    return names.map((name) => ({ uri: `podmcp://runbooks/${name}`, name: `runbook ${name}` }));
  },
  async read(variables, context) {
    const { structured, text } = await invokeTool('read_runbook', { name: variables.name }, context);
    // A runbook is written by whoever edits the ConfigMap: framed like every other cluster text, so a line in
    // it cannot pass for the agent's instructions.
    if (typeof structured.markdown !== 'string') return text;
    return frameUntrusted(`runbook ${variables.name}`, structured.markdown);
  },
};

export const appMetricsResource: ResourceDefinition = {
  uri: 'podmcp://app/metrics',
  name: 'app-metrics',
  title: "The app's metrics",
  description: "The app's own Prometheus metrics, read over localhost and summarised (podmcp.dev/app-metrics-port).",
  mimeType: 'text/plain',
  requires: 'inspect_app',
  when: (settings) => settings.appMetrics !== undefined,
  async read(_variables, context) {
    return (await invokeTool('inspect_app', { aspect: 'metrics' }, context)).text;
  },
};
