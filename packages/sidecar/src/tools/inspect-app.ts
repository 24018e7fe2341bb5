/**
 * inspect_app: what only a process inside the pod can see. `metrics` reads the app's Prometheus endpoint over
 * localhost and summarises it; `health` calls its health endpoint; `drift` checks whether the pod still runs
 * what the cluster now says it should (its ReplicaSet/revision, and the ConfigMaps it uses, changed since it
 * started). Drift's reads are made at once, each under its own deadline: one the API server does not answer
 * in time is `unknown` with why, beside the others.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { annotationKey } from '@podmcp/core';
import { z } from 'zod';
import { type AppResponse, AppUnreachable } from '../app-endpoints.ts';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import { API_PART_MS, type PartOutcome, seconds, withinDeadline } from '../diagnosis/index.ts';
import { ToolFailure } from '../failure.ts';
import { formatAge } from '../format/age.ts';
import { capString, changeEffect, configMapUses, lastChange, secretReferenceCount } from '../format/objects.ts';
import {
  type FamilySummary,
  metricNameFilter,
  parsePrometheusText,
  summarizeExposition,
} from '../format/prometheus.ts';
import {
  daemonSetRollout,
  deploymentRollout,
  newestReplicaSet,
  type Rollout,
  revisionNumber,
  statefulSetRollout,
} from '../format/workloads.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError, isNotFound } from '../kube/errors.ts';
import { labelSelectorText } from '../kube/workloads.ts';
import { redactShapes } from '../safety/redact.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { controllerOf } from '../self.ts';
import { defineTool } from './definition.ts';

const HEALTH_BODY_BYTES = 2048;
const METRICS_BYTES = 16 * 1024;
const MAX_CONFIGMAPS = 20;

const input = z
  .object({
    aspect: z.enum(['metrics', 'health', 'drift']).describe('What to look at.'),
    filter: boundedText(200, 1).optional().describe('metrics: family prefix or regular expression.'),
    max_families: z.number().int().min(1).max(100).default(30).describe('metrics: most families.'),
    max_series: z.number().int().min(1).max(50).default(5).describe('metrics: most series per family.'),
    pod: boundedText(253)
      .refine((name) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name), 'must be a pod name')
      .optional()
      .describe('drift: another pod.'),
  })
  .strict();

const metricValue = z.union([z.number(), z.enum(['NaN', '+Inf', '-Inf'])]);

const family = z.object({
  name: z.string(),
  type: z.string(),
  help: z.string().optional(),
  series: z.number(),
  total: metricValue.optional(),
  top: z.array(
    z.object({
      labels: z.string(),
      value: metricValue.optional(),
      count: metricValue.optional(),
      sum: metricValue.optional(),
      p50: metricValue.optional(),
      p99: metricValue.optional(),
    }),
  ),
});

const output = z.object({
  aspect: z.enum(['metrics', 'health', 'drift']),
  metrics: z
    .object({
      url: z.string(),
      status: z.number(),
      duration_ms: z.number(),
      families_total: z.number(),
      families_matched: z.number(),
      families_omitted: z.number(),
      series_total: z.number(),
      families: z.array(family),
      bad_lines: z.number().optional(),
      body_truncated: z.boolean().optional(),
    })
    .optional(),
  health: z
    .object({
      url: z.string(),
      status: z.number(),
      healthy: z.boolean(),
      duration_ms: z.number(),
      body: z.string(),
      body_truncated: z.boolean(),
    })
    .optional(),
  drift: z
    .object({
      pod: z.string(),
      started: z.string(),
      drifted: z.boolean(),
      revision: z.object({
        state: z.enum(['current', 'outdated', 'unknown', 'not-applicable']),
        owner: z.string().optional(),
        pod_revision: z.string().optional(),
        current_revision: z.string().optional(),
        detail: z.string(),
      }),
      config_maps: z.array(
        z.object({
          name: z.string(),
          uses: z.array(z.string()),
          state: z.enum(['unchanged', 'changed', 'missing', 'unknown']),
          last_change: z.string().optional(),
          changed_by: z.string().optional(),
          effect: z.string().optional(),
        }),
      ),
      secrets_referenced: z.number().optional(),
    })
    .optional(),
  note: z.string().optional(),
});

type Output = z.infer<typeof output>;
type Drift = NonNullable<Output['drift']>;

export const inspectApp = defineTool({
  name: 'inspect_app',
  title: 'Inspect the app',
  description:
    'The app from inside its pod: metrics (its Prometheus endpoint, summarised), health (its health endpoint) or drift (is this pod on the current revision and ConfigMaps).',
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    switch (args.aspect) {
      case 'metrics':
        return metrics(args, context);
      case 'health':
        return health(context);
      case 'drift':
        return { aspect: 'drift' as const, drift: await drift(args.pod, context) };
    }
  },
  render(result) {
    if (result.metrics) return renderMetrics(result.metrics, result.note);
    if (result.health) {
      const health = result.health;
      return `${health.healthy ? 'Healthy' : 'UNHEALTHY'}: ${health.url} answered ${health.status} in ${health.duration_ms} ms.\n${frameUntrusted('health body', `${health.body}${health.body_truncated ? '\n[truncated]' : ''}`)}`;
    }
    if (result.drift) return renderDrift(result.drift);
    return result.note ?? '';
  },
});

async function fetchApp(which: 'metrics' | 'health', context: ToolContext): Promise<AppResponse> {
  let response: AppResponse | undefined;
  try {
    response = await context.app.fetch(which, context.signal);
  } catch (error) {
    if (error instanceof AppUnreachable) {
      throw new ToolFailure(
        `The app did not answer its ${which} endpoint (${error.message}). Is it listening on that port inside the pod? Check the container with list_pods and its logs with get_pod_logs; if the port or path is wrong, fix the ${annotationKey(which === 'metrics' ? 'app-metrics-port' : 'app-health-port')} annotation.`,
        'unreachable',
      );
    }
    throw error;
  }
  if (!response) {
    const [port, path, defaultPath] =
      which === 'metrics'
        ? [annotationKey('app-metrics-port'), annotationKey('app-metrics-path'), '/metrics']
        : [annotationKey('app-health-port'), annotationKey('app-health-path'), '/healthz'];
    throw new ToolFailure(
      `This workload has not told podmcp where its ${which} endpoint is. To enable it, add the pod-template annotation ${port}: "<port>" (and ${path} if it is not ${defaultPath}); the next rollout picks it up.`,
      'not-found',
    );
  }
  return response;
}

async function metrics(
  args: { filter?: string | undefined; max_families: number; max_series: number },
  context: ToolContext,
): Promise<Output> {
  const match = args.filter === undefined ? undefined : metricNameFilter(args.filter);
  if (match && 'error' in match) throw new ToolFailure(`filter: ${match.error}.`, 'invalid');
  const response = await fetchApp('metrics', context);
  if (response.status < 200 || response.status >= 300) {
    throw new ToolFailure(
      `The app's metrics endpoint ${response.url} answered ${response.status}, not metrics. ${
        response.status === 404
          ? `Is the path right? Set ${annotationKey('app-metrics-path')} if it is not the default.`
          : "Check the app's logs with get_pod_logs."
      }`,
      'unreachable',
    );
  }
  const parsed = parsePrometheusText(response.body);
  if (parsed.families.length === 0 && parsed.badLines > 0) {
    throw new ToolFailure(
      `${response.url} did not answer in the Prometheus text format (${parsed.badLines} unreadable line(s)); is ${annotationKey('app-metrics-port')} pointing at the metrics port?`,
      'invalid',
    );
  }
  const summary = summarizeExposition(parsed, {
    ...(match ? { match } : {}),
    maxFamilies: args.max_families,
    maxSeries: args.max_series,
    maxBytes: METRICS_BYTES,
  });
  const notes: string[] = [];
  if (summary.familiesMatched === 0) {
    notes.push(
      args.filter
        ? `No metric family matches "${args.filter}" (of ${summary.familiesTotal}). Call without filter to see them.`
        : 'The endpoint answered but exposes no metrics.',
    );
  } else if (summary.familiesOmitted > 0) {
    notes.push(
      `${summary.familiesOmitted} more matching famil${summary.familiesOmitted === 1 ? 'y' : 'ies'} not shown; narrow with filter (a prefix or a regular expression) or raise max_families.`,
    );
  }
  if (response.truncated)
    notes.push('The metrics page was larger than the read limit; families at its end are missing.');
  if (parsed.badLines > 0) notes.push(`${parsed.badLines} line(s) could not be parsed and were skipped.`);
  return {
    aspect: 'metrics',
    metrics: {
      url: response.url,
      status: response.status,
      duration_ms: response.durationMs,
      families_total: summary.familiesTotal,
      families_matched: summary.familiesMatched,
      families_omitted: summary.familiesOmitted,
      series_total: summary.seriesTotal,
      families: summary.families,
      ...(parsed.badLines > 0 ? { bad_lines: parsed.badLines } : {}),
      ...(response.truncated ? { body_truncated: true } : {}),
    },
    ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
  };
}

async function health(context: ToolContext): Promise<Output> {
  const response = await fetchApp('health', context);
  // Redacted before the cut, so the cut cannot fall inside a credential and leave a fragment no rule knows.
  const clear = redactShapes(response.body);
  const body = capString(clear, HEALTH_BODY_BYTES);
  return {
    aspect: 'health',
    health: {
      url: response.url,
      status: response.status,
      healthy: response.status >= 200 && response.status < 400,
      duration_ms: response.durationMs,
      body,
      body_truncated: response.truncated || body.length !== clear.length,
    },
  };
}

async function drift(podName: string | undefined, context: ToolContext): Promise<Drift> {
  const pod = await targetPod(podName, context);
  const name = pod.metadata?.name ?? '?';
  const startedAt = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
  const now = context.now();
  const [revision, configMaps] = await Promise.all([
    withinDeadline((signal) => revisionDrift(pod, { ...context, signal }), API_PART_MS, context.signal).then(
      (outcome) => revisionOrSilence(outcome, pod),
    ),
    configMapDrift(pod, startedAt, context),
  ]);
  const secrets = secretReferenceCount(pod);
  return {
    pod: name,
    started: startedAt ? `${new Date(startedAt).toISOString()} (${formatAge(startedAt, now)} ago)` : 'not started',
    drifted: revision.state === 'outdated' || configMaps.some((item) => item.state === 'changed'),
    revision,
    config_maps: configMaps,
    ...(secrets > 0 ? { secrets_referenced: secrets } : {}),
  };
}

async function targetPod(podName: string | undefined, context: ToolContext): Promise<V1Pod> {
  const { kube } = context;
  if (podName === undefined) {
    const own = await context.self.pod();
    if (!own) {
      throw new ToolFailure(
        'This sidecar is not running in a pod, so it has no pod of its own to check; name one with pod.',
        'invalid',
      );
    }
    return own;
  }
  try {
    return await kube.pods.read(podName);
  } catch (error) {
    if (!isNotFound(error)) throw describeKubeError(error, `pod "${podName}"`);
    const pods = await kube.pods
      .list({ limit: 20 })
      .then((list) => list.items.map((item) => item.metadata?.name ?? '?'))
      .catch(() => []);
    throw new ToolFailure(
      `Pod "${podName}" does not exist in namespace ${kube.namespace}. ${pods.length > 0 ? `Pods: ${pods.join(', ')}.` : 'There are no pods here.'} Omit pod to check this sidecar's own pod.`,
      'not-found',
    );
  }
}

async function revisionDrift(pod: V1Pod, context: ToolContext): Promise<Drift['revision']> {
  const owner = controllerOf(pod.metadata?.ownerReferences);
  if (!owner) return { state: 'not-applicable', detail: 'a bare pod: no controller, no revisions' };
  const read = Object.hasOwn(REVISION_READERS, owner.kind) ? REVISION_READERS[owner.kind] : undefined;
  if (!read) {
    return {
      state: 'not-applicable',
      owner: `${owner.kind}/${owner.name}`,
      detail: `a ${owner.kind}'s pods run the template they were created with; there is no newer revision to be on`,
    };
  }
  try {
    return await read(owner, pod.metadata?.labels ?? {}, context.kube);
  } catch (error) {
    return {
      state: 'unknown',
      owner: `${owner.kind}/${owner.name}`,
      detail: `could not read the owner: ${describeKubeError(error, `${owner.kind} "${owner.name}"`).message}`,
    };
  }
}

/** The revision read's answer; reading it never throws, so the only other outcome is the API server's silence. */
function revisionOrSilence(outcome: PartOutcome<Drift['revision']>, pod: V1Pod): Drift['revision'] {
  if (outcome.status === 'fulfilled') return outcome.value;
  const owner = controllerOf(pod.metadata?.ownerReferences);
  return {
    state: 'unknown',
    ...(owner ? { owner: `${owner.kind}/${owner.name}` } : {}),
    detail: `could not read the owner: ${silence(outcome)}`,
  };
}

