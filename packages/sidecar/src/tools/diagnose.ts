/**
 * diagnose: one call for "what is wrong with this workload (or pod) right now, and why". Reads the workload,
 * its pods, its recent warning events and the crashed containers' last log lines, then lets diagnosis/ reach
 * the verdict. The events and each log are read at once under deadlines of their own: a part that fails or
 * hangs (a node's kubelet, the API server) is a finding naming what failed, beside the rest of the answer.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { isActionTool } from '@podmcp/core';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import {
  API_PART_MS,
  allWithin,
  blameApiRead,
  blameLogRead,
  buildDiagnosis,
  type Diagnosis,
  type DiagnosisInput,
  examinedPods,
  FINDING_CODES,
  fitDiagnosis,
  LOG_PART_MS,
  type LogExcerpt,
  logTargets,
  type PartOutcome,
  type PlacedFinding,
  renderDiagnosis,
  type UnreadLog,
  unreadEventsFinding,
  unreadLogFindings,
  withinDeadline,
} from '../diagnosis/index.ts';
import { type EventScope, inScope, seenWithin } from '../format/events.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import {
  type ResolvedWorkload,
  readWorkload,
  resolveWorkloadRef,
  WORKLOAD_REFERENCE_HELP,
  type WorkloadKind,
} from '../kube/workloads.ts';
import { metricHistoryNote, podPattern, renderMetricHistoryNote } from '../metrics-history/diagnosis.ts';
import { controllerOf } from '../self.ts';
import { defineTool } from './definition.ts';
import { ownPod, readLogExcerpt, readPod } from './get-pod-logs.ts';
import { eventRow, readEvents, workloadScope } from './list-events.ts';

/** Room for the diagnosis inside the 24 KiB answer budget. */
const MAX_BYTES = 20 * 1024;
const MAX_LOG_TAILS = 3;
const LOG_BYTES = 2 * 1024;
const LOG_LINE_BYTES = 400;
const MAX_EVENTS = 8;
/** Pods listed for a workload; a bigger one is summarized from these. */
const POD_LIST_LIMIT = 500;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const KNOWN_KINDS = new Set<string>(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

const input = z
  .object({
    workload: boundedText(260).optional().describe(`${WORKLOAD_REFERENCE_HELP}.`),
    pod: boundedText(253)
      .refine((name) => POD_NAME.test(name), 'must be a pod name')
      .optional()
      .describe('A pod instead of a workload.'),
    max_pods: z.number().int().min(1).max(10).default(5).describe('Pods shown in detail.'),
    log_lines: z.number().int().min(0).max(100).default(30).describe('Crash log lines per container.'),
    events_minutes: z.number().int().min(5).max(1440).default(60).describe('Warning event window.'),
  })
  .strict()
  .superRefine((args, issues) => {
    if (args.workload !== undefined && args.pod !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['pod'],
        message: 'give workload or pod, not both',
      });
    }
  });

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

const output = z.object({
  namespace: z.string(),
  target: z.string(),
  healthy: z.boolean(),
  findings: z.array(
    z.object({ severity: z.enum(['error', 'warning', 'info']), code: z.enum(FINDING_CODES), text: z.string() }),
  ),
  next_steps: z.array(z.string()),
  rollout: z
    .object({
      workload: z.string(),
      desired: z.number().optional(),
      updated: z.number().optional(),
      ready: z.number().optional(),
      available: z.number().optional(),
      summary: z.string(),
      stuck: z.boolean(),
      paused: z.boolean().optional(),
      conditions: z.array(condition),
    })
    .optional(),
  pods_summary: z.object({
    total: z.number(),
    ready: z.number(),
    by_status: z.record(z.string(), z.number()),
    examined: z.number(),
    others_unhealthy: z.array(z.string()),
  }),
  pods: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      phase: z.string(),
      ready: z.string(),
      restarts: z.number(),
      node: z.string().optional(),
      age: z.string(),
      conditions: z.array(condition),
      containers: z.array(
        z.object({
          name: z.string(),
          kind: z.enum(['init', 'sidecar']).optional(),
          image: z.string().optional(),
          ready: z.boolean(),
          restarts: z.number(),
          state: z.string(),
          message: z.string().optional(),
          last_termination: z
            .object({ reason: z.string(), exit_code: z.number(), finished_at: z.string().optional() })
            .optional(),
          memory_limit: z.string().optional(),
          cpu_limit: z.string().optional(),
        }),
      ),
      probe_failures: z.array(
        z.object({
          probe: z.enum(['readiness', 'liveness', 'startup', 'probe']),
          container: z.string().optional(),
          count: z.number(),
          last_seen: z.string().optional(),
          message: z.string(),
        }),
      ),
      logs: z.array(
        z.object({
          container: z.string(),
          source: z.enum(['previous', 'current']),
          lines: z.array(z.string()),
          note: z.string().optional(),
        }),
      ),
    }),
  ),
  events: z.array(eventRow),
  events_omitted: z.number(),
  trimmed: z.array(z.string()).optional(),
  metric_history: z.object({ configured: z.boolean(), lines: z.array(z.string()) }).optional(),
});

