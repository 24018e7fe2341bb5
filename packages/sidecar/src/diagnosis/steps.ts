/**
 * A next step as data: a call of a tool with the arguments to make it, or advice no tool acts on. The
 * arguments advice may give each tool are declared here per tool, so a step with a misspelt or mistyped
 * argument does not compile. This layer may not import tools/, so tools/advice-args.ts proves each
 * declaration is an input its tool's schema accepts, and the tests parse every step with the real schema.
 */
import type { ToolName } from '@podmcp/core';
import type { ResourceKindName } from '../kube/resource-kinds.ts';

/** The arguments advice gives each tool it names: each a subset of that tool's input. */
export interface StepArgsByTool {
  readonly diagnose: { readonly workload?: string; readonly pod?: string };
  readonly get_pod_logs: {
    readonly pod: string;
    readonly container?: string;
    readonly previous?: true;
    readonly grep?: string;
  };
  readonly list_events: { readonly object: string; readonly reason?: string; readonly warnings_only?: true };
  readonly get_resources: { readonly kind: ResourceKindName; readonly name?: string };
  readonly inspect_app: { readonly aspect: AppEndpoint; readonly filter?: string };
  readonly list_pods: { readonly workload: string; readonly problems_only?: true };
  readonly rollback_deployment: { readonly workload: string; readonly reason: string; readonly dry_run: true };
}

export type AdvisedTool = keyof StepArgsByTool;

type Known<Names extends ToolName> = Names;

/** Does not compile when advice names a tool the contract (core's ToolName) does not have; the error names it. */
export type AdvisedToolsKnown = Known<AdvisedTool>;

/** The app's own endpoints inspect_app reads over the pod's loopback. */
export type AppEndpoint = 'health' | 'metrics';

/** A call of one tool with the arguments to make it. */
interface Call<Tool extends AdvisedTool> {
  readonly tool: Tool;
  readonly args: StepArgsByTool[Tool];
  readonly text: string;
}

/** A call with the arguments to make it; naming the tool narrows the arguments. */
export type ToolStep = { [Tool in AdvisedTool]: Call<Tool> }[AdvisedTool];

/** Advice no tool of this sidecar can act on. */
export interface AdviceStep {
  readonly tool?: never;
  readonly args?: never;
  readonly text: string;
}

export type Step = ToolStep | AdviceStep;

export function call<Tool extends AdvisedTool>(tool: Tool, args: StepArgsByTool[Tool], text: string): Call<Tool> {
  return { tool, args, text };
}

export function advise(text: string): AdviceStep {
  return { text };
}

/** Rendered `tool {arg: "value"} — why`, or just the advice. */
export function renderStep(step: Step): string {
  if (!step.tool) return step.text;
  const args = Object.entries(step.args)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
  return `${step.tool} {${args}} — ${step.text}`;
}
