/**
 * Kubernetes Events for admission decisions, recorded on the pod's owner (a ReplicaSet, a Job, …) because
 * the pod being admitted has no name yet and may never exist. `kubectl describe deploy` users see why their
 * pods were denied without reading the injector's logs.
 *
 * Recording never blocks or fails admission: it runs after the answer is written, is rate limited, and a
 * repeat of the same event within the aggregation window bumps its count instead of creating another.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type CoreV1Event, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { INJECTOR_NAME, isNotFound, pooledApiClient, TokenBucket } from '@podmcp/core';
import type { Logger } from 'pino';
import type { AdmissionOutcome } from './admission.ts';

export type EventReason = 'Injected' | 'InjectionSkipped' | 'InjectionDenied';

export interface EventIntent {
  readonly namespace: string;
  readonly involvedObject: { apiVersion: string; kind: string; name: string; uid?: string };
  readonly reason: EventReason;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
}

/** Skips that would be noise: the pod never asked for injection, or a reinvocation found it done. */
const QUIET_SKIPS = new Set(['not-opted-in', 'already-injected', 'not-a-pod-create']);
const MAX_MESSAGE_LENGTH = 1024;

/** Which event an outcome deserves, if any. Pure. */
export function eventFor(outcome: AdmissionOutcome): EventIntent | undefined {
  if (outcome.dryRun) return undefined; // the webhook declares sideEffects NoneOnDryRun
  if (outcome.result === 'skipped' && QUIET_SKIPS.has(outcome.reason)) return undefined;
  if (outcome.result === 'error') return undefined;
  const metadata = outcome.pod?.metadata;
  const owner = metadata?.ownerReferences?.find((reference) => reference.controller) ?? metadata?.ownerReferences?.[0];
  const involvedObject = owner
    ? { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid }
    : metadata?.name
      ? { apiVersion: 'v1', kind: 'Pod', name: metadata.name }
      : undefined;
  if (!involvedObject) return undefined;
  const detail = outcome.messages.join('; ');
  const [reason, type, message] =
    outcome.result === 'injected'
      ? (['Injected', 'Normal', 'podmcp sidecar injected'] as const)
      : outcome.result === 'denied'
        ? (['InjectionDenied', 'Warning', `pod rejected: ${detail}`] as const)
        : ([
            'InjectionSkipped',
            'Normal',
            `podmcp sidecar not injected (${outcome.reason})${detail ? `: ${detail}` : ''}`,
          ] as const);
  const warnings = outcome.warnings.length > 0 ? ` (warnings: ${outcome.warnings.join('; ')})` : '';
  return {
    namespace: outcome.namespace,
    involvedObject,
    reason,
    type,
    message: `${message}${warnings}`.slice(0, MAX_MESSAGE_LENGTH),
  };
}

export function eventKey(intent: EventIntent): string {
  const { involvedObject: object } = intent;
  return [intent.namespace, object.kind, object.name, object.uid ?? '', intent.reason, intent.message].join('\u0000');
}

export interface EventRecorderOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** The injector pod's name, reported as the event's reporting instance. */
  readonly instance: string;
  readonly aggregationWindowMs?: number;
  readonly perSecond?: number;
  readonly burst?: number;
  readonly onDropped?: () => void;
}

interface Recorded {
  readonly name: string;
  count: number;
  readonly firstSeen: number;
}

const MAX_REMEMBERED = 2_000;

export interface EventRecorder {
  record(outcome: AdmissionOutcome): void;
  /** Resolves when every write started so far has finished (tests, graceful shutdown). */
  flush(): Promise<void>;
}

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const core = pooledApiClient(options.kubeConfig, CoreV1Api);
  const window = options.aggregationWindowMs ?? 10 * 60_000;
  const bucket = new TokenBucket(options.perSecond ?? 10, options.burst ?? 25);
  const recent = new Map<string, Recorded>();
  const pending = new Set<Promise<void>>();

  async function write(intent: EventIntent): Promise<void> {
    const key = eventKey(intent);
    const now = Date.now();
    const timestamp = new Date(now);
    const previous = recent.get(key);
    if (previous && now - previous.firstSeen < window) {
      previous.count += 1;
      try {
        await core.patchNamespacedEvent(
          {
            name: previous.name,
            namespace: intent.namespace,
            body: { count: previous.count, lastTimestamp: timestamp },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      } catch (error) {
        // The event expired (TTL) or was deleted: fall through and create a fresh one.
        if (!isNotFound(error)) throw error;
      }
    }
    const name = `${intent.involvedObject.name}.${randomBytes(8).toString('hex')}`.slice(0, 253);
    const body: CoreV1Event = {
      metadata: { name, namespace: intent.namespace },
      involvedObject: { ...intent.involvedObject, namespace: intent.namespace },
      reason: intent.reason,
      type: intent.type,
      message: intent.message,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: INJECTOR_NAME },
      reportingComponent: 'podmcp.dev/injector',
      reportingInstance: options.instance,
    };
    await core.createNamespacedEvent({ namespace: intent.namespace, body });
    if (recent.size >= MAX_REMEMBERED) recent.delete(recent.keys().next().value as string);
    recent.set(key, { name, count: 1, firstSeen: now });
  }

  return {
    record(outcome) {
      const intent = eventFor(outcome);
      if (!intent) return;
      if (!bucket.take()) {
        options.onDropped?.();
        return;
      }
      const task = write(intent)
        .catch((error: Error & { code?: number }) => {
          options.logger.warn(
            { err: error.message, code: error.code, reason: intent.reason, object: intent.involvedObject },
            'could not record event',
          );
        })
        .finally(() => pending.delete(task));
      pending.add(task);
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