export const diagnose = defineTool({
  name: 'diagnose',
  title: 'Diagnose',
  description:
    'What is wrong with a workload or pod and why, in one call: rollout, pod and container states, OOMKills, image pulls, scheduling, probes, warning events, crash logs; then next calls with arguments.',
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const now = context.now();
    const subject = await resolveSubject(context, args.workload, args.pod);
    const examined = examinedPods(subject.pods, args.max_pods, now, subject.focusPod);
    // Read alongside the rest; it never throws (a failing Prometheus is one line of its own).
    const history = metricHistoryNote(
      context,
      podPattern({ workloadName: subject.workload?.name, pod: subject.focusPod }),
    );
    // The warning events and the log tails are independent reads, each under its own deadline.
    const [eventsRead, logsRead] = await Promise.all([
      withinDeadline((signal) => readEvents({ ...context, signal }, 'type=Warning'), API_PART_MS, context.signal),
      args.log_lines > 0 ? readLogs(context, examined, args.log_lines) : [],
    ]);
    const warnings = eventsOrGap(eventsRead);
    const logs = logExcerpts(logsRead, warnings.gap === undefined);
    const events = warnings.events.filter(
      (event) => inScope(event, subject.scope) && seenWithin(event, now, args.events_minutes),
    );
    const tools = new Set<string>(
      context.settings.tools.filter((name) => context.settings.mode === 'read-write' || !isActionTool(name)),
    );
    const diagnosis = buildDiagnosis({
      target: subject.target,
      workload: subject.workload && {
        kind: subject.workload.kind,
        name: subject.workload.name,
        object: subject.workload.object,
      },
      pods: subject.pods,
      examined,
      events,
      eventsWindowMinutes: args.events_minutes,
      maxEvents: MAX_EVENTS,
      logs: logs.excerpts,
      tools,
      now,
      unread: [...(warnings.gap ? [warnings.gap] : []), ...unreadLogFindings(logs.unread)],
      self: await ownAppEndpoints(context),
    });
    const notes: string[] = [];
    if (subject.podsCapped) notes.push(`only the first ${POD_LIST_LIMIT} pods were read`);
    if (warnings.incomplete) notes.push('the namespace has more warning events than one read covers');
    const fitted = fitDiagnosis(notes.length > 0 ? { ...diagnosis, trimmed: notes } : diagnosis, MAX_BYTES);
    // The schema's arrays are mutable, the diagnosis's readonly; the data is the same.
    return { namespace: context.kube.namespace, ...fitted, metric_history: await history } as z.infer<typeof output>;
  },
  render(result) {
    return `${renderDiagnosis(result satisfies Diagnosis, result.namespace, new Date())}${renderMetricHistoryNote(result.metric_history)}`;
  },
});

interface Subject {
  /** Kind/name of what is diagnosed. */
  readonly target: string;
  readonly workload?: ResolvedWorkload | undefined;
  readonly pods: readonly V1Pod[];
  readonly podsCapped: boolean;
  /** Set when one pod was asked for: only it is examined. */
  readonly focusPod?: string | undefined;
  readonly scope: EventScope;
}

async function resolveSubject(
  context: ToolContext,
  workloadReference: string | undefined,
  podName: string | undefined,
): Promise<Subject> {
  if (podName !== undefined) return podSubject(context, await readPod(context, podName));
  if (workloadReference === undefined || workloadReference.trim() === 'self') {
    // A bare pod, one owned by a controller podmcp does not know, or `podmcp serve` outside a pod: "self" is
    // the own pod, when there is one.
    const own = await context.self.workload();
    if (!own || !KNOWN_KINDS.has(own.kind)) return podSubject(context, await ownPod(context));
  }
  const workload = await readWorkload(context, await resolveWorkloadRef(context, workloadReference));
  const { pods, capped } = await podsOf(context, workload);
  return {
    target: `${workload.kind}/${workload.name}`,
    workload,
    pods,
    podsCapped: capped,
    scope: await workloadScope(context, workload, pods),
  };
}

/** One pod, with the rollout of the workload that owns it (ReplicaSet → Deployment) when it has one. */
async function podSubject(context: ToolContext, pod: V1Pod): Promise<Subject> {
  const name = pod.metadata?.name ?? '?';
  const objects = new Set<string>([`Pod/${name}`]);
  let workload: ResolvedWorkload | undefined;
  const controller = controllerOf(pod.metadata?.ownerReferences);
  if (controller && KNOWN_KINDS.has(controller.kind)) {
    objects.add(`${controller.kind}/${controller.name}`);
    try {
      workload = await readWorkload(context, { kind: controller.kind as WorkloadKind, name: controller.name });
      const parent = controllerOf(workload.object.metadata?.ownerReferences);
      if (controller.kind === 'ReplicaSet' && parent?.kind === 'Deployment') {
        objects.add(`Deployment/${parent.name}`);
        workload = await readWorkload(context, { kind: 'Deployment', name: parent.name });
      }
    } catch (error) {
      // The owner may be gone (an orphaned pod); the pod alone is still worth diagnosing.
      const failure = describeKubeError(error, controller.name);
      if (failure.kind !== 'not-found') throw failure;
    }
  }
  return {
    target: `Pod/${name}`,
    workload,
    pods: [pod],
    podsCapped: false,
    focusPod: name,
    scope: { objects, podNames: [] },
  };
}

