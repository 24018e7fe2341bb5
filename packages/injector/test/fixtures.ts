import type { V1Pod } from '@kubernetes/client-node';
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionReviewResponse } from '../src/admission.ts';

let counter = 0;

export function admissionReview(pod: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'shop',
      object: pod,
      ...overrides,
    },
  };
}

export function decodePatch(review: AdmissionReviewResponse): unknown[] {
  const { patch } = review.response;
  if (patch === undefined) return [];
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

export function applyReview(pod: V1Pod, review: AdmissionReviewResponse): V1Pod {
  const operations = decodePatch(review) as fastJsonPatch.Operation[];
  return fastJsonPatch.applyPatch(structuredClone(pod), operations, true, false).newDocument;
}

export function podWith(annotations: Record<string, string>, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', annotations: { 'podmcp.dev/inject': 'true', ...annotations } },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ...spec },
  };
}
