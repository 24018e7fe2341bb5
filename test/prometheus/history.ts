/**
 * Two hours of history in two namespaces, as OpenMetrics text for `promtool tsdb create-blocks-from
 * openmetrics`. Every series also carries `tenant="<namespace>"`, so a test can tell whose data an answer holds
 * even after the namespace label is dropped or rewritten. The shapes are known, so summaries can be checked:
 * in the first namespace the 5xx rate starts at the half-way mark, memory grows steadily, and the container
 * restarts three times; the second namespace is flat and has a series of its own (`only_in_other`).
 */

export const HISTORY_MINUTES = 120;
/** Minute of the history (from its start) at which the first namespace's errors begin. */
export const ERRORS_FROM_MINUTE = 60;
export const MIB = 1024 * 1024;

export interface History {
  readonly text: string;
  /** Unix seconds of the first and last sample. */
  readonly start: number;
  readonly end: number;
}

export function twoNamespaceHistory(own: string, other: string, endSeconds: number): History {
  const end = Math.floor(endSeconds / 60) * 60;
  const start = end - (HISTORY_MINUTES - 1) * 60;
  const minutes = Array.from({ length: HISTORY_MINUTES }, (_, index) => index);
  const at = (minute: number) => start + minute * 60;
  const lines: string[] = [];
  const series = (name: string, labels: Record<string, string>, value: (minute: number) => number) => {
    const text = Object.entries(labels)
      .map(([key, v]) => `${key}="${v}"`)
      .join(',');
    for (const minute of minutes) lines.push(`${name}{${text}} ${value(minute)} ${at(minute)}`);
  };
  const pod = (namespace: string) => ({ namespace, tenant: namespace, pod: 'web-1' });

  lines.push('# TYPE http_requests counter');
  for (const namespace of [own, other]) {
    series('http_requests_total', { ...pod(namespace), code: '200' }, (m) => m * 60);
    series('http_requests_total', { ...pod(namespace), code: '500' }, (m) =>
      namespace === own ? Math.max(0, m - ERRORS_FROM_MINUTE) * 30 : m * 6,
    );
  }
  lines.push('# TYPE container_memory_working_set_bytes gauge');
  for (const namespace of [own, other]) {
    series('container_memory_working_set_bytes', { ...pod(namespace), container: 'app' }, (m) =>
      namespace === own ? 100 * MIB + Math.round((m * 200 * MIB) / HISTORY_MINUTES) : 50 * MIB,
    );
  }
  lines.push('# TYPE kube_pod_container_status_restarts_total gauge');
  for (const namespace of [own, other]) {
    series('kube_pod_container_status_restarts_total', { ...pod(namespace), container: 'app' }, (m) =>
      namespace === own ? Math.floor(m / 40) : 0,
    );
  }
  lines.push('# TYPE only_in_other gauge');
  series('only_in_other', pod(other), () => 42);
  lines.push('# TYPE node_load1 gauge');
  series('node_load1', { instance: 'node-1', tenant: 'cluster' }, () => 1.5);
  lines.push('# EOF', '');
  return { text: lines.join('\n'), start, end };
}
