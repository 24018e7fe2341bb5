/**
 * AdmissionReview v1 in, AdmissionReview v1 out, as a pure function of the request body. The HTTP edge only
 * moves bytes; everything a test wants to pin down about answers is decided here.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterFacts } from './cluster-facts.ts';
import type { InjectorConfig } from './config.ts';
import { type Decision, decide, type ReasonCode } from './decide.ts';
import { patchBase64 } from './patch.ts';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  status?: { code: number; reason: string; message: string };
}

export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type Result = 'injected' | 'skipped' | 'denied' | 'error';

/** What the edge logs, counts and turns into an Event. */
export interface AdmissionOutcome {
  readonly result: Result;
  readonly reason: ReasonCode | 'not-a-pod-create' | 'internal-error';
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
  readonly uid: string;
  readonly namespace: string;
  readonly dryRun: boolean;
  readonly pod: V1Pod | undefined;
}

export class MalformedReviewError extends Error {}

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  namespace?: string;
  dryRun?: boolean;
  object?: unknown;
}

/** Checks the envelope; anything that is not an AdmissionReview v1 with a request uid is a 400, not a guess. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new MalformedReviewError('the body must be a JSON object (an AdmissionReview)');
  }
  const review = body as Record<string, unknown>;
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    throw new MalformedReviewError(
      `expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got ${JSON.stringify(review.apiVersion)} and ${JSON.stringify(review.kind)}`,
    );
  }
  const request = review.request;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new MalformedReviewError('the AdmissionReview has no request object');
  }
  const { uid } = request as Record<string, unknown>;
  if (typeof uid !== 'string' || uid.length === 0) {
    throw new MalformedReviewError('the AdmissionReview request has no uid');
  }
  return request as AdmissionRequest;
}

export function review(
  body: unknown,
  config: InjectorConfig,
  cluster: ClusterFacts,
): { review: AdmissionReviewResponse; outcome: AdmissionOutcome } {
  const request = parseAdmissionReview(body);
  const base = {
    uid: request.uid,
    namespace: request.namespace ?? '',
    dryRun: request.dryRun === true,
  };
  const isPodCreate =
    request.kind?.kind === 'Pod' &&
    (request.kind.group ?? '') === '' &&
    request.operation === 'CREATE' &&
    typeof request.object === 'object' &&
    request.object !== null;
  if (!isPodCreate) {
    // The webhook is registered for pod CREATE only; anything else is let through untouched, and said so.
    const message = `podmcp only mutates pod CREATE requests; ${request.operation ?? '?'} ${request.kind?.kind ?? '?'} passed through`;
    return {
      review: envelope({ uid: request.uid, allowed: true, warnings: [message] }),
      outcome: {
        ...base,
        result: 'skipped',
        reason: 'not-a-pod-create',
        messages: [message],
        warnings: [],
        pod: undefined,
      },
    };
  }
  const pod = request.object as V1Pod;
  let decision: Decision;
  let response: AdmissionResponse;
  try {
    decision = decide(pod, config, cluster);
    response = respond(request.uid, pod, decision, config);
  } catch (error) {
    // A bug must still produce a well-formed answer; failurePolicy semantics say deny.
    const message = `podmcp injector internal error: ${(error as Error).message}`;
    return {
      review: envelope({
        uid: request.uid,
        allowed: false,
        status: { code: 500, reason: 'InternalError', message },
      }),
      outcome: { ...base, result: 'error', reason: 'internal-error', messages: [message], warnings: [], pod },
    };
  }
  const result: Result = decision.action === 'inject' ? 'injected' : decision.action === 'skip' ? 'skipped' : 'denied';
  return {
    review: envelope(response),
    outcome: {
      ...base,
      result,
      reason: decision.reason,
      messages: decision.messages,
      warnings: decision.warnings,
      pod,
    },
  };
}

function respond(uid: string, pod: V1Pod, decision: Decision, config: InjectorConfig): AdmissionResponse {
  const warnings = decision.warnings.length > 0 ? { warnings: [...decision.warnings] } : {};
  if (decision.action === 'inject') {
    return {
      uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: patchBase64(pod, decision.plan, config),
      ...warnings,
    };
  }
  if (decision.action === 'skip') return { uid, allowed: true, ...warnings };
  return {
    uid,
    allowed: false,
    status: { code: 400, reason: 'BadRequest', message: `podmcp: ${decision.messages.join('; ')}` },
    ...warnings,
  };
}

/**
 * `JSON.stringify(review)`, byte for byte, without scanning the patch for characters to escape: it is base64,
 * which has none, and most of an injected pod's answer. Any other answer, or fields in another order, is
 * stringified as it is.
 */
export function encodeReview(review: AdmissionReviewResponse): string {
  const { uid, allowed, patchType, patch, ...rest } = review.response;
  const [first, second, third, fourth] = Object.keys(review.response);
  if (patch === undefined || first !== 'uid' || second !== 'allowed' || third !== 'patchType' || fourth !== 'patch') {
    return JSON.stringify(review);
  }
  const head = JSON.stringify({
    apiVersion: review.apiVersion,
    kind: review.kind,
    response: { uid, allowed, patchType },
  });
  const tail = Object.keys(rest).length === 0 ? '' : `,${JSON.stringify(rest).slice(1, -1)}`;
  return `${head.slice(0, -2)},"patch":"${patch}"${tail}}}`;
}

function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
