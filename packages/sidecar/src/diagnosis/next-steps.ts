/**
 * Next steps for each finding code: the calls that would tell more (with the arguments to make them) or
 * advice without a tool. The advice table is a Record over every FindingCode, so a new code does not compile
 * until it has advice; a step names only a tool whose arguments steps.ts declares, and advice-context.ts says
 * what the state allows (which log exists, which app endpoints are in reach), so each call works as written.
 */

import type { ResourceKindName } from '../kube/resource-kinds.ts';
import type { WorkloadKind } from '../kube/workloads.ts';
import { type AdviceContext, type AdviceState, type AdvisedFinding, adviceContext } from './advice-context.ts';
import type { FindingCode } from './findings.ts';
import { advise, call, type Step, type StepArgsByTool, type ToolStep } from './steps.ts';

export type { AdviceContext } from './advice-context.ts';

export type Advice = (context: AdviceContext) => Step[];

// Every kind a workload or a diagnosed pod can be, as get_resources names it.
const RESOURCE_KIND_OF: Readonly<Record<string, ResourceKindName | undefined>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Pod: 'pods',
} satisfies Record<WorkloadKind | 'Pod', ResourceKindName>;

/** `Deployment/web` as get_resources arguments; a bare name is a Deployment's, as everywhere else. */
function resourceArgs(reference: string): StepArgsByTool['get_resources'] | undefined {
  const slash = reference.indexOf('/');
  if (slash < 0) return { kind: 'deployments', name: reference };
  const kind = RESOURCE_KIND_OF[reference.slice(0, slash)];
  return kind ? { kind, name: reference.slice(slash + 1) } : undefined;
}

/** A reference list_pods takes: a workload's kind and name, not a bare pod's. */
function isWorkload(reference: string): boolean {
  const kind = reference.slice(0, reference.indexOf('/'));
  return kind !== 'Pod' && RESOURCE_KIND_OF[kind] !== undefined;
}

function workloadDefinition(workload: string, text: string): ToolStep[] {
  const args = resourceArgs(workload);
  return args ? [call('get_resources', args, text)] : [];
}

/** What the kubelet said a container cannot start without. */
interface MissingReference {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly name: string;
  /** Set when the object exists and lacks this key. */
  readonly key?: string | undefined;
}

function missingReference(text: string): MissingReference | undefined {
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (?:[a-z0-9.-]+\/)?([a-z0-9.-]+)/i.exec(text);
  if (key) return { kind: key[2] === 'Secret' ? 'Secret' : 'ConfigMap', name: key[3] ?? '', key: key[1] };
  const object = /(configmaps?|secrets?) "([a-z0-9.-]+)" not found/i.exec(text);
  if (!object) return undefined;
  return { kind: object[1]?.toLowerCase().startsWith('secret') ? 'Secret' : 'ConfigMap', name: object[2] ?? '' };
}

const INCLUDED = 'its tail is included below; raise tail_lines for more';

/** The crashed container's last words: its previous instance when the kubelet has it, else the log it has. */
function crashLog({ pod, container, log }: AdviceContext): ToolStep[] {
  if (!pod || !container || !log) return [];
  const notes = [log.previousGone ? 'the crashed instance’s log is gone' : '', log.included ? INCLUDED : ''];
  const more = notes.some(Boolean) ? ` (${notes.filter(Boolean).join('; ')})` : '';
  if (log.previous) {
    return [call('get_pod_logs', { pod, container, previous: true }, `the crashed instance's last output${more}`)];
  }
  if (!log.current) return [];
  const which = log.previousGone ? 'the current instance’s output' : 'the container’s last output';
  return [call('get_pod_logs', { pod, container }, `${which}${more}`)];
}

/** A search of what the container logs now; nothing when it has no log to read. */
function logSearch({ pod, container, log }: AdviceContext, grep: string, text: string): ToolStep[] {
  if (!pod || !container || !log?.current) return [];
  return [call('get_pod_logs', { pod, container, grep }, text)];
}

/** inspect_app reads the app of this sidecar's own pod only, at the endpoints its workload named. */
function appCall({ app }: AdviceContext, args: StepArgsByTool['inspect_app'], text: string): ToolStep[] {
  return app.has(args.aspect) ? [call('inspect_app', args, text)] : [];
}

function events(object: string, text: string, extra: Omit<StepArgsByTool['list_events'], 'object'> = {}): ToolStep {
  return call('list_events', { object, ...extra }, text);
}

const crashed: Advice = (context) => [
  ...crashLog(context),
  ...workloadDefinition(context.workload, `the command, env and config of ${context.workload}`),
];

const podEvents: Advice = ({ pod }) => (pod ? [events(`Pod/${pod}`, 'mount, sandbox and pull events')] : []);

const probing: Advice = (context) => [
  ...appCall(context, { aspect: 'health' }, 'call the app’s health endpoint from inside the pod'),
  ...logSearch(context, 'error|exception|timeout', 'what the app says while failing'),
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
  ...crashLog(context),
  ...appCall(context, { aspect: 'metrics', filter: 'memory|heap' }, 'the app’s memory metrics'),
];

const imagePull: Advice = ({ pod }) => [
  advise('Check the image name and tag exist in the registry and that imagePullSecrets grant access'),
  ...(pod ? [events(`Pod/${pod}`, "the registry's exact answer")] : []),
];

const cannotStart: Advice = ({ text, workload }) => {
  const missing = missingReference(text);
  if (missing?.kind === 'Secret') {
    return [
      advise(
        `Create Secret ${missing.name}${missing.key ? ` with key ${missing.key}` : ''}, or fix the reference in ${workload}; this sidecar never reads Secrets`,
      ),
    ];
  }
  if (missing?.key) {
    return [
      call(
        'get_resources',
        { kind: 'configmaps', name: missing.name },
        `the keys ConfigMap ${missing.name} has (the container asks for ${missing.key})`,
      ),
    ];
  }
  if (missing) {
    // Reading the missing ConfigMap by name would only fail; the list shows what exists under other names.
    return [
      call('get_resources', { kind: 'configmaps' }, `ConfigMap ${missing.name} does not exist; the ConfigMaps that do`),
    ];
  }
  return workloadDefinition(workload, `the container's command, env and volume references in ${workload}`);
};

const unschedulable: Advice = ({ workload }) =>
  workloadDefinition(
    workload,
    `compare the pods' requests, nodeSelector, affinity and tolerations with the scheduler's message (this sidecar cannot read nodes)`,
  );

const rolloutStuck: Advice = ({ workload, canRollBack }) => [
  // Only a Deployment that had an earlier revision has one to return to; otherwise the dry run only fails.
  ...(canRollBack && workload.startsWith('Deployment/')
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

const healthy: Advice = (context) => [
  ...appCall(context, { aspect: 'health' }, 'the app’s own health, if users still report a problem'),
  // A pod of the target, named: without one, get_pod_logs would read this sidecar's own pod.
  ...(context.readyPod
    ? [
        call(
          'get_pod_logs',
          { pod: context.readyPod, grep: 'error|exception' },
          'errors the app logged without crashing',
        ),
      ]
    : []),
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
  'replicas-unavailable': ({ workload }) =>
    isWorkload(workload) ? [call('list_pods', { workload, problems_only: true }, 'which pods are not available')] : [],
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

/**
 * The steps for one finding; replica and configuration steps name `workload`, log steps the finding's pod;
 * `state` says which of them would work (advice-context.ts).
 */
export function stepsFor(finding: AdvisedFinding, workload: string, state: AdviceState): Step[] {
  return ADVICE[finding.code](adviceContext(finding, workload, state));
}
