/**
 * diagnosis/: the reasoning behind diagnose, from plain pods, warning events and the owning workload to a
 * verdict. Pure — no Kubernetes calls. The modules, in the order a diagnosis is made:
 *   selection.ts       which pods to examine and whose previous log to read
 *   rollout.ts         the workload's rollout status; rollout-findings.ts what it says is wrong
 *   pod-rules.ts       detector rules for pod issues; pod-issues.ts their ordered table; issue.ts merging
 *   event-findings.ts  warning events nothing else explains
 *   findings.ts        the finding codes and shape; next-steps.ts the advice for each code
 *   assemble.ts        the whole diagnosis; fit.ts its byte budget; render.ts its text
 */
export { buildDiagnosis } from './assemble.ts';
export { FINDING_CODES, type Finding, type FindingCode, type Severity } from './findings.ts';
export { fitDiagnosis } from './fit.ts';
export type { Diagnosis, DiagnosisInput, LogExcerpt } from './model.ts';
export { renderStep, type Step, stepsFor } from './next-steps.ts';
export { renderDiagnosis } from './render.ts';
export { rolloutStatus } from './rollout.ts';
export { examinedPods, type LogTarget, logTargets, podProblemScore } from './selection.ts';
