/**
 * Next steps for each finding code: the calls that would tell more (with the arguments to make them) or
 * advice without a tool. The advice table is a Record over every FindingCode, so a new code does not compile
 * until it has advice, and a step can only name a ToolName.
 */
import type { ToolName } from '@podmcp/core';
import type { FindingCode } from './findings.ts';
import type { LogExcerpt } from './model.ts';

type StepArgs = Readonly<Record<string, string | number | boolean>>;

/** A call with the arguments to make it (checked against the tool's input schema in the tests). */
export interface ToolStep {
  readonly tool: ToolName;
  readonly args: StepArgs;
  readonly text: string;
}

/** Advice no tool of this sidecar can act on. */
export interface AdviceStep {
  readonly tool?: never;
  readonly args?: never;
  readonly text: string;
}

/** Rendered `tool {arg: "value"} — why`, or just the advice. */
export type Step = ToolStep | AdviceStep;

export function renderStep(step: Step): string {
  if (!step.tool) return step.text;
  const args = Object.entries(step.args)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
  return `${step.tool} {${args}} — ${step.text}`;
}

/** What advice may use: the finding, where it was seen, and the workload that owns it. */
export interface AdviceContext {
  readonly text: string;
  /** Kind/name of the owning workload (or of the pod, when no workload owns it). */
  readonly workload: string;
  /** The first pod the finding was seen in. */
  readonly pod: string | undefined;
  readonly container: string | undefined;
  /** Whether the container's log tail is already part of the diagnosis. */
  readonly haveLog: boolean;
}

export type Advice = (context: AdviceContext) => Step[];

const RESOURCE_KIND_OF: Readonly<Record<string, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Pod: 'pods',
};

/** `Deployment/web` as get_resources arguments; a bare name is a Deployment's, as everywhere else. */
function resourceArgs(reference: string): { kind: string; name: string } {
  const slash = reference.indexOf('/');
  if (slash < 0) return { kind: 'deployments', name: reference };
  return { kind: RESOURCE_KIND_OF[reference.slice(0, slash)] ?? 'pods', name: reference.slice(slash + 1) };
}

/** The ConfigMap a container cannot start without, as the kubelet names it ("configmap \"app\" not found"). */
function missingConfigMap(text: string): string | undefined {
  return (
    /couldn't find key \S+ in ConfigMap (?:[a-z0-9.-]+\/)?([a-z0-9.-]+)/i.exec(text)?.[1] ??
    /configmaps? "([a-z0-9.-]+)" not found/i.exec(text)?.[1]
  );
}

function podArgs({ pod, container }: AdviceContext): Record<string, string> {
  return { ...(pod ? { pod } : {}), ...(container ? { container } : {}) };
}

function call(tool: ToolName, args: StepArgs, text: string): ToolStep {
  return { tool, args, text };
}

function advise(text: string): AdviceStep {
  return { text };
}

function previousLog(context: AdviceContext): ToolStep {
  return call(
    'get_pod_logs',
    { ...podArgs(context), previous: true },
    `the crashed instance's last output${context.haveLog ? ' (its tail is included below; raise tail_lines for more)' : ''}`,
  );
}

function events(object: string, text: string, extra: StepArgs = {}): ToolStep {
  return call('list_events', { object, ...extra }, text);
}

const crashed: Advice = (context) => [
  previousLog(context),
  call('get_resources', resourceArgs(context.workload), `the command, env and config of ${context.workload}`),
];

const podEvents: Advice = ({ pod }) => (pod ? [events(`Pod/${pod}`, 'mount, sandbox and pull events')] : []);

const probing: Advice = (context) => [
  call('inspect_app', { aspect: 'health' }, 'call the app’s health endpoint from inside the pod'),
  call('get_pod_logs', { ...podArgs(context), grep: 'error|exception|timeout' }, 'what the app says while failing'),
];

const createFailures: Advice = ({ workload }) => [
  events(workload, 'quota, admission webhook or PodSecurity denials', { reason: 'FailedCreate' }),
];

const warningHistory: Advice = ({ workload }) => [
  events(workload, 'the full warning history', { warnings_only: true }),
];

/** For findings that need no step: the finding says it all, or nothing this sidecar can read would say more. */
const none: Advice = () => [];

