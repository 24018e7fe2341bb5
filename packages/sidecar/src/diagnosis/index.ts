/**
 * diagnosis/: the reasoning behind diagnose, from plain pods, warning events and the owning workload to a
 * verdict. Pure — no Kubernetes calls. The modules, in the order a diagnosis is made:
 *   selection.ts       which pods to examine and whose previous log to read
 *   rollout.ts         the workload's rollout status; rollout-findings.ts what it says is wrong
 *   pod-rules.ts       detector rules for pod issues; pod-issues.ts their ordered table; issue.ts merging
 *   event-findings.ts  warning events nothing else explains
 *   findings.ts        the finding codes and shape; next-steps.ts the advice for each code
 *   advice-context.ts  what the state allows a step to suggest; steps.ts a step as data, typed per tool
 *   pod-detail.ts      the close look at each examined pod
 *   assemble.ts        the whole diagnosis; fit.ts its byte budget; render.ts its text
 *   gather.ts          independent reads at once, each under its own deadline; unread.ts what failed, as findings
 * Shared by these: model.ts (the shapes), pod-facts.ts and probes.ts (facts read off a pod and its events),
 * cluster-messages.ts (the scheduler's and registry's own words), cluster-text.ts (cluster text cut to quote).
 */
export { buildDiagnosis } from './assemble.ts';
export { FINDING_CODES, type FindingCode, type PlacedFinding } from './findings.ts';
export { fitDiagnosis } from './fit.ts';
export {
  API_PART_MS,
  allWithin,
  LOG_PART_MS,
  type PartOutcome,
  seconds,
  TOOL_PART_MS,
  withinDeadline,
} from './gather.ts';
export type { Diagnosis, DiagnosisInput, LogExcerpt } from './model.ts';
export { stepsFor } from './next-steps.ts';
export { renderDiagnosis } from './render.ts';
export { rolloutStatus } from './rollout.ts';
export { examinedPods, logTargets, podProblemScore } from './selection.ts';
export { type AdvisedTool, renderStep, type StepArgsByTool } from './steps.ts';
export { blameApiRead, blameLogRead, type UnreadLog, unreadEventsFinding, unreadLogFindings } from './unread.ts';
