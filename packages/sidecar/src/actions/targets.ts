/**
 * Which workload an action acts on: the reference resolved ("self" → this sidecar's own workload), refused
 * early when the tool cannot act on that kind, and whether it is the sidecar's own workload (the answer then
 * warns that the connection may drop). The label doubles as the cooldown key, so "self" and "deploy/web"
 * cool down together.
 */

import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { resolveWorkloadRef, type WorkloadKind, type WorkloadRef } from '../kube/workloads.ts';

export interface ActionTarget extends WorkloadRef {
  /** `Deployment/web`: the cooldown key and the audit target. */
  readonly label: string;
  /** The sidecar runs in this workload. */
  readonly own: boolean;
}

export function targetLabel(ref: { readonly kind: string; readonly name: string }): string {
  return `${ref.kind}/${ref.name}`;
}

/** For a tool's `target`: the label only, without the kind check (run() refuses with the full message). */
export async function targetOf(context: ToolContext, reference: string | undefined): Promise<string> {
  return targetLabel(await resolveWorkloadRef(context, reference));
}

export async function resolveActionTarget(
  context: ToolContext,
  reference: string | undefined,
  kinds: readonly WorkloadKind[],
  refusal: (ref: WorkloadRef) => string,
): Promise<ActionTarget> {
  const ref = await resolveWorkloadRef(context, reference);
  if (!kinds.includes(ref.kind)) throw new ToolFailure(refusal(ref), 'invalid');
  const own = await context.self.workload().catch(() => undefined);
  return { ...ref, label: targetLabel(ref), own: own?.kind === ref.kind && own.name === ref.name };
}