function silence(outcome: Exclude<PartOutcome<unknown>, { status: 'fulfilled' }>): string {
  return outcome.status === 'timed-out'
    ? `the Kubernetes API server did not answer within ${seconds(outcome.afterMs)}`
    : describeKubeError(outcome.reason, 'the read').message;
}

interface Owner {
  readonly kind: string;
  readonly name: string;
}

type Labels = Readonly<Record<string, string>>;

type RevisionReader = (owner: Owner, labels: Labels, kube: ToolContext['kube']) => Promise<Drift['revision']>;

/** How a pod's revision is compared with its controller's current one, per controller kind. */
const REVISION_READERS: Readonly<Record<string, RevisionReader>> = {
  ReplicaSet: replicaSetRevision,
  StatefulSet: statefulSetRevision,
  DaemonSet: daemonSetRevision,
};

async function replicaSetRevision(owner: Owner, labels: Labels, kube: ToolContext['kube']): Promise<Drift['revision']> {
  const replicaSet = await kube.replicaSets.read(owner.name);
  const deploymentRef = controllerOf(replicaSet.metadata?.ownerReferences);
  if (deploymentRef?.kind !== 'Deployment') {
    return {
      state: 'not-applicable',
      owner: `ReplicaSet/${owner.name}`,
      detail: 'a ReplicaSet without a Deployment has a single template',
    };
  }
  const deployment = await kube.deployments.read(deploymentRef.name);
  const selector = deployment.spec?.selector ? labelSelectorText(deployment.spec.selector) : undefined;
  const replicaSets = await kube.replicaSets.list({
    labelSelector: selector,
    limit: 200,
  });
  const newest = newestReplicaSet(replicaSets.items, deploymentRef.name);
  const podRevision = String(revisionNumber(replicaSet.metadata));
  const base = {
    owner: `Deployment/${deploymentRef.name}`,
    pod_revision: `${podRevision} (ReplicaSet ${owner.name})`,
    ...(newest
      ? { current_revision: `${revisionNumber(newest.metadata)} (ReplicaSet ${newest.metadata?.name ?? '?'})` }
      : {}),
  };
  const rolloutText = describeRollout(deploymentRollout(deployment));
  if (!newest) return { state: 'unknown', ...base, detail: `no current ReplicaSet found; ${rolloutText}` };
  const podHash = labels['pod-template-hash'];
  const current =
    newest.metadata?.name === owner.name ||
    (podHash !== undefined && podHash === newest.metadata?.labels?.['pod-template-hash']);
  return current
    ? { state: 'current', ...base, detail: `on the Deployment's current ReplicaSet; ${rolloutText}` }
    : {
        state: 'outdated',
        ...base,
        detail: `runs an older template than the Deployment's current one; ${rolloutText}. It is replaced as the rollout proceeds (or stays, if the rollout is stuck).`,
      };
}

