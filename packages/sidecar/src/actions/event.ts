/**
 * The audit trail inside the cluster: every applied action leaves a Kubernetes Event on the object it
 * changed, so `kubectl describe` and `kubectl get events` show who (the MCP caller) did what and why, without
 * the sidecar's logs. A failed Event write never undoes or hides the action; the answer says it is missing.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ToolContext } from '../context.ts';
import { describeKubeError } from '../kube/errors.ts';
import { createRedactor } from '../safety/redact.ts';
import { stripControl } from '../safety/sanitize.ts';
import type { EventRecord } from './contract.ts';

export const EVENT_REASONS = {
  restart: 'PodmcpRestart',
  scale: 'PodmcpScale',
  delete: 'PodmcpDelete',
  rollback: 'PodmcpRollback',
} as const;
export type ActionEventReason = (typeof EVENT_REASONS)[keyof typeof EVENT_REASONS];

export const REPORTING_COMPONENT = 'podmcp-sidecar';

const MAX_CALLER_REASON = 300;
const MAX_MESSAGE = 1024;

// Events are readable by anyone who may list events in the namespace: a credential pasted into a reason
// must not end up there, so the same shape rules that guard every answer apply.
const redactor = createRedactor();

export interface ActionEvent {
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly uid?: string };
  readonly reason: ActionEventReason;
  /** What was done, e.g. "Restart". */
  readonly action: string;
  /** What happened, in a clause: "Scaled from 2 to 5 replicas". */
  readonly summary: string;
}

export interface EventSource {
  readonly namespace: string;
  /** This sidecar's pod name, or "podmcp" outside a pod. */
  readonly instance: string;
  readonly callerId: string;
  readonly callerReason: string;
  readonly now: Date;
  /** Makes the Event's name unique; random outside tests. */
  readonly suffix: string;
  /** The sidecar's redaction, which also knows its own token; shape rules only when absent. */
  readonly redact?: ((text: string) => string) | undefined;
}

/** Pure: the message, with the caller's reason cleaned, redacted and clipped. */
export function eventMessage(
  summary: string,
  callerId: string,
  callerReason: string,
  redact: (text: string) => string = redactor.text,
): string {
  const reason = clip(redact(stripControl(callerReason)).replace(/\s+/g, ' ').trim(), MAX_CALLER_REASON);
  return clip(`${summary} by podmcp for caller ${callerId}. Reason: ${reason}`, MAX_MESSAGE);
}

/** Pure: the core/v1 Event for an applied action. */
export function actionEventBody(event: ActionEvent, source: EventSource): CoreV1Event {
  return {
    metadata: { name: `${event.object.name}.${source.suffix}`.slice(0, 253), namespace: source.namespace },
    involvedObject: { ...event.object, namespace: source.namespace },
    reason: event.reason,
    action: event.action,
    type: 'Normal',
    message: eventMessage(event.summary, source.callerId, source.callerReason, source.redact),
    count: 1,
    firstTimestamp: source.now,
    lastTimestamp: source.now,
    source: { component: REPORTING_COMPONENT },
    reportingComponent: REPORTING_COMPONENT,
    reportingInstance: source.instance,
  };
}

export async function recordActionEvent(
  context: ToolContext,
  event: ActionEvent,
  callerReason: string,
): Promise<EventRecord> {
  const body = actionEventBody(event, {
    namespace: context.kube.namespace,
    instance: context.self.podName ?? 'podmcp',
    callerId: context.caller.id,
    callerReason,
    now: context.now(),
    suffix: randomBytes(8).toString('hex'),
    redact: context.redact,
  });
  try {
    const created = await context.kube.events.create(body);
    return { recorded: true, reason: event.reason, name: created.metadata?.name };
  } catch (error) {
    return { recorded: false, reason: event.reason, error: describeKubeError(error, 'the Event').message };
  }
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
