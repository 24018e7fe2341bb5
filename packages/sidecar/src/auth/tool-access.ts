/**
 * Authorization of an authenticated caller for one JSON-RPC message (or batch): a tools/call needs `use` of
 * that tool; every other method needs the whole set of names the caller may use, so the catalogue can be
 * narrowed to it (none at all is a 403). Each answer is a SubjectAccessReview, cached; a tools/call refused
 * here is audited (outcome `refused`, error `forbidden`).
 */
import type { Logger } from 'pino';
import type { AuditLog } from '../governance/audit.ts';
import type { Authorize } from '../transport/seams.ts';
import { type AccessVerdict, PROMPTS_NAME, RESOURCES_NAME, reviewAccess } from './access-review.ts';
import type { AuthenticatedCaller } from './bearer.ts';
import { hashKey, type ReviewCache } from './cache.ts';
import { forbidden, unavailable } from './refusals.ts';
import type { CallerIdentity, ReviewClient } from './token-review.ts';

export interface ToolAccessOptions {
  readonly reviews: ReviewClient;
  readonly namespace: string;
  /** Every name that can be granted: the enabled tools, plus `resources` and `prompts` when there are any. */
  readonly names: readonly string[];
  readonly logger: Logger;
  readonly audit?: AuditLog | undefined;
  readonly access: ReviewCache<AccessVerdict>;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

export function toolAccessAuthorize(options: ToolAccessOptions): Authorize {
  const { namespace, logger } = options;
  const toolNames = new Set(options.names.filter((name) => name !== RESOURCES_NAME && name !== PROMPTS_NAME));
  return async (caller, body, request) => {
    const identity = (caller as Partial<AuthenticatedCaller>).identity;
    if (!identity) return caller;
    const { called, needsAll } = namesAsked(body, toolNames);
    for (const tool of called) {
      if (await mayUse(options, identity, tool)) continue;
      options.audit?.record({
        kind: 'tool',
        name: tool,
        caller: identity.username,
        transport: 'http',
        outcome: 'refused',
        error: 'forbidden',
        durationMs: 0,
        bytes: 0,
      });
      throw forbidden(logger, request, namespace, identity, [tool]);
    }
    if (!needsAll) return caller;
    const verdicts = await Promise.all(
      options.names.map(async (name) => [name, await mayUse(options, identity, name)] as const),
    );
    const allowed = new Set(verdicts.filter(([, ok]) => ok).map(([name]) => name));
    if (allowed.size === 0) throw forbidden(logger, request, namespace, identity, []);
    return { ...caller, identity, allowed } satisfies AuthenticatedCaller;
  };
}

/** The tools a message or batch calls, and whether anything in it needs the whole set of names. */
function namesAsked(body: unknown, toolNames: ReadonlySet<string>): { called: Set<string>; needsAll: boolean } {
  const messages = Array.isArray(body) ? body : [body];
  let needsAll = false;
  const called = new Set<string>();
  for (const message of messages) {
    const { method, params } = (typeof message === 'object' && message !== null ? message : {}) as {
      method?: unknown;
      params?: { name?: unknown };
    };
    const tool = params?.name;
    if (method === 'tools/call' && typeof tool === 'string' && toolNames.has(tool)) called.add(tool);
    else needsAll = true;
  }
  return { called, needsAll };
}

/** The cached verdict on `identity` using `name`; a 503 when the review cannot be made. */
async function mayUse(options: ToolAccessOptions, identity: CallerIdentity, name: string): Promise<boolean> {
  const key = hashKey(
    'access',
    identity.username,
    identity.uid ?? '',
    JSON.stringify([...identity.groups].sort()),
    JSON.stringify(identity.extra ?? {}),
    name,
  );
  try {
    const verdict = await options.access.get(
      key,
      () => reviewAccess(options.reviews, identity, options.namespace, name),
      (value) => (value.allowed ? options.ttlMs : options.negativeTtlMs),
    );
    return verdict.allowed;
  } catch (error) {
    throw unavailable(options.logger, error, 'check what callers may use');
  }
}
