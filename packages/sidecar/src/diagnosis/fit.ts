/**
 * A diagnosis made to fit its byte budget: the least telling parts go first (long log tails, then extra
 * events, then extra pods), and the answer says what went.
 */
import { byteLength } from '../output/budget.ts';
import { type Diagnosis, type LogExcerpt, MAX_OTHER_UNHEALTHY } from './model.ts';

/** In the order they are tried; each is kept only if it made the answer smaller. */
const SHRINK_STEPS: ReadonlyArray<readonly [string, (value: Diagnosis) => Diagnosis]> = [
  ['log tails shortened to 10 lines', (value) => mapLogs(value, (log) => ({ ...log, lines: log.lines.slice(-10) }))],
  ['events beyond the first 4 left out', (value) => limitEvents(value, 4)],
  ['log tails beyond the first pod left out', (value) => keepLogs(value, 1)],
  ['pods beyond the first 3 left out', (value) => limitPods(value, 3)],
  ['all log tails left out', (value) => keepLogs(value, 0)],
  ['events left out', (value) => limitEvents(value, 0)],
  ['pods beyond the first left out', (value) => limitPods(value, 1)],
];

/**
 * Shrinks a diagnosis until its JSON fits `maxBytes`, dropping the least telling parts first (long log
 * tails, then extra events, then extra pods) and saying what went.
 */
export function fitDiagnosis(diagnosis: Diagnosis, maxBytes: number): Diagnosis {
  let current = diagnosis;
  const trimmed: string[] = [...(diagnosis.trimmed ?? [])];
  for (const [what, step] of SHRINK_STEPS) {
    if (byteLength(current) <= maxBytes) break;
    const next = step(current);
    if (byteLength(next) < byteLength(current)) {
      current = next;
      trimmed.push(what);
    }
  }
  return trimmed.length > 0 ? { ...current, trimmed } : current;
}

function mapLogs(diagnosis: Diagnosis, map: (log: LogExcerpt) => LogExcerpt): Diagnosis {
  return { ...diagnosis, pods: diagnosis.pods.map((pod) => ({ ...pod, logs: pod.logs.map(map) })) };
}

function keepLogs(diagnosis: Diagnosis, pods: number): Diagnosis {
  return {
    ...diagnosis,
    pods: diagnosis.pods.map((pod, index) => (index < pods ? pod : { ...pod, logs: [] })),
  };
}

function limitEvents(diagnosis: Diagnosis, count: number): Diagnosis {
  if (diagnosis.events.length <= count) return diagnosis;
  return {
    ...diagnosis,
    events: diagnosis.events.slice(0, count),
    events_omitted: diagnosis.events_omitted + diagnosis.events.length - count,
  };
}

function limitPods(diagnosis: Diagnosis, count: number): Diagnosis {
  if (diagnosis.pods.length <= count) return diagnosis;
  const dropped = diagnosis.pods.slice(count).map((pod) => pod.name);
  return {
    ...diagnosis,
    pods: diagnosis.pods.slice(0, count),
    pods_summary: {
      ...diagnosis.pods_summary,
      examined: count,
      others_unhealthy: [...dropped, ...diagnosis.pods_summary.others_unhealthy].slice(0, MAX_OTHER_UNHEALTHY),
    },
  };
}
