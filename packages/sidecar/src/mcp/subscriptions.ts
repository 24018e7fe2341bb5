/**
 * Change notifications for both eras from one set of watches: a 2025 client's resources/subscribe and a
 * 2026-07-28 client's subscriptions/listen hold the same refcounted, namespace-scoped feed per URI (see
 * resources/watch-registry.ts). A caller only ever holds URIs its own catalogue can watch; anything else it
 * names is dropped without a word, so a listen's acknowledgement never tells a caller what exists beyond it.
 */
import type { Caller } from '../caller.ts';
import { contextFor, type SidecarServices } from '../context.ts';
import type { ResourceDefinition } from '../resources/definition.ts';
import { createWatchRegistry, type WatchRegistry } from '../resources/watch-registry.ts';
import { findResource } from './listing.ts';

/** What a listen holds: the URIs it was granted (a subset of those asked), until release(). */
export interface ListenGrant {
  readonly uris: readonly string[];
  release(): void;
}

export interface Subscriptions {
  /**
   * Holds a feed for each of `uris` that `resources` (the caller's catalogue) can watch, calling `onUpdated`
   * with the URI on every change; the rest are left out of the grant.
   */
  listen(
    resources: readonly ResourceDefinition[],
    caller: Caller,
    uris: readonly string[],
    onUpdated: (uri: string) => void,
  ): Promise<ListenGrant>;
  /** The URIs watched right now, by anyone. */
  watched(): string[];
}

/**
 * The feeds run on behalf of the sidecar, not of whoever happened to listen first: they outlive that caller
 * while others still hold them.
 */
const FEED_CALLER: Caller = { id: 'podmcp change feed', transport: 'in-memory' };

/** The subscriptions of one sidecar; `resources` is its whole catalogue, which every caller's is a part of. */
export function createSubscriptions(
  services: SidecarServices,
  resources: readonly ResourceDefinition[],
): Subscriptions {
  const registry = createWatchRegistry(async (uri, changed) => {
    const found = watchable(resources, uri);
    if (!found) throw new Error(`${uri} cannot be watched.`);
    // Never aborted: the registry stops the feed when its last holder leaves.
    const context = contextFor(services, FEED_CALLER, new AbortController().signal);
    return found.watch(found.variables, context, changed);
  });
  return {
    listen: (callerResources, _caller, uris, onUpdated) => hold(registry, callerResources, uris, onUpdated),
    watched: () => registry.watched(),
  };
}

async function hold(
  registry: WatchRegistry,
  resources: readonly ResourceDefinition[],
  uris: readonly string[],
  onUpdated: (uri: string) => void,
): Promise<ListenGrant> {
  const wanted = [...new Set(uris)].filter((uri) => watchable(resources, uri));
  const held = await Promise.allSettled(wanted.map((uri) => registry.acquire(uri, () => onUpdated(uri))));
  const granted: string[] = [];
  const releases: Array<() => void> = [];
  held.forEach((outcome, index) => {
    const uri = wanted[index];
    if (outcome.status === 'fulfilled' && uri !== undefined) {
      granted.push(uri);
      releases.push(outcome.value);
    }
  });
  let released = false;
  return {
    uris: granted,
    release() {
      if (released) return;
      released = true;
      for (const release of releases) release();
    },
  };
}

interface Watchable {
  readonly watch: NonNullable<ResourceDefinition['watch']>;
  readonly variables: Readonly<Record<string, string>>;
}

/** The feed behind a URI, when the resources hold one that names it exactly and can be watched. */
export function watchable(resources: readonly ResourceDefinition[], uri: string): Watchable | undefined {
  const found = findResource(resources, uri);
  if (!found || 'unreadable' in found || !found.resource.watch) return undefined;
  return { watch: found.resource.watch, variables: found.variables };
}