async function statefulSetRevision(
  owner: Owner,
  labels: Labels,
  kube: ToolContext['kube'],
): Promise<Drift['revision']> {
  const statefulSet = await kube.statefulSets.read(owner.name);
  return compareRevisions(
    `StatefulSet/${owner.name}`,
    labels['controller-revision-hash'],
    statefulSet.status?.updateRevision,
    describeRollout(statefulSetRollout(statefulSet)),
    { current: 'on the update revision', outdated: 'not on the update revision yet' },
  );
}

async function daemonSetRevision(owner: Owner, labels: Labels, kube: ToolContext['kube']): Promise<Drift['revision']> {
  const daemonSet = await kube.daemonSets.read(owner.name);
  // DaemonSet pods carry their template generation; the DaemonSet keeps the current one in an annotation.
  return compareRevisions(
    `DaemonSet/${owner.name}`,
    labels['pod-template-generation'],
    daemonSet.metadata?.annotations?.['deprecated.daemonset.template.generation'],
    describeRollout(daemonSetRollout(daemonSet)),
    { current: 'on the current template', outdated: 'runs an older template' },
  );
}

/** The pod's revision against its controller's current one; unknown when either is missing. */
function compareRevisions(
  owner: string,
  podRevision: string | undefined,
  currentRevision: string | undefined,
  rolloutText: string,
  words: { readonly current: string; readonly outdated: string },
): Drift['revision'] {
  const base = {
    owner,
    ...(podRevision ? { pod_revision: podRevision } : {}),
    ...(currentRevision ? { current_revision: currentRevision } : {}),
  };
  if (!podRevision || !currentRevision) return { state: 'unknown', ...base, detail: rolloutText };
  return podRevision === currentRevision
    ? { state: 'current', ...base, detail: `${words.current}; ${rolloutText}` }
    : { state: 'outdated', ...base, detail: `${words.outdated}; ${rolloutText}` };
}

