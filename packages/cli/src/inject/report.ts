/** What `podmcp inject` tells a person or a CI job about the decision for each workload. */
import type { SourcedReport } from './inject.ts';

export interface Summary {
  readonly workloads: number;
  readonly inject: number;
  readonly skip: number;
  readonly deny: number;
  readonly warnings: number;
}

export function summarize(reports: readonly SourcedReport[]): Summary {
  const count = (action: SourcedReport['action']) => reports.filter((report) => report.action === action).length;
  return {
    workloads: reports.length,
    inject: count('inject'),
    skip: count('skip'),
    deny: count('deny'),
    warnings: reports.reduce((total, report) => total + report.warnings.length, 0),
  };
}

export function anyDenied(reports: readonly SourcedReport[]): boolean {
  return reports.some((report) => report.action === 'deny');
}

/** One line per workload, then its messages indented under it, then a summary line. */
export function renderCheckText(reports: readonly SourcedReport[]): string {
  if (reports.length === 0) {
    return 'no workloads found (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)\n';
  }
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(`${report.source}: ${report.object}: ${report.action} (${report.reason})`);
    // A denial's messages are the errors that caused it; otherwise they explain the decision.
    const label = report.action === 'deny' ? 'error: ' : '';
    for (const message of report.messages) lines.push(`  ${label}${message}`);
    for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  }
  const summary = summarize(reports);
  lines.push(
    '',
    `${plural(summary.workloads, 'workload')}: ${summary.inject} to inject, ${summary.skip} skipped, ${summary.deny} denied; ${plural(summary.warnings, 'warning')}`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderCheckJson(reports: readonly SourcedReport[]): string {
  const objects = reports.map(({ source, object, action, reason, messages, warnings }) => ({
    source,
    object,
    action,
    reason,
    messages,
    warnings,
  }));
  return `${JSON.stringify({ ok: !anyDenied(reports), summary: summarize(reports), objects }, null, 2)}\n`;
}

/** Warnings while writing YAML go to stderr, one line each, so they never end up in the manifests. */
export function renderWarnings(reports: readonly SourcedReport[]): string {
  return reports
    .flatMap((report) => report.warnings.map((warning) => `warning: ${report.source}: ${report.object}: ${warning}\n`))
    .join('');
}

export function renderDenials(reports: readonly SourcedReport[]): string {
  const denied = reports.filter((report) => report.action === 'deny');
  const lines = denied.flatMap((report) =>
    report.messages.map((message) => `  ${report.source}: ${report.object} (${report.reason}): ${message}`),
  );
  return [
    `${plural(denied.length, 'workload')} would be denied by the webhook, so no YAML was written:`,
    ...lines,
  ].join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
