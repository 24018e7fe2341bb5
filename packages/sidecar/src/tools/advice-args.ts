/**
 * A compile-time proof that the arguments diagnosis advice may give each tool (StepArgsByTool, declared in
 * diagnosis/steps.ts) are an input that tool's zod schema accepts. diagnosis/ sits below tools/ and may not
 * import it, so the proof lives here, where both are in reach; nothing imports this module, the type checker
 * reads it. What types cannot say (patterns, bounds) the advice tests check by parsing with the schemas.
 */
import type { z } from 'zod';
import type { AdvisedTool, StepArgsByTool } from '../diagnosis/index.ts';
import type { diagnose } from './diagnose.ts';
import type { getPodLogs } from './get-pod-logs.ts';
import type { getResources } from './get-resources.ts';
import type { inspectApp } from './inspect-app.ts';
import type { listEvents } from './list-events.ts';
import type { listPods } from './list-pods.ts';
import type { rollbackDeployment } from './rollback-deployment.ts';

/** The definition of every tool advice may name; a tool added to StepArgsByTool without one does not compile. */
interface AdvisedDefinitions {
  readonly diagnose: typeof diagnose;
  readonly get_pod_logs: typeof getPodLogs;
  readonly get_resources: typeof getResources;
  readonly inspect_app: typeof inspectApp;
  readonly list_events: typeof listEvents;
  readonly list_pods: typeof listPods;
  readonly rollback_deployment: typeof rollbackDeployment;
}

/** What a caller may send each tool, read off its input schema. */
type ToolInputs = { readonly [Tool in AdvisedTool]: z.input<AdvisedDefinitions[Tool]['input']> };

type Accepted<Args extends ToolInputs> = Args;

/** Does not compile when a tool's advice arguments are not an input its schema accepts; the error names the tool. */
export type AdviceArgsAccepted = Accepted<StepArgsByTool>;

/** Argument names advice gives a tool that its schema does not have (the schemas are strict: such a call fails). */
type UnknownNames = {
  [Tool in AdvisedTool]: Exclude<keyof StepArgsByTool[Tool], keyof ToolInputs[Tool]>;
}[AdvisedTool];

type None<Names extends never> = Names;

/** Does not compile when advice gives a tool an argument it does not have; the error names the argument. */
export type AdviceArgsKnown = None<UnknownNames>;

/** Tools above paired with another tool's definition, whose schema would then vouch for the wrong arguments. */
type Misfiled = {
  [Tool in AdvisedTool]: AdvisedDefinitions[Tool]['name'] extends Tool ? never : Tool;
}[AdvisedTool];

/** Does not compile when a tool above is paired with another tool's definition; the error names the tool. */
export type AdviceDefinitionsMatch = None<Misfiled>;
