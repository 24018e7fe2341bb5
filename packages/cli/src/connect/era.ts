/**
 * Which MCP era an agent's message belongs to. A 2026-07-28 (or later) client puts its protocol version in the
 * `_meta` envelope of every request and notification, the way the sidecar tells the eras apart; a 2025 client
 * negotiated its version once, with `initialize`, and its messages carry no such claim.
 */
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  type RequestId,
} from '@modelcontextprotocol/client';

/** The protocol version a request or notification claims in its `_meta` envelope, if it claims one. */
export function claimedVersion(message: JSONRPCMessage): string | undefined {
  if (!isJSONRPCRequest(message) && !isJSONRPCNotification(message)) return undefined;
  const meta = (message.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const version = meta?.[PROTOCOL_VERSION_META_KEY];
  return typeof version === 'string' ? version : undefined;
}

/** A message of the era without a session: it goes to the sidecar on its own, with no handshake before it. */
export function isModern(message: JSONRPCMessage): boolean {
  return claimedVersion(message) !== undefined;
}

/** The request a `notifications/cancelled` refers to. */
export function cancelledRequest(message: JSONRPCMessage): RequestId | undefined {
  if (!isJSONRPCNotification(message) || message.method !== 'notifications/cancelled') return undefined;
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
