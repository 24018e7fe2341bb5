/** A diagnosis as diagnose's text answer, one line per fact, cluster text kept inside untrusted frames. */
import { formatAge } from '../format/age.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import type { Severity } from './findings.ts';
import type { ContainerDetail, Diagnosis, PodDetail, Rollout } from './model.ts';

const MARK: Readonly<Record<Severity, string>> = { error: '✗', warning: '!', info: '·' };

/**
 * Our own verdict line and next steps around one untrusted frame with everything that quotes the cluster
 * (findings embed scheduler and kubelet messages), and a frame per log tail.
 */
export function renderDiagnosis(diagnosis: Diagnosis, namespace: string, now: Date): string {
  const problems = diagnosis.findings.filter((finding) => finding.severity !== 'info').length;
  const header = diagnosis.healthy
    ? `${diagnosis.target} in ${namespace}: no problems found.`
    : `${diagnosis.target} in ${namespace}: ${problems} problem(s) found.`;
  const body: string[] = [
    'Findings:',
    ...diagnosis.findings.map((f) => `${MARK[f.severity]} ${f.text}`),
    ...(diagnosis.rollout ? rolloutLines(diagnosis.rollout) : []),
    podsSummaryLine(diagnosis),
    ...diagnosis.pods.flatMap((pod) => podLines(pod, now)),
    ...eventLines(diagnosis, now),
  ];
  const parts = [header, frameUntrusted(`diagnosis of ${diagnosis.target}`, body.join('\n')), ...logParts(diagnosis)];
  if (diagnosis.trimmed && diagnosis.trimmed.length > 0) parts.push(`Trimmed to fit: ${diagnosis.trimmed.join('; ')}.`);
  if (diagnosis.next_steps.length > 0) {
    parts.push(`Next steps:\n${diagnosis.next_steps.map((step) => `- ${step}`).join('\n')}`);
  }
  return parts.join('\n');
}

/** The summary, then the conditions worth reading: not True, or True because a deadline was exceeded. */
function rolloutLines(rollout: Rollout): string[] {
  const lines = [`Rollout ${rollout.workload}: ${rollout.summary}`];
  for (const condition of rollout.conditions) {
    if (condition.status === 'True' && !condition.reason?.includes('Exceeded')) continue;
    lines.push(
      `  ${condition.type}=${condition.status} ${condition.reason ?? ''}${condition.message ? `: ${condition.message}` : ''}`,
    );
  }
  return lines;
}

function podsSummaryLine(diagnosis: Diagnosis): string {
  const summary = diagnosis.pods_summary;
  const statuses = Object.entries(summary.by_status)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  return `Pods: ${summary.total} total, ${summary.ready} ready${statuses ? ` (${statuses})` : ''}; ${summary.examined} examined${summary.others_unhealthy.length > 0 ? `; also unhealthy: ${summary.others_unhealthy.join(', ')}` : ''}`;
}

function podLines(pod: PodDetail, now: Date): string[] {
  return [
    `Pod ${pod.name}: ${pod.status}, ${pod.ready} ready, ${pod.restarts} restart(s), age ${pod.age}${pod.node ? `, node ${pod.node}` : ''}`,
    ...pod.conditions.map(
      (condition) =>
        `  condition ${condition.type}=${condition.status}${condition.reason ? ` ${condition.reason}` : ''}${condition.message ? `: ${condition.message}` : ''}`,
    ),
    ...pod.containers.map((container) => containerLine(container, now)),
    ...pod.probe_failures.map(
      (probe) =>
        `  ${probe.probe} probe failed ${probe.count}×${probe.container ? ` (${probe.container})` : ''}${probe.last_seen ? `, last ${formatAge(probe.last_seen, now)} ago` : ''}: ${probe.message}`,
    ),
  ];
}

function containerLine(container: ContainerDetail, now: Date): string {
  const last = container.last_termination;
  const limits = [
    container.memory_limit ? `memory ${container.memory_limit}` : '',
    container.cpu_limit ? `cpu ${container.cpu_limit}` : '',
  ]
    .filter((item) => item !== '')
    .join(', ');
  return `  container ${container.name}${container.kind ? ` (${container.kind})` : ''}: ${container.state}, ${container.ready ? 'ready' : 'not ready'}, ${container.restarts} restart(s)${last ? `, last exit ${last.reason} (${last.exit_code})${last.finished_at ? ` ${formatAge(last.finished_at, now)} ago` : ''}` : ''}${limits ? `, limits ${limits}` : ''}${container.message ? ` — ${container.message}` : ''}`;
}

function eventLines(diagnosis: Diagnosis, now: Date): string[] {
  if (diagnosis.events.length === 0) return [];
  return [
    `Recent warning events${diagnosis.events_omitted > 0 ? ` (${diagnosis.events_omitted} more: list_events)` : ''}:`,
    ...diagnosis.events.map(
      (row) =>
        `  ${row.reason} ×${row.count} ${row.object}${row.last_seen ? ` (last ${formatAge(row.last_seen, now)} ago)` : ''}: ${row.message}`,
    ),
  ];
}

/** Each log tail in its own untrusted frame, or a line saying why there is none. */
function logParts(diagnosis: Diagnosis): string[] {
  return diagnosis.pods.flatMap((pod) =>
    pod.logs.map((log) => {
      const label = `${log.source} log of ${pod.name}/${log.container}`;
      const note = log.note ? `(${log.note})\n` : '';
      return log.lines.length > 0
        ? `${note}${frameUntrusted(label, log.lines.join('\n'))}`
        : `${label}: ${log.note ?? 'empty'}`;
    }),
  );
}
