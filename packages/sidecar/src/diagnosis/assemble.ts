/**
 * From plain pods, warning events and the owning workload to a whole diagnosis: rollout, findings (causes
 * before symptoms, worst first), next steps the caller can take, the pods summary and the examined pods.
 * Pure — no Kubernetes calls — so each verdict is unit-tested on hand-written objects.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { aggregateEvents } from '../format/events.ts';
import { podStatus } from '../format/pods.ts';
import { eventFindings } from './event-findings.ts';
import { type Finding, GAPS, type PlacedFinding, SEVERITY_ORDER, SYMPTOMS } from './findings.ts';
import { mergeIssues } from './issue.ts';
import { type Diagnosis, type DiagnosisInput, MAX_OTHER_UNHEALTHY, type PodsSummary, type Rollout } from './model.ts';
import { stepsFor } from './next-steps.ts';
import { podDetail } from './pod-detail.ts';
import { readyCondition } from './pod-facts.ts';
import { podIssues } from './pod-issues.ts';
import { rolloutStatus } from './rollout.ts';
import { rolloutFindings } from './rollout-findings.ts';
import { podProblemScore } from './selection.ts';
import { renderStep, type Step } from './steps.ts';

const MAX_FINDINGS = 12;
const MAX_NEXT_STEPS = 6;

export function buildDiagnosis(input: DiagnosisInput): Diagnosis {
  const { now } = input;
  const rollout = input.workload
    ? rolloutStatus(input.workload.kind, input.workload.name, input.workload.object)
    : undefined;
  const found = detectFindings(input, rollout);
  const healthy = !found.some((finding) => finding.severity !== 'info');
  const readyPods = input.pods.filter((pod) => readyCondition(pod) === 'True').length;
  const all = ordered(healthy ? [healthyFinding(input, readyPods, found.length > 0), ...found] : found);
  // Steps about replicas and configuration name the owning workload even when one pod was diagnosed.
  const owner = rollout?.workload ?? input.target;
  const eventRows = aggregateEvents(input.events);
  return {
    target: input.target,
    healthy,
    findings: shownFindings(all),
    next_steps: nextSteps(all, owner, input),
    rollout,
    pods_summary: podsSummary(input, readyPods),
    pods: input.examined.map((pod) => podDetail(pod, input.events, input.logs, now)),
    events: eventRows.slice(0, input.maxEvents),
    events_omitted: Math.max(0, eventRows.length - input.maxEvents),
  };
}

/**
 * Rollout findings, then pod issues merged across pods, then warning events nothing else explains, then the
 * parts that could not be read.
 */
function detectFindings(input: DiagnosisInput, rollout: Rollout | undefined): PlacedFinding[] {
  const rolloutResults =
    input.workload && rollout
      ? rolloutFindings({
          kind: input.workload.kind,
          object: input.workload.object,
          rollout,
          podCount: input.pods.length,
        })
      : [];
  const podResults = mergeIssues(
    input.pods.flatMap((pod) => podIssues(pod, input.events, input.eventsWindowMinutes, input.now)),
  );
  const eventResults = eventFindings(input.events, new Set(rolloutResults.map((finding) => finding.code)));
  return [...rolloutResults, ...podResults, ...eventResults, ...(input.unread ?? [])];
}

function healthyFinding(input: DiagnosisInput, readyPods: number, notes: boolean): Finding {
  return {
    severity: 'info',
    code: 'healthy',
    text: `no problems found: ${readyPods}/${input.pods.length} pod(s) ready, no warning events in the last ${input.eventsWindowMinutes} min${notes ? ' (notes below)' : ''}`,
  };
}

/** Worst first; within a severity, causes before their symptoms, then what could not be read; otherwise as found. */
function ordered(findings: readonly PlacedFinding[]): PlacedFinding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
        place(a.finding.code) - place(b.finding.code) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
}

function place(code: PlacedFinding['code']): number {
  return GAPS.has(code) ? 2 : SYMPTOMS.has(code) ? 1 : 0;
}

function shownFindings(all: readonly PlacedFinding[]): Finding[] {
  const findings: Finding[] = all.slice(0, MAX_FINDINGS).map(({ severity, code, text }) => ({ severity, code, text }));
  if (all.length > MAX_FINDINGS) {
    findings.push({
      severity: 'info',
      code: 'more-findings',
      text: `${all.length - MAX_FINDINGS} more finding(s) not shown; diagnose one pod with pod for its details`,
    });
  }
  return findings;
}

/** The first distinct steps of the findings in order, leaving out tools the caller cannot use. */
function nextSteps(all: readonly PlacedFinding[], owner: string, input: DiagnosisInput): string[] {
  // A start that needed a few startup probes is a note, not something to investigate.
  const steps: Step[] = all.flatMap((finding) =>
    finding.severity === 'info' && finding.code === 'startup-probe' ? [] : stepsFor(finding, owner, input),
  );
  const seen = new Set<string>();
  const chosen: string[] = [];
  for (const step of steps) {
    if (step.tool && !input.tools.has(step.tool)) continue;
    const text = renderStep(step);
    if (seen.has(text)) continue;
    seen.add(text);
    chosen.push(text);
    if (chosen.length >= MAX_NEXT_STEPS) break;
  }
  return chosen;
}

function podsSummary(input: DiagnosisInput, readyPods: number): PodsSummary {
  const examinedNames = new Set(input.examined.map((pod) => pod.metadata?.name));
  const byStatus: Record<string, number> = {};
  for (const pod of input.pods) {
    const status = podStatus(pod);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }
  const othersUnhealthy = input.pods
    .filter((pod: V1Pod) => !examinedNames.has(pod.metadata?.name) && podProblemScore(pod, input.now) > 0)
    .map((pod) => pod.metadata?.name ?? '?');
  return {
    total: input.pods.length,
    ready: readyPods,
    by_status: byStatus,
    examined: input.examined.length,
    others_unhealthy: othersUnhealthy.slice(0, MAX_OTHER_UNHEALTHY),
  };
}
