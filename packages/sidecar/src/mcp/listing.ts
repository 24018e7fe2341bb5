/**
 * What tools/list and resources/templates/list show, built once per definition rather than once per server: a
 * stateless HTTP sidecar creates a server for every request, and converting twelve zod schemas each time cost
 * CPU and garbage under load.
 */
import { UriTemplate } from '@modelcontextprotocol/server';
import type { ToolHints } from '../hints.ts';
import { isTemplate, type ResourceDefinition } from '../resources/definition.ts';
import type { ToolDefinition } from '../tools/definition.ts';
import { listedSchema } from '../tools/listed-schemas.ts';

const listings = new WeakMap<ToolDefinition, ToolListing>();

type ToolListing = ReturnType<typeof listingOf>;

function listingOf(tool: ToolDefinition) {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: listedSchema(tool.input, 'input'),
    outputSchema: listedSchema(tool.output, 'output'),
    annotations: listedHints(tool.hints),
  };
}

/**
 * The hints a client needs, once: the title is the listing's own `title`, and the spec gives the destructive
 * and idempotent hints meaning only for a tool that is not read-only — every tools/list costs a model tokens.
 */
function listedHints(hints: ToolHints): Partial<ToolHints> {
  if (!hints.readOnlyHint) return hints;
  return { readOnlyHint: true, openWorldHint: hints.openWorldHint };
}

export function listTools(tools: readonly ToolDefinition[]): ToolListing[] {
  return tools.map((tool) => {
    let listing = listings.get(tool);
    if (!listing) {
      listing = listingOf(tool);
      listings.set(tool, listing);
    }
    return listing;
  });
}

const uriTemplates = new WeakMap<ResourceDefinition, UriTemplate>();

function templateOf(resource: ResourceDefinition): UriTemplate {
  let template = uriTemplates.get(resource);
  if (!template) {
    template = new UriTemplate(resource.uri);
    uriTemplates.set(resource, template);
  }
  return template;
}

export interface FoundResource {
  readonly resource: ResourceDefinition;
  readonly variables: Readonly<Record<string, string>>;
}

/** A URI no template can even be matched against (the SDK's matcher refuses it, e.g. over 1 MB). */
export interface UnreadableUri {
  readonly unreadable: string;
}

/**
 * The resource a URI names: a fixed URI exactly, or the first template that matches it; undefined when none
 * does, and why when the URI cannot be matched at all.
 */
export function findResource(
  resources: readonly ResourceDefinition[],
  uri: string,
): FoundResource | UnreadableUri | undefined {
  try {
    return matchResource(resources, uri);
  } catch (error) {
    return { unreadable: error instanceof Error ? error.message : String(error) };
  }
}

function matchResource(resources: readonly ResourceDefinition[], uri: string): FoundResource | undefined {
  for (const resource of resources) {
    if (!isTemplate(resource)) {
      if (resource.uri === uri) return { resource, variables: {} };
      continue;
    }
    const match = templateOf(resource).match(uri);
    if (match) {
      const variables = Object.fromEntries(
        Object.entries(match).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]),
      );
      return { resource, variables };
    }
  }
  return undefined;
}

export function listedResource(resource: ResourceDefinition) {
  return {
    uri: resource.uri,
    name: resource.name,
    title: resource.title,
    description: resource.description,
    mimeType: resource.mimeType,
  };
}
