/**
 * The AdmissionReviews the benchmark sends, one kind per path through the webhook, and how to tell a right
 * answer from a wrong one. Both servers get the same bytes; the baseline answers with what the webhook
 * would, so the two also send the same bytes back.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { type AdmissionReviewResponse, review } from '../../packages/injector/src/admission.ts';
import { benchCluster, benchConfig } from './injector-settings.ts';

export const SCENARIO_NAMES = ['opted-in', 'not-opted-in', 'env-2000', 'invalid-annotation'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

interface Expectation {
  readonly allowed: boolean;
  readonly patched: boolean;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  readonly requestBody: Buffer;
  /** The webhook's answer to `requestBody`, computed in process; the baseline serves it verbatim. */
  readonly answerBody: Buffer;
  /** Returns what is wrong with an HTTP answer, or undefined when it is the answer this scenario needs. */
  readonly check: (status: number, text: string) => string | undefined;
}

const DEFINITIONS: Record<ScenarioName, { summary: string; pod: () => V1Pod; expect: Expectation }> = {
  'opted-in': {
    summary: 'small opted-in pod; gets the sidecar',
    pod: () => deploymentPod({ 'podmcp.dev/inject': 'true' }),
    expect: { allowed: true, patched: true },
  },
  'not-opted-in': {
    summary: 'pod without the inject annotation; skipped',
    pod: () => deploymentPod({}),
    expect: { allowed: true, patched: false },
  },
  'env-2000': {
    summary: 'opted-in pod with 2000 env vars; gets the sidecar',
    pod: () => deploymentPod({ 'podmcp.dev/inject': 'true' }, manyEnvVars(2000)),
    expect: { allowed: true, patched: true },
  },
  'invalid-annotation': {
    summary: 'opted-in pod with an invalid annotation; denied',
    pod: () => deploymentPod({ 'podmcp.dev/inject': 'true', 'podmcp.dev/mode': 'god' }),
    expect: { allowed: false, patched: false },
  },
};

export function buildScenarios(names: readonly ScenarioName[]): Scenario[] {
  return names.map((name, index) => {
    const { summary, pod, expect } = DEFINITIONS[name];
    const uid = `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
    const requestText = JSON.stringify(admissionReview(uid, pod()));
    const answer = review(JSON.parse(requestText), benchConfig(), benchCluster).review;
    // A scenario that no longer takes the path it is named after would measure the wrong thing quietly.
    const problem = problemWith(answer, uid, expect);
    if (problem) throw new Error(`scenario ${name} no longer exercises what it is named for: ${problem}`);
    const answerText = JSON.stringify(answer);
    return {
      name,
      summary,
      requestBody: Buffer.from(requestText),
      answerBody: Buffer.from(answerText),
      // The exact expected bytes are the cheap common case; anything else is judged on its meaning, so a
      // harmless change in the webhook's output (a new field, another order) is not reported as an error.
      check: (status, text) =>
        status === 200 && text === answerText ? undefined : checkAnswer(status, text, uid, expect),
    };
  });
}

function checkAnswer(status: number, text: string, uid: string, expect: Expectation): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  let answer: AdmissionReviewResponse;
  try {
    answer = JSON.parse(text) as AdmissionReviewResponse;
  } catch {
    return `answer is not JSON: ${text.slice(0, 200)}`;
  }
  return problemWith(answer, uid, expect);
}

function problemWith(answer: AdmissionReviewResponse, uid: string, expect: Expectation): string | undefined {
  if (answer?.apiVersion !== 'admission.k8s.io/v1' || answer.kind !== 'AdmissionReview') {
    return 'answer is not an AdmissionReview v1';
  }
  const { response } = answer;
  if (response?.uid !== uid) return `answer uid ${JSON.stringify(response?.uid)} is not the request's ${uid}`;
  if (response.allowed !== expect.allowed) return `expected allowed=${expect.allowed}, got ${response.allowed}`;
  if ((response.patch !== undefined) !== expect.patched) {
    return expect.patched ? 'expected a patch, got none' : 'expected no patch, got one';
  }
  return undefined;
}

function admissionReview(uid: string, pod: V1Pod) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'shop',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      dryRun: false,
    },
  };
}

/** Shaped like what a ReplicaSet controller submits, so the owner lookup in the decision log has work to do. */
function deploymentPod(annotations: Record<string, string>, env?: Array<{ name: string; value: string }>): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'checkout-7d9f8b6c5d-',
      namespace: 'shop',
      labels: { app: 'checkout', 'pod-template-hash': '7d9f8b6c5d' },
      annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'checkout-7d9f8b6c5d',
          uid: '5f0c2a9e-2d1b-4c4e-9f0a-6b3c1d2e4f50',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      serviceAccountName: 'checkout',
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/shop/checkout:1.4.2',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          ...(env ? { env } : {}),
        },
      ],
    },
  };
}

function manyEnvVars(count: number): Array<{ name: string; value: string }> {
  return Array.from({ length: count }, (_, index) => ({ name: `VAR_${index}`, value: `value-${index}-`.repeat(8) }));
}
