/** The MCP tool annotations podmcp sets, shared by tool definitions and the action contract. */
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
