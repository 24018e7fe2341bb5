/**
 * resources/list, resources/templates/list and resources/read through the gate, and a 2025 session's
 * resources/subscribe and unsubscribe on the sidecar's shared change feeds.
 */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { openCall, type Subject } from '../gate/call.ts';
import { cleanListing } from '../gate/redact.ts';
import { refusedSubject, resourceSubject } from '../gate/subjects.ts';
import { isTemplate } from '../resources/definition.ts';
import type { Redactor } from '../safety/redact.ts';
import { logOutcome } from './call-log.ts';
import { type FoundResource, findResource, listedResource, type UnreadableUri } from './listing.ts';
import { echoedUri, protocolError, type Registration, resourceNotFound } from './registration.ts';
import { type Subscriptions, watchable } from './subscriptions.ts';

export function registerResources({ server, options, catalogue, gate, context }: Registration): void {
  server.setRequestHandler('resources/list', async (_request, ctx) => {
    const serviceContext = context(ctx);
    const listed = await Promise.all(
      catalogue.resources
        .filter((resource) => isTemplate(resource) && resource.list)
        .map(async (resource) => {
          try {
            const items = cleanListing((await resource.list?.(serviceContext)) ?? [], options.services.redactor);
            return items.map((item) => ({ ...item, mimeType: resource.mimeType, description: resource.title }));
          } catch {
            // Listing is a convenience; templates still work when the API server is away.
            return [];
          }
        }),
    );
    const fixed = catalogue.resources.filter((resource) => !isTemplate(resource)).map(listedResource);
    return { resources: [...fixed, ...listed.flat()] };
  });
  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: catalogue.resources.filter(isTemplate).map((resource) => {
      const { uri, ...listed } = listedResource(resource);
      return { uriTemplate: uri, ...listed };
    }),
  }));
  server.setRequestHandler('resources/read', async (request, ctx) => {
    const { uri } = request.params;
    const { redactor } = options.services;
    const found = findResource(catalogue.resources, uri);
    const call = openCall({
      kind: 'resource',
      name: uri,
      subject: found && resourceSubjectOf(found, uri, redactor),
      unknown: `Unknown resource ${echoedUri(uri, redactor)}. List resources and templates to see what exists.`,
      arguments: undefined,
      context: context(ctx),
    });
    await gate(call);
    if (!found) throw resourceNotFound({ uri, redactor }, call.failure?.message ?? call.unknown);
    // Named by its definition, never by the URI the agent sent.
    if (!('unreadable' in found)) logOutcome(ctx, call, found.resource.name);
    if (call.failure || !call.reply || 'unreadable' in found) throw protocolError(call, { uri, redactor });
    return { contents: [{ uri, mimeType: found.resource.mimeType, text: call.reply.text }] };
  });
}

function resourceSubjectOf(found: FoundResource | UnreadableUri, uri: string, redactor: Redactor): Subject {
  if ('unreadable' in found) {
    return refusedSubject(echoedUri(uri, redactor), `This URI cannot be read: ${found.unreadable}.`);
  }
  return resourceSubject(found.resource, uri, found.variables);
}

/**
 * A 2025 session's subscriptions: each URI it subscribed holds the shared feed until it unsubscribes or the
 * session ends. (2026-07-28 clients listen instead; the transport holds those through the same feeds.)
 */
export function registerSubscriptions(
  { server, options, catalogue, context }: Registration,
  subscriptions: Subscriptions,
): void {
  const held = new Map<string, () => void>();
  server.setRequestHandler('resources/subscribe', async (request, ctx) => {
    const { uri } = request.params;
    if (held.has(uri)) return {};
    if (!watchable(catalogue.resources, uri)) {
      const named = echoedUri(uri, options.services.redactor);
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${named} does not support subscriptions.`);
    }
    const grant = await subscriptions.listen(catalogue.resources, context(ctx).caller, [uri], (changed) => {
      void server.sendResourceUpdated({ uri: changed }).catch(() => undefined);
    });
    if (grant.uris.length === 0) {
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'Watching for changes could not start; try again.');
    }
    // Two subscribes racing for one URI: the later grant is one too many.
    if (held.has(uri)) grant.release();
    else held.set(uri, () => grant.release());
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', (request) => {
    held.get(request.params.uri)?.();
    held.delete(request.params.uri);
    return {};
  });
  const previous = server.onclose;
  server.onclose = () => {
    previous?.();
    for (const release of held.values()) release();
    held.clear();
  };
}
