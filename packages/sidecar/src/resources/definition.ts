/**
 * A resource is addressable, read-only data: a fixed URI (`podmcp://self`) or an RFC 6570 template
 * (`podmcp://pods/{name}/logs`) with completion for its variables. Plain data plus handlers, like tools.
 */
import type { SidecarSettings, ToolName } from '@podmcp/core';
import type { ServiceContext } from '../context.ts';

export interface ResourceDefinition {
  /** A fixed URI, or a template with `{variables}`. */
  readonly uri: string;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly mimeType: 'text/markdown' | 'application/json' | 'text/plain';
  /** The tool whose data this resource shows: offered only where the workload enabled that tool. */
  readonly requires?: ToolName;
  /** Offered only when the workload configured what it needs (runbooks, app metrics). */
  readonly when?: (settings: SidecarSettings) => boolean;
  /** Concrete URIs for a template, listed in resources/list (keep it short). */
  readonly list?: (context: ServiceContext) => Promise<ReadonlyArray<{ uri: string; name: string }>>;
  /** Completion of a template variable from what exists in the namespace. */
  readonly complete?: Readonly<Record<string, (prefix: string, context: ServiceContext) => Promise<string[]>>>;
  readonly read: (variables: Readonly<Record<string, string>>, context: ServiceContext) => Promise<string>;
  /**
   * Optional change feed for resources/subscribe: starts a namespace-scoped watch that calls `changed`, and
   * returns the function that stops it. Started only while someone is subscribed.
   */
  readonly watch?: (
    variables: Readonly<Record<string, string>>,
    context: ServiceContext,
    changed: () => void,
  ) => Promise<() => void>;
}

export function isTemplate(resource: ResourceDefinition): boolean {
  return resource.uri.includes('{');
}
