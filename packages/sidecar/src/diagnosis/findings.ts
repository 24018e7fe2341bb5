/**
 * What diagnose can conclude: every finding code, and the shape of one finding. The codes are a closed list
 * because the answer's schema enumerates them and next-steps.ts must give advice for each.
 */

export type Severity = 'error' | 'warning' | 'info';

export const FINDING_CODES = [
  'healthy',
  'oom-killed',
  'crash-loop',
  'image-pull',
  'cannot-start',
  'exited-with-error',
  'unschedulable',
  'pending',
  'readiness-probe',
  'liveness-probe',
  'startup-probe',
  'not-ready',
  'restarted',
  'evicted',
  'stuck-terminating',
  'node-lost',
  'rollout-stuck',
  'replica-failure',
  'replicas-unavailable',
  'rollout-in-progress',
  'rollout-paused',
  'scaled-to-zero',
  'no-pods',
  'job-failed',
  'volume',
  'warning-events',
  'kubelet-unreachable',
  'api-server-unreachable',
  'more-findings',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly text: string;
}

/** A finding with where it was seen, which next steps need to name the pod and container to look at. */
export interface PlacedFinding extends Finding {
  readonly pods?: readonly string[] | undefined;
  readonly container?: string | undefined;
}

export const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Consequences of the other findings: listed after the causes of the same severity. */
export const SYMPTOMS: ReadonlySet<FindingCode> = new Set<FindingCode>(['replicas-unavailable', 'rollout-in-progress']);

/** What the diagnosis could not read (a part that failed): listed after the symptoms of the same severity. */
export const GAPS: ReadonlySet<FindingCode> = new Set<FindingCode>(['kubelet-unreachable', 'api-server-unreachable']);