function describeRollout(rollout: Rollout): string {
  return `rollout ${rollout.state}${rollout.detail ? `: ${rollout.detail}` : ''}`;
}

async function configMapDrift(
  pod: V1Pod,
  startedAt: Date | undefined,
  context: ToolContext,
): Promise<Drift['config_maps']> {
  const uses = configMapUses(pod).slice(0, MAX_CONFIGMAPS);
  const outcomes = await Promise.all(
    uses.map((use) => withinDeadline(() => configMapState(use, startedAt, context), API_PART_MS, context.signal)),
  );
  return outcomes.map((outcome, index) => {
    if (outcome.status === 'fulfilled') return outcome.value;
    const use = uses[index] as ConfigMapUse;
    return { name: use.name, uses: use.uses, state: 'unknown', effect: silence(outcome) };
  });
}

type ConfigMapUse = ReturnType<typeof configMapUses>[number];

/** One ConfigMap against the pod's start: changed since, unchanged, missing, or unknown with why. */
async function configMapState(
  use: ConfigMapUse,
  startedAt: Date | undefined,
  context: ToolContext,
): Promise<Drift['config_maps'][number]> {
  const { kube } = context;
  const now = context.now();
  try {
    const configMap = await kube.configMaps.read(use.name);
    const change = lastChange(configMap.metadata);
    if (!change) return { name: use.name, uses: use.uses, state: 'unknown' };
    const when = `${change.at.toISOString()} (${formatAge(change.at, now)} ago)`;
    // Times are stored to the second, so a change in the pod's start second cannot be told apart.
    const changed = startedAt !== undefined && change.at.getTime() > new Date(startedAt).getTime();
    return {
      name: use.name,
      uses: use.uses,
      state: changed ? 'changed' : 'unchanged',
      last_change: when,
      ...(changed && change.by ? { changed_by: change.by } : {}),
      ...(changed ? { effect: changeEffect(use) } : {}),
    };
  } catch (error) {
    if (isNotFound(error)) {
      return {
        name: use.name,
        uses: use.uses,
        state: 'missing',
        effect: use.optional
          ? 'optional: the pod runs without it'
          : 'required: a pod created now would not start (CreateContainerConfigError or FailedMount)',
      };
    }
    return {
      name: use.name,
      uses: use.uses,
      state: 'unknown',
      effect: describeKubeError(error, `ConfigMap "${use.name}"`).message,
    };
  }
}

