/**
 * The shapes of a diagnosis: what goes in (plain pods, events, the workload, log excerpts) and what comes
 * out (findings, next steps, rollout, per-pod details). Types only, so every step of the analysis can share
 * them without depending on one another.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { EventRow } from '../format/events.ts';
import type { WorkloadKind, WorkloadObject } from '../kube/workloads.ts';
import type { Finding, PlacedFinding } from './findings.ts';

/** At most this many unhealthy pods that were not examined are named in the summary. */
export const MAX_OTHER_UNHEALTHY = 15;

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

export interface Rollout {
  readonly workload: string;
  readonly desired?: number | undefined;
  readonly updated?: number | undefined;
  readonly ready?: number | undefined;
  readonly available?: number | undefined;
  readonly summary: string;
  /** Progressing=False with ProgressDeadlineExceeded: the controller gave up waiting for the new pods. */
  readonly stuck: boolean;
  readonly paused?: boolean | undefined;
  readonly conditions: readonly Condition[];
}

export interface ContainerDetail {
  readonly name: string;
  /** Omitted for app containers. */
  readonly kind?: 'init' | 'sidecar' | undefined;
  readonly image?: string | undefined;
  readonly ready: boolean;
  readonly restarts: number;
  /** running | waiting: <reason> | terminated: <reason> (exit <code>) */
  readonly state: string;
  readonly message?: string | undefined;
  readonly last_termination?:
    | { readonly reason: string; readonly exit_code: number; readonly finished_at?: string | undefined }
    | undefined;
  readonly memory_limit?: string | undefined;
  readonly cpu_limit?: string | undefined;
}

export interface ProbeFailure {
  readonly probe: 'readiness' | 'liveness' | 'startup' | 'probe';
  readonly container?: string | undefined;
  readonly count: number;
  readonly last_seen?: string | undefined;
  readonly message: string;
}

export interface LogExcerpt {
  readonly container: string;
  /** previous: the crashed instance; current: the running one (when the previous log was unavailable). */
  readonly source: 'previous' | 'current';
  readonly lines: readonly string[];
  readonly note?: string | undefined;
}

export interface PodDetail {
  readonly name: string;
  readonly status: string;
  readonly phase: string;
  readonly ready: string;
  readonly restarts: number;
  readonly node?: string | undefined;
  readonly age: string;
  /** Conditions that are not True, with why. */
  readonly conditions: readonly Condition[];
  readonly containers: readonly ContainerDetail[];
  readonly probe_failures: readonly ProbeFailure[];
  readonly logs: readonly LogExcerpt[];
}

export interface PodsSummary {
  readonly total: number;
  readonly ready: number;
  readonly by_status: Readonly<Record<string, number>>;
  readonly examined: number;
  /** Unhealthy pods not examined in detail (raise max_pods, or diagnose one with pod). */
  readonly others_unhealthy: readonly string[];
}

export interface Diagnosis {
  readonly target: string;
  readonly healthy: boolean;
  readonly findings: readonly Finding[];
  readonly next_steps: readonly string[];
  readonly rollout?: Rollout | undefined;
  readonly pods_summary: PodsSummary;
  readonly pods: readonly PodDetail[];
  readonly events: readonly EventRow[];
  readonly events_omitted: number;
  /** What was left out: to keep the answer within its byte budget, or beyond a read cap. */
  readonly trimmed?: readonly string[] | undefined;
}

export interface DiagnosisInput {
  /** Kind/name of what was diagnosed: the workload, or the pod when one was named. */
  readonly target: string;
  readonly workload?:
    | { readonly kind: WorkloadKind; readonly name: string; readonly object: WorkloadObject }
    | undefined;
  /** Every pod of the target (just the one when a pod was named). */
  readonly pods: readonly V1Pod[];
  /** The pods examined in detail, as chosen by examinedPods. */
  readonly examined: readonly V1Pod[];
  /** Warning events about the target, its owned objects and pods, already narrowed to the window. */
  readonly events: readonly CoreV1Event[];
  readonly eventsWindowMinutes: number;
  readonly maxEvents: number;
  /** Log excerpts by `<pod>/<container>`. */
  readonly logs: ReadonlyMap<string, LogExcerpt>;
  /** Tools the caller can use; next steps name no others. */
  readonly tools: ReadonlySet<string>;
  /**
   * This sidecar's own pod and the app endpoints its workload named. inspect_app reaches only those, so next
   * steps name it only for that pod; without this, never.
   */
  readonly self?: { readonly pod: string; readonly appEndpoints: ReadonlySet<'health' | 'metrics'> } | undefined;
  readonly now: Date;
  /** Parts that could not be read (a node's kubelet, the API server), already worded by unread.ts. */
  readonly unread?: readonly PlacedFinding[] | undefined;
}
