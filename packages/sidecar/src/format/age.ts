/** Durations as people read them in kubectl: 45s, 12m, 3h20m, 5d. */
export function formatAge(since: Date | string | undefined, now: Date): string {
  if (since === undefined) return '?';
  const start = typeof since === 'string' ? new Date(since) : since;
  if (Number.isNaN(start.getTime())) return '?';
  const seconds = Math.max(0, Math.floor((now.getTime() - start.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 || hours >= 10 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

/** A Kubernetes timestamp (Date or RFC 3339 string) as a Date; undefined when absent or unparseable. */
export function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function toIso(value: Date | string | undefined): string | undefined {
  return toDate(value)?.toISOString();
}
