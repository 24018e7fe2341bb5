/**
 * A tool is plain data plus a handler: its name, a description written for an agent, zod schemas for input
 * and output, hints, a handler that returns structured data, and a compact text rendering of that data.
 * Nothing here knows about the MCP SDK; mcp/server.ts turns definitions into registrations.
 */
import type { ToolName } from '@podmcp/core';
import type { z } from 'zod';
import type { ToolContext } from '../context.ts';
import type { ToolHints } from '../hints.ts';

export interface ToolDefinition<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject = z.ZodObject,
  Name extends ToolName = ToolName,
> {
  readonly name: Name;
  readonly title: string;
  readonly description: string;
  readonly input: Input;
  readonly output: Output;
  readonly hints: ToolHints;
  /** For actions: what the call acts on (`deployment/web`), which keys the cooldown and the audit line. */
  readonly target?: (args: z.infer<Input>, context: ToolContext) => Promise<string> | string;
  readonly run: (args: z.infer<Input>, context: ToolContext) => Promise<z.infer<Output>>;
  readonly render: (result: z.infer<Output>) => string;
}

/**
 * Identity helper that keeps the generic parameters when a tool is declared in its own module, its name as a
 * literal too, so the catalogue can check each definition sits under its own name.
 */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject, Name extends ToolName>(
  definition: ToolDefinition<Input, Output, Name>,
): ToolDefinition<Input, Output, Name> {
  return definition;
}