function renderMetrics(metrics: NonNullable<Output['metrics']>, note: string | undefined): string {
  const header = `${metrics.url} answered ${metrics.status} in ${metrics.duration_ms} ms: ${metrics.families_total} families, ${metrics.series_total} series; showing ${metrics.families.length}.`;
  const lines: string[] = [];
  for (const family of metrics.families as FamilySummary[]) {
    lines.push(
      `${family.name} (${family.type}, ${family.series} series${family.total !== undefined ? `, total ${family.total}` : ''})${family.help ? ` — ${family.help}` : ''}`,
    );
    for (const series of family.top) {
      const values =
        series.value !== undefined
          ? `${series.value}`
          : [
              series.count !== undefined ? `count=${series.count}` : '',
              series.sum !== undefined ? `sum=${series.sum}` : '',
              series.p50 !== undefined ? `p50≈${series.p50}` : '',
              series.p99 !== undefined ? `p99≈${series.p99}` : '',
            ]
              .filter(Boolean)
              .join(' ');
      lines.push(`  {${series.labels}} ${values}`);
    }
    if (family.series > family.top.length) lines.push(`  … ${family.series - family.top.length} more series`);
  }
  // Help texts and label values come from the app.
  const body = lines.length > 0 ? `\n${frameUntrusted('app metrics', lines.join('\n'))}` : '';
  return `${header}${body}${note ? `\n${note}` : ''}`;
}

function renderDrift(drift: Drift): string {
  const lines = [
    `Pod ${drift.pod}, started ${drift.started}: ${drift.drifted ? 'DRIFTED' : 'no drift found'}.`,
    `Revision: ${drift.revision.state}${drift.revision.owner ? ` (${drift.revision.owner}` : ''}${
      drift.revision.pod_revision ? `, pod ${drift.revision.pod_revision}` : ''
    }${drift.revision.current_revision ? `, current ${drift.revision.current_revision}` : ''}${drift.revision.owner ? ')' : ''} — ${drift.revision.detail}`,
  ];
  if (drift.config_maps.length === 0) lines.push('ConfigMaps: none used.');
  for (const item of drift.config_maps) {
    lines.push(
      `ConfigMap ${item.name}: ${item.state}${item.last_change ? `, last change ${item.last_change}` : ''}${
        item.changed_by ? ` by ${item.changed_by}` : ''
      } — used as ${item.uses.join('; ')}${item.effect ? `. ${capitalized(item.effect)}.` : ''}`,
    );
  }
  if (drift.secrets_referenced) {
    lines.push(
      `${drift.secrets_referenced} Secret(s) referenced too; podmcp never reads Secrets, so they are not checked.`,
    );
  }
  return lines.join('\n');
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
