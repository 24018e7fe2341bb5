/**
 * What an authenticated caller sees: the catalogue narrowed to the names it may use, served by a ServerSource
 * that asks the sidecar for a server of that narrowed catalogue. auth/ knows neither the sidecar nor the MCP
 * server: it works on the shape below, which the sidecar's catalogue and the sidecar itself satisfy, and the
 * entry point hands the concrete sidecar in.
 */
import type { Caller } from '../caller.ts';
import type { ServerSource } from '../transport/seams.ts';
import { PROMPTS_NAME, RESOURCES_NAME } from './access-review.ts';

/** A catalogue as narrowing sees it: named tools, resources, prompts, and the instructions that list the tools. */
export interface NarrowableCatalogue<Tool extends { readonly name: string }, Resource, Prompt> {
  readonly tools: readonly Tool[];
  readonly resources: readonly Resource[];
  readonly prompts: readonly Prompt[];
  readonly instructions: string;
}

type Era = Parameters<ServerSource['server']>[1];
type Listen = NonNullable<ServerSource['listen']>;

/** A source of MCP servers and change feeds that can serve a narrowed catalogue. `Sidecar` satisfies it. */
export interface NarrowableSource<Tool extends { readonly name: string }, Resource, Prompt> {
  readonly catalogue: NarrowableCatalogue<Tool, Resource, Prompt>;
  server(
    caller: (authInfo: unknown) => Caller,
    era?: Era,
    catalogue?: NarrowableCatalogue<Tool, Resource, Prompt>,
  ): ReturnType<ServerSource['server']>;
  listen(
    caller: Caller,
    uris: readonly string[],
    onUpdated: (uri: string) => void,
    catalogue?: NarrowableCatalogue<Tool, Resource, Prompt>,
  ): ReturnType<Listen>;
}

/** The names (tools, `resources`, `prompts`) a caller may use, once known; what narrowing reads. */
interface WithAllowed {
  readonly allowed?: ReadonlySet<string> | undefined;
}

/** The names a catalogue can grant: its tools, and `resources`/`prompts` when it has any. */
export function grantableNames(catalogue: NarrowableCatalogue<{ readonly name: string }, unknown, unknown>): string[] {
  return [
    ...catalogue.tools.map((tool) => tool.name),
    ...(catalogue.resources.length > 0 ? [RESOURCES_NAME] : []),
    ...(catalogue.prompts.length > 0 ? [PROMPTS_NAME] : []),
  ];
}

/** The catalogue a caller sees: the tools it may use; resources and prompts only with their names. */
export function narrowCatalogue<Tool extends { readonly name: string }, Resource, Prompt>(
  catalogue: NarrowableCatalogue<Tool, Resource, Prompt>,
  allowed: ReadonlySet<string>,
): NarrowableCatalogue<Tool, Resource, Prompt> {
  const tools = catalogue.tools.filter((tool) => allowed.has(tool.name));
  return {
    tools,
    resources: allowed.has(RESOURCES_NAME) ? catalogue.resources : [],
    prompts: allowed.has(PROMPTS_NAME) ? catalogue.prompts : [],
    instructions: catalogue.instructions.replace(
      /^Tools: .*$/m,
      `Tools you may use: ${tools.map((tool) => tool.name).join(', ') || 'none'}.`,
    ),
  };
}

/** Serves each request, and each listen, from the catalogue narrowed to what its caller may use. */
export function restrictTo<Tool extends { readonly name: string }, Resource, Prompt>(
  sidecar: NarrowableSource<Tool, Resource, Prompt>,
): ServerSource {
  const narrowedFor = (caller: Caller) => {
    const allowed = (caller as WithAllowed).allowed;
    return allowed ? narrowCatalogue(sidecar.catalogue, allowed) : undefined;
  };
  return {
    server: (callerOf, era) => sidecar.server(callerOf, era, narrowedFor(callerOf(undefined))),
    // A caller without the resources grant watches nothing: its narrowed catalogue has no resources.
    listen: (caller, uris, onUpdated) => sidecar.listen(caller, uris, onUpdated, narrowedFor(caller)),
    // A session's server serves the catalogue narrowed when it started: once the caller's grants differ, it
    // must start again rather than keep serving what was revoked (or hide what was granted).
    stillServes(creator, current) {
      const now = (current as WithAllowed).allowed;
      if (now === undefined) return true;
      const then = (creator as WithAllowed).allowed;
      return then !== undefined && then.size === now.size && [...now].every((name) => then.has(name));
    },
  };
}
