/**
 * Where a tool's structured content holds text from the cluster (logs, messages, annotations, runbooks, app
 * bodies, series labels): the same text its rendering frames as untrusted. The exit lists these in the
 * answer's `_meta` with the nonce of its frames, so a client that shows structured content to a model can
 * frame these fields too. A pointer names a subtree: every string under it came from the cluster.
 */
import type { ToolName } from '@podmcp/core';

export const UNTRUSTED_FIELDS: Readonly<Partial<Record<ToolName, readonly string[]>>> = {
  diagnose: ['/findings', '/rollout', '/pods', '/events'],
  get_pod_logs: ['/lines'],
  list_events: ['/events'],
  get_resources: ['/object', '/summary', '/items'],
  inspect_app: ['/health/body', '/metrics/families'],
  read_runbook: ['/markdown'],
  query_metrics: ['/series'],
};

/** The `_meta` key of an answer's untrusted fields (MCP allows prefixed keys in a result's `_meta`). */
export const UNTRUSTED_META_KEY = 'podmcp.dev/untrusted';

export interface UntrustedMeta {
  /** The nonce in this answer's frame markers. */
  readonly nonce: string;
  /** JSON pointers (RFC 6901) into structuredContent: every string under each came from the cluster. */
  readonly fields: readonly string[];
}

/** The value at a JSON pointer, or undefined where there is none. */
export function resolvePointer(value: unknown, pointer: string): unknown {
  let current = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
