/**
 * Resources and prompts show the same facts the tools do, so they call the tool definitions rather than a
 * second implementation. Arguments go through the tool's own schema (defaults, bounds) first.
 */
import type { ToolName } from '@podmcp/core';
import type { ServiceContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { describeKubeError } from '../kube/errors.ts';
import { TOOL_DEFINITIONS } from './catalog.ts';

export interface ToolAnswer {
  readonly structured: Record<string, unknown>;
  readonly text: string;
}

export async function invokeTool(
  name: ToolName,
  args: Record<string, unknown>,
  context: ServiceContext,
): Promise<ToolAnswer> {
  const tool = TOOL_DEFINITIONS[name];
  if (!tool) throw new ToolFailure(`${name} is not available in this build.`, 'invalid');
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    throw new ToolFailure(
      `${name}: ${parsed.error.issues.map((issue: { message: string }) => issue.message).join('; ')}`,
      'invalid',
    );
  }
  const structured = (await tool.run(parsed.data, context)) as Record<string, unknown>;
  return { structured, text: tool.render(structured) };
}

/** Like invokeTool, but a failure becomes a line of text: a prompt gathers what it can and says what it could not. */
export async function invokeToolText(
  name: ToolName,
  args: Record<string, unknown>,
  context: ServiceContext,
): Promise<string> {
  try {
    return (await invokeTool(name, args, context)).text;
  } catch (error) {
    return `(${name} could not answer: ${describeKubeError(error, name).message})`;
  }
}
