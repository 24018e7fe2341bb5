/**
 * A tool is plain data plus a handler: its name, a description written for an agent, zod schemas for input
 * and output, hints, a handler that returns structured data, and a compact text rendering of that data.
 * Nothing here knows about the MCP SDK; mcp/server.ts turns definitions into registrations.
 */
import type { SidecarSettings, ToolName } from '@podmcp/core';
import type { z } from 'zod';
import type { AppEndpoints } from '../app-endpoints.ts';
import type { NamespacedKube } from '../kube/namespaced-kube.ts';
import type { SelfLocator } from '../self.ts';

/** Who is calling: `stdio` for a local agent, otherwise what the HTTP edge authenticated. */
export interface Caller {
  readonly id: string;
  readonly transport: 'stdio' | 'http' | 'in-memory';
  /**
   * Who the client says it is (`podmcp connect` sends the kubeconfig user and its own instance), unverified:
   * it tells callers apart for limits and the audit, and is recorded as claimed, never as proof.
   */
  readonly claimed?: string | undefined;
}

export interface ToolContext {
  readonly kube: NamespacedKube;
  readonly self: SelfLocator;
  readonly settings: SidecarSettings;
  readonly app: AppEndpoints;
  readonly caller: Caller;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** The sidecar's redaction (shape rules and its own token), for text that leaves through another door (Events). */
  readonly redact?: (text: string) => string;
}

export interface ToolHints {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  /** Always false: every tool works on this one namespace, never the open world. */
  readonly openWorldHint: false;
}

export const READ_HINTS: ToolHints = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  readonly name: ToolName;
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

/** Identity helper that keeps the generic parameters when a tool is declared in its own module. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

/**
 * An expected failure that the agent can act on: not found, forbidden, out of range, unreachable. Its message
 * says what happened and what to do next; it becomes an `isError` result, never a protocol error.
 */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
  readonly kind: FailureKind;
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, kind: FailureKind = 'invalid', retryAfterSeconds?: number) {
    super(message);
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type FailureKind =
  | 'invalid'
  | 'not-found'
  | 'forbidden'
  | 'unreachable'
  | 'timeout'
  | 'conflict'
  | 'rate-limited'
  /** The sidecar's bound on calls at once is reached; retry shortly. */
  | 'busy'
  | 'refused';
