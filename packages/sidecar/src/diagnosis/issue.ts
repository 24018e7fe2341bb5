/**
 * An issue is one problem seen in one pod. The same problem in several pods (same key) becomes one finding
 * that names where it was seen and the most restarts among them.
 */
import type { FindingCode, PlacedFinding, Severity } from './findings.ts';

export interface Issue {
  readonly key: string;
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly pod: string;
  readonly container?: string | undefined;
  readonly restarts?: number | undefined;
  /** The finding's text, given where it was seen ("in pod web-1", "in 3 pods (…)") and the most restarts. */
  readonly describe: (where: string, restarts: number) => string;
}

/** An issue before it is tied to its pod: what a detector rule returns. */
export type IssueDraft = Omit<Issue, 'pod'>;

export function where(pods: readonly string[]): string {
  if (pods.length === 1) return `in pod ${pods[0]}`;
  const shown = pods.slice(0, 3).join(', ');
  return `in ${pods.length} pods (${shown}${pods.length > 3 ? `, +${pods.length - 3}` : ''})`;
}

/** One finding per key, in the order each key was first seen. */
export function mergeIssues(issues: readonly Issue[]): Array<PlacedFinding & { pods: string[] }> {
  const groups = new Map<string, { issue: Issue; pods: string[]; restarts: number }>();
  for (const issue of issues) {
    const group = groups.get(issue.key);
    if (group) {
      if (!group.pods.includes(issue.pod)) group.pods.push(issue.pod);
      group.restarts = Math.max(group.restarts, issue.restarts ?? 0);
    } else {
      groups.set(issue.key, { issue, pods: [issue.pod], restarts: issue.restarts ?? 0 });
    }
  }
  return [...groups.values()].map(({ issue, pods, restarts }) => ({
    severity: issue.severity,
    code: issue.code,
    text: issue.describe(where(pods), restarts),
    pods,
    container: issue.container,
  }));
}
