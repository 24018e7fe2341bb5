/**
 * What advice may rely on about the state a finding was seen in, so that a suggested call works as written:
 * which log of the finding's container the kubelet can serve (a previous instance only after a restart, none
 * before a container ran, nothing more once the diagnosis read an empty or unreadable tail), which app
 * endpoints inspect_app reaches (only this sidecar's own pod's, and only those its workload named), and
 * whether a Deployment has an earlier revision to roll back to.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { hasPreviousInstance } from '../format/containers.ts';
import type { FindingCode } from './findings.ts';
import type { DiagnosisInput } from './model.ts';
import { containersOf, readyCondition } from './pod-facts.ts';
import type { AppEndpoint } from './steps.ts';

/** The part of a diagnosis's input advice reads; a DiagnosisInput is one. */
export type AdviceState = Pick<DiagnosisInput, 'pods' | 'logs' | 'workload' | 'self'>;

/** What the kubelet can serve of one container's log, and what the diagnosis already holds of it. */
export interface LogFacts {
  /** The crashed instance's log can be asked for: the container restarted and the diagnosis did not find it gone. */
  readonly previous: boolean;
  /** A current log exists: the container runs, exited, or waits after an exit (the kubelet serves that one). */
  readonly current: boolean;
  /** The diagnosis asked for the previous instance's log and the kubelet no longer had it. */
  readonly previousGone: boolean;
  /** The diagnosis already holds lines of this log. */
  readonly included: boolean;
}

/** What advice may use: the finding, where it was seen, the workload that owns it, and the state around it. */
export interface AdviceContext {
  readonly text: string;
  /** Kind/name of the owning workload (or of the pod, when no workload owns it). */
  readonly workload: string;
  /** The first pod the finding was seen in. */
  readonly pod: string | undefined;
  readonly container: string | undefined;
  /** The log of that pod's container; undefined when no read would work or add anything. */
  readonly log: LogFacts | undefined;
  /** A ready pod of the target, for advice about the whole workload (this sidecar's own when it is one). */
  readonly readyPod: string | undefined;
  /** The endpoints inspect_app reaches for the pod the advice is about: none unless it is this sidecar's own. */
  readonly app: ReadonlySet<AppEndpoint>;
  /** The workload is a Deployment that has had an earlier revision to return to. */
  readonly canRollBack: boolean;
}

export interface AdvisedFinding {
  readonly code: FindingCode;
  readonly text?: string | undefined;
  readonly pods?: readonly string[] | undefined;
  readonly container?: string | undefined;
}

const NO_ENDPOINTS: ReadonlySet<AppEndpoint> = new Set();
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export function adviceContext(finding: AdvisedFinding, workload: string, state: AdviceState): AdviceContext {
  const pod = finding.pods?.[0];
  const container = finding.container;
  const podObject = state.pods.find((item) => item.metadata?.name === pod);
  const readyPod = pickReadyPod(state);
  const about = pod ?? readyPod;
  return {
    text: finding.text ?? '',
    workload,
    pod,
    container,
    log: podObject && pod && container ? logFacts(podObject, pod, container, state) : undefined,
    readyPod,
    app: about !== undefined && state.self?.pod === about ? state.self.appEndpoints : NO_ENDPOINTS,
    canRollBack: canRollBack(state.workload),
  };
}

function logFacts(pod: V1Pod, name: string, container: string, state: AdviceState): LogFacts | undefined {
  // A pod no node took has run nothing: every log read fails.
  if (!pod.spec?.nodeName) return undefined;
  const status = containersOf(pod).find((entry) => entry.name === container)?.status;
  if (!status) return undefined;
  const restarted = hasPreviousInstance(pod, container);
  const current = Boolean(status.state?.running || status.state?.terminated || status.lastState?.terminated);
  const excerpt = state.logs.get(`${name}/${container}`);
  if (excerpt) {
    // Read already: an empty tail, or one the node could not serve (its note says why), gives nothing more.
    if (excerpt.lines.length === 0) return undefined;
    const previous = excerpt.source === 'previous';
    return { previous, current: current || !previous, previousGone: !previous && restarted, included: true };
  }
  if (!restarted && !current) return undefined;
  return { previous: restarted, current, previousGone: false, included: false };
}

/**
 * This sidecar's own pod when the target has it ready, else the first ready pod; a pod whose log the
 * diagnosis could not read (an empty tail) is left out, its node may not serve another.
 */
function pickReadyPod(state: AdviceState): string | undefined {
  const unread = new Set(
    [...state.logs].filter(([, excerpt]) => excerpt.lines.length === 0).map(([key]) => key.split('/')[0]),
  );
  const ready = state.pods
    .filter((pod) => readyCondition(pod) === 'True' && pod.spec?.nodeName)
    .map((pod) => pod.metadata?.name ?? '')
    .filter((name) => name !== '' && !unread.has(name));
  const own = state.self?.pod;
  return own !== undefined && ready.includes(own) ? own : ready[0];
}

function canRollBack(workload: AdviceState['workload']): boolean {
  if (workload?.kind !== 'Deployment') return false;
  const revision = Number((workload.object as V1Deployment).metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(revision) && revision > 1;
}