async function podsOf(context: ToolContext, workload: ResolvedWorkload): Promise<{ pods: V1Pod[]; capped: boolean }> {
  const { kube } = context;
  let labelSelector = workload.podSelector;
  if (workload.kind === 'CronJob') {
    // A CronJob's pods belong to its Jobs; the Job controller labels them with the Job's name.
    const jobs = await kube.jobs.list({ limit: 200 });
    const owned = jobs.items
      .filter((job) =>
        job.metadata?.ownerReferences?.some((owner) => owner.kind === 'CronJob' && owner.name === workload.name),
      )
      .map((job) => job.metadata?.name ?? '')
      .slice(-20);
    if (owned.length === 0) return { pods: [], capped: false };
    labelSelector = `job-name in (${owned.join(',')})`;
  }
  if (!labelSelector) return { pods: [], capped: false };
  const list = await kube.pods.list({ labelSelector, limit: POD_LIST_LIMIT });
  return { pods: list.items, capped: Boolean(list.metadata?._continue) };
}

/** A log read and how it went. */
interface LogRead {
  readonly target: ReturnType<typeof logTargets>[number];
  readonly node: string | undefined;
  readonly outcome: PartOutcome<LogExcerpt>;
}

/** Each crashed container's log tail, all at once, each under LOG_PART_MS. */
async function readLogs(context: ToolContext, pods: readonly V1Pod[], lines: number): Promise<LogRead[]> {
  const targets = logTargets(pods, MAX_LOG_TAILS);
  const nodes = new Map(pods.map((pod) => [pod.metadata?.name, pod.spec?.nodeName]));
  const limits = { tailLines: lines, maxBytes: LOG_BYTES, lineCapBytes: LOG_LINE_BYTES };
  const outcomes = await allWithin(
    targets.map((target) => (signal: AbortSignal) => readLogExcerpt({ ...context, signal }, target, limits)),
    LOG_PART_MS,
    context.signal,
  );
  return targets.map((target, index) => ({
    target,
    node: nodes.get(target.pod),
    outcome: outcomes[index] as PartOutcome<LogExcerpt>,
  }));
}

/**
 * The excerpts by `<pod>/<container>`; a log that could not be read is a note on its pod, and when a node's
 * kubelet or the API server is to blame, also a finding (`apiServerAnswered`: whether the events part got an
 * answer, which tells a hanging kubelet from a hanging API server).
 */
function logExcerpts(
  reads: readonly LogRead[],
  apiServerAnswered: boolean,
): { excerpts: Map<string, LogExcerpt>; unread: UnreadLog[] } {
  const excerpts = new Map<string, LogExcerpt>();
  const unread: UnreadLog[] = [];
  for (const { target, node, outcome } of reads) {
    const key = `${target.pod}/${target.container}`;
    if (outcome.status === 'fulfilled') {
      excerpts.set(key, outcome.value);
      continue;
    }
    const blame = blameLogRead(outcome, node, apiServerAnswered);
    if (blame) unread.push({ pod: target.pod, container: target.container, node, blame });
    const why = blame?.why ?? (outcome.status === 'rejected' ? messageOf(outcome.reason) : 'no answer');
    const source = target.previous ? 'previous' : 'current';
    excerpts.set(key, { container: target.container, source, lines: [], note: `no log: ${why}` });
  }
  return { excerpts, unread };
}

/** The warning events, or none and a finding saying the API server did not give them; other failures end the call. */
function eventsOrGap(read: PartOutcome<Awaited<ReturnType<typeof readEvents>>>): {
  events: CoreV1Event[];
  incomplete: boolean;
  gap?: PlacedFinding | undefined;
} {
  if (read.status === 'fulfilled') return read.value;
  const blame = blameApiRead(read);
  if (!blame) throw read.status === 'rejected' ? read.reason : new Error('events not read');
  return { events: [], incomplete: false, gap: unreadEventsFinding(blame) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** This sidecar's own pod and the app endpoints its workload configured: where advice may point inspect_app. */
async function ownAppEndpoints(context: ToolContext): Promise<DiagnosisInput['self']> {
  const pod = (await context.self.pod().catch(() => undefined))?.metadata?.name;
  if (pod === undefined) return undefined;
  const appEndpoints = new Set<'health' | 'metrics'>();
  if (context.settings.appHealth) appEndpoints.add('health');
  if (context.settings.appMetrics) appEndpoints.add('metrics');
  return { pod, appEndpoints };
}
