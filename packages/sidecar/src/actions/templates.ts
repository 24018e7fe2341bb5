/**
 * Pod templates compared the way the Deployment controller compares them: a ReplicaSet's template is the
 * Deployment's plus the pod-template-hash label, so equality ignores that label (and the always-empty
 * creationTimestamp). Pure.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** A copy without the pod-template-hash label and creationTimestamp, ready to be written into a Deployment. */
export function withoutHashLabel(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const metadata = template.metadata ?? {};
  const labels = Object.fromEntries(
    Object.entries(metadata.labels ?? {}).filter(([key]) => key !== POD_TEMPLATE_HASH_LABEL),
  );
  const { creationTimestamp: _ignored, ...rest } = metadata;
  return { ...template, metadata: { ...rest, labels } };
}

export function sameTemplate(a: V1PodTemplateSpec | undefined, b: V1PodTemplateSpec | undefined): boolean {
  if (!a || !b) return false;
  return JSON.stringify(canonical(withoutHashLabel(a))) === JSON.stringify(canonical(withoutHashLabel(b)));
}

/** Sorted keys, dates as text, absent and null values dropped: two readings of one object compare equal. */
export function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, canonical(item)] as const);
    return Object.fromEntries(entries);
  }
  return value;
}

export interface ContainerImage {
  /** The container name; init containers as `init/NAME`. */
  readonly container: string;
  readonly image: string;
}

export function imagesOf(template: V1PodTemplateSpec | undefined): ContainerImage[] {
  const spec = template?.spec;
  return [
    ...(spec?.initContainers ?? []).map((c) => ({ container: `init/${c.name}`, image: c.image ?? '' })),
    ...(spec?.containers ?? []).map((c) => ({ container: c.name, image: c.image ?? '' })),
  ];
}

export interface ImageChange {
  readonly container: string;
  readonly before: string;
  readonly after: string;
}

/** Containers whose image differs between two templates; an added or removed container shows as `(none)`. */
export function imageChanges(from: V1PodTemplateSpec | undefined, to: V1PodTemplateSpec | undefined): ImageChange[] {
  const before = new Map(imagesOf(from).map((entry) => [entry.container, entry.image]));
  const after = new Map(imagesOf(to).map((entry) => [entry.container, entry.image]));
  const names = [...new Set([...before.keys(), ...after.keys()])];
  return names
    .map((container) => ({
      container,
      before: before.get(container) ?? '(none)',
      after: after.get(container) ?? '(none)',
    }))
    .filter((change) => change.before !== change.after);
}
