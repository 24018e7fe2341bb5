/**
 * A prompt is a workflow the user starts ("diagnose this crash loop"): it gathers bounded live data on the
 * server and returns it with instructions, so the agent begins from facts instead of a checklist.
 */
import type { ToolName } from '@podmcp/core';
import type { ServiceContext } from '../context.ts';

export interface PromptArgument {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

export interface PromptDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly arguments: readonly PromptArgument[];
  /** Tools whose data the prompt gathers: offered only where the workload enabled all of them. */
  readonly requires?: readonly ToolName[];
  readonly complete?: Readonly<Record<string, (prefix: string, context: ServiceContext) => Promise<string[]>>>;
  /** The user message the prompt expands to. */
  readonly build: (args: Readonly<Record<string, string | undefined>>, context: ServiceContext) => Promise<string>;
}
