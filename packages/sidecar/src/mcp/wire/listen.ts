/**
 * A 2026-07-28 `subscriptions/listen` request as plain JSON: which resource URIs it asks to hear about, and the
 * same request asking for fewer. The transports narrow the request before the SDK acknowledges it, so the
 * acknowledgement lists only what the caller was granted and never echoes a URI it may not watch.
 */
import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';

/** What a listen holds while its stream is open (mcp/subscriptions.ts grants it). */
export interface HeldListen {
  readonly uris: readonly string[];
  release(): void;
}

/** Grants a listen the subset of `uris` its caller may watch, calling `updated` on each change. */
export type ListenOpener = (uris: readonly string[], updated: (uri: string) => void) => Promise<HeldListen>;

interface ListenRequest {
  readonly method: 'subscriptions/listen';
  readonly id: string | number;
  readonly params?: { readonly notifications?: { readonly resourceSubscriptions?: unknown } };
}

/** A JSON-RPC `subscriptions/listen` request (era not checked). */
export function isListenRequest(message: unknown): message is ListenRequest {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const { method, id } = message as { method?: unknown; id?: unknown };
  return method === 'subscriptions/listen' && (typeof id === 'string' || typeof id === 'number');
}

/** Whether a request claims a protocol revision in its `_meta` (the 2026-07-28 envelope). */
export function claimsModernEra(message: unknown): boolean {
  const params = (message as { params?: { _meta?: Record<string, unknown> } } | null)?.params;
  return typeof params?._meta?.[PROTOCOL_VERSION_META_KEY] === 'string';
}

/** The resource URIs a listen request asks for; undefined when it asks for none (nothing to narrow). */
export function listenedUris(message: ListenRequest): readonly string[] | undefined {
  const wanted = message.params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(wanted)) return undefined;
  return wanted.filter((uri): uri is string => typeof uri === 'string');
}

/** The same listen request asking only for `uris`. */
export function narrowListen<T extends ListenRequest>(message: T, uris: readonly string[]): T {
  const params = message.params ?? {};
  return {
    ...message,
    params: { ...params, notifications: { ...params.notifications, resourceSubscriptions: [...uris] } },
  };
}