const oomKilled: Advice = (context) => [
  advise(
    `Raise the memory limit of container ${context.container} (or its requests, to land on a roomier node), or find the leak; restarting will not help`,
  ),
  previousLog(context),
  call('inspect_app', { aspect: 'metrics', filter: 'memory|heap' }, 'the app’s memory metrics, if it exposes them'),
];

const imagePull: Advice = ({ pod }) => [
  advise('Check the image name and tag exist in the registry and that imagePullSecrets grant access'),
  ...(pod ? [events(`Pod/${pod}`, "the registry's exact answer")] : []),
];

const cannotStart: Advice = ({ text }) => {
  const configMap = missingConfigMap(text);
  return [
    configMap
      ? call(
          'get_resources',
          { kind: 'configmaps', name: configMap },
          `the keys ConfigMap ${configMap} has (a missing key or ConfigMap is the usual cause)`,
        )
      : call(
          'get_resources',
          { kind: 'configmaps' },
          'the ConfigMaps and keys the container references (a missing one is the usual cause)',
        ),
  ];
};

const unschedulable: Advice = ({ workload }) => [
  call(
    'get_resources',
    resourceArgs(workload),
    `compare the pods' requests, nodeSelector, affinity and tolerations with the scheduler's message (this sidecar cannot read nodes)`,
  ),
];

const rolloutStuck: Advice = ({ workload }) => [
  ...(workload.startsWith('Deployment/')
    ? [
        call(
          'rollback_deployment',
          { workload, reason: `rollout of ${workload} is stuck`, dry_run: true },
          'if the new version is at fault, see what returning to the previous one changes',
        ),
      ]
    : []),
  advise('Fix the cause in the findings above; the rollout resumes by itself once new pods become ready'),
];

const healthy: Advice = () => [
  call('inspect_app', { aspect: 'health' }, 'the app’s own health, if users still report a problem'),
  call('get_pod_logs', { grep: 'error|exception' }, 'errors the app logged without crashing'),
];

export const ADVICE: Readonly<Record<FindingCode, Advice>> = {
  healthy,
  'oom-killed': oomKilled,
  'crash-loop': crashed,
  'exited-with-error': crashed,
  restarted: crashed,
  'image-pull': imagePull,
  'cannot-start': cannotStart,
  unschedulable,
  pending: podEvents,
  volume: podEvents,
  'readiness-probe': probing,
  'liveness-probe': probing,
  'startup-probe': probing,
  'not-ready': probing,
  'rollout-stuck': rolloutStuck,
  'replica-failure': createFailures,
  'no-pods': createFailures,
  'replicas-unavailable': ({ workload }) => [
    call('list_pods', { workload, problems_only: true }, 'which pods are not available'),
  ],
  'job-failed': warningHistory,
  'warning-events': warningHistory,
  // The node failed and this sidecar cannot read nodes; retrying the log now would fail the same way.
  'kubelet-unreachable': () => [
    advise(
      'The node’s kubelet, not the API server, failed to serve the log: ask whoever runs the nodes to check that node (its Ready condition, the kubelet); get_pod_logs works again once it answers',
    ),
  ],
  'api-server-unreachable': () => [
    advise('The API server did not answer one read; call diagnose again in a moment for the missing part'),
  ],
  evicted: () => [
    advise('Evictions follow node pressure or exceeded ephemeral-storage limits; check the pod’s requests and limits'),
  ],
  'stuck-terminating': () => [advise('A pod stuck Terminating waits on a finalizer or a node that stopped reporting')],
  // The node is what failed, and this sidecar cannot read nodes.
  'node-lost': none,
  // Progress and pauses are the operator's own doing; the other findings say if something holds them up.
  'rollout-in-progress': none,
  'rollout-paused': none,
  'scaled-to-zero': none,
  // Its text already says how to see the rest (diagnose one pod).
  'more-findings': none,
};

/** The steps for one finding; replica and configuration steps name `workload`, log steps the finding's pod. */
export function stepsFor(
  finding: { code: FindingCode; text?: string; pods?: readonly string[]; container?: string | undefined },
  workload: string,
  logs: ReadonlyMap<string, LogExcerpt>,
): Step[] {
  const pod = finding.pods?.[0];
  const container = finding.container;
  const haveLog = pod !== undefined && container !== undefined && logs.has(`${pod}/${container}`);
  return ADVICE[finding.code]({ text: finding.text ?? '', workload, pod, container, haveLog });
}
