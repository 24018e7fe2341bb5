/**
 * What every handler registration shares: the SDK server, the options it was made with, the gate, and the
 * service context of one request. Also the one place a failed call becomes a protocol error.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Caller } from '../caller.ts';
import type { ServiceContext, SidecarServices } from '../context.ts';
import { clip } from '../gate/budget.ts';
import type { Call } from '../gate/call.ts';
import type { NonceSource } from '../gate/frame.ts';
import type { PromptDefinition } from '../prompts/definition.ts';
import type { ResourceDefinition } from '../resources/definition.ts';
import type { Redactor } from '../safety/redact.ts';
import type { ToolDefinition } from '../tools/definition.ts';
import type { Subscriptions } from './subscriptions.ts';

export interface Catalogue {
  readonly tools: readonly ToolDefinition[];
  readonly resources: readonly ResourceDefinition[];
  readonly prompts: readonly PromptDefinition[];
  readonly instructions: string;
}

/** Which protocol a server answers: 2025 (initialize, sessions) or 2026-07-28 (per-request `_meta`). */
export type Era = 'legacy' | 'modern';

export interface ServerOptions {
  readonly services: SidecarServices;
  readonly catalogue: Catalogue;
  /** Who is calling, from the transport (stdio, or what the HTTP edge authenticated). */
  readonly caller: (authInfo: unknown) => Caller;
  /** The era this server answers; legacy unless the transport says otherwise. */
  readonly era?: Era | undefined;
  /** The sidecar's change feeds, shared by every server; a server of its own when absent (tests). */
  readonly subscriptions?: Subscriptions | undefined;
  /** Overrides CALL_DEADLINE_MS (tests). */
  readonly deadlineMs?: number;
  /** Overrides APPROVAL_TIMEOUT_MS (tests). */
  readonly approvalTimeoutMs?: number | undefined;
  /** Overrides the random nonce of the answers' frames (tests). */
  readonly nonce?: NonceSource | undefined;
}

export interface Registration {
  readonly server: Server;
  readonly options: ServerOptions;
  readonly catalogue: Catalogue;
  readonly era: Era;
  readonly gate: (call: Call) => Promise<void>;
  readonly context: (ctx: ServerContext) => ServiceContext;
}

/** A name or URI the agent sent is echoed this far in a refusal: enough to see the typo. */
export const ECHOED_NAME_CHARS = 128;

/**
 * A URI the agent sent, as a refusal may echo it: redacted whole, then clipped (clipped first, a cut through a
 * secret would leave a part the redactor no longer knows).
 */
export function echoedUri(uri: string, redactor: Redactor): string {
  return clip(redactor.text(uri), ECHOED_NAME_CHARS);
}

/** The resource a failed read was for, and the redactor its echo goes through. */
export interface ReadUri {
  readonly uri: string;
  readonly redactor: Redactor;
}

/**
 * A failed resource read or prompt is a JSON-RPC error (they have no isError result, unlike tools): bad input
 * (a URI's variables, a prompt's arguments) is invalid params, as the MCP spec asks; a bug is internal. A
 * resource that does not exist is invalid params too: the SDK answers -32602 for it in both eras.
 */
export function protocolError(call: Call, resource?: ReadUri): ProtocolError {
  const failure = call.failure;
  const message = failure?.message ?? 'No answer.';
  if (failure?.kind === 'rate-limited') return new ProtocolError(ProtocolErrorCode.InvalidRequest, message);
  if (failure?.kind === 'not-found' && resource !== undefined) return resourceNotFound(resource, message);
  if (failure?.kind === 'invalid' && !call.unexpected)
    return new ProtocolError(ProtocolErrorCode.InvalidParams, message);
  return new ProtocolError(ProtocolErrorCode.InternalError, message);
}

/**
 * The SDK's resource-not-found (-32602 with the URI in its data). The data leaves past the gate's redaction
 * (which sees only the message), so the URI is redacted here, like every echo.
 */
export function resourceNotFound({ uri, redactor }: ReadUri, message: string): ProtocolError {
  return new ResourceNotFoundError(echoedUri(uri, redactor), message);
}
