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

/**
 * A caller holds at most this share of the open listens (1/LISTEN_SHARE of the bound): one agent that listens in
 * a loop cannot take every place from the others.
 */
export const LISTEN_SHARE = 4;
/** Open listens end only when their clients go: a refused one is worth trying again well later. */
export const LISTEN_RETRY_SECONDS = 30;

export interface ListenBounds {
  /** Open listens at most, over every caller. */
  readonly max: number;
  /** Open listens one caller may hold; max / LISTEN_SHARE (at least 1) unless given. */
  readonly perCaller?: number;
}

export type ListenPlace =
  | { readonly taken: true; readonly release: () => void }
  | { readonly taken: false; readonly reason: 'caller' | 'sidecar'; readonly limit: number };

/** The places of open listens: taken before a listen is served, given back (once) whenever it ends. */
export interface ListenPlaces {
  take(owner: string): ListenPlace;
  open(): number;
}

export function createListenPlaces(bounds: ListenBounds): ListenPlaces {
  const max = Math.max(1, bounds.max);
  const perCaller = Math.max(1, bounds.perCaller ?? Math.floor(max / LISTEN_SHARE));
  const held = new Map<string, number>();
  let open = 0;
  return {
    take(owner) {
      const mine = held.get(owner) ?? 0;
      if (mine >= perCaller) return { taken: false, reason: 'caller', limit: perCaller };
      if (open >= max) return { taken: false, reason: 'sidecar', limit: max };
      open += 1;
      held.set(owner, mine + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        open -= 1;
        const left = (held.get(owner) ?? 1) - 1;
        if (left <= 0) held.delete(owner);
        else held.set(owner, left);
      };
      return { taken: true, release };
    },
    open: () => open,
  };
}

/** Why a listen was refused, for its JSON-RPC error. */
export function listenRefusal(place: Extract<ListenPlace, { taken: false }>): string {
  const whose = place.reason === 'caller' ? 'this caller has' : 'the sidecar has';
  return `Too many open listens: ${whose} ${place.limit} open. End one, or retry after ${LISTEN_RETRY_SECONDS} s.`;
}
