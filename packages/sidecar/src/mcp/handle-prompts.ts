/** prompts/list, prompts/get through the gate, and completion/complete for prompt and template arguments. */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { clip } from '../gate/budget.ts';
import { openCall } from '../gate/call.ts';
import { cleanListing } from '../gate/redact.ts';
import { promptSubject } from '../gate/subjects.ts';
import { logOutcome } from './call-log.ts';
import { ECHOED_NAME_CHARS, protocolError, type Registration } from './registration.ts';

/** Completion answers at most this many values (the spec's own cap). */
const MAX_COMPLETIONS = 100;

export function registerPrompts({ server, catalogue, gate, context }: Registration): void {
  const promptsByName = new Map(catalogue.prompts.map((prompt) => [prompt.name, prompt]));
  server.setRequestHandler('prompts/list', () => ({
    prompts: catalogue.prompts.map((prompt) => ({
      name: prompt.name,
      title: prompt.title,
      description: prompt.description,
      arguments: prompt.arguments.map((argument) => ({ ...argument })),
    })),
  }));
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const { name } = request.params;
    const prompt = promptsByName.get(name);
    const call = openCall({
      kind: 'prompt',
      name,
      subject: prompt && promptSubject(prompt),
      unknown: `Unknown prompt ${clip(name, ECHOED_NAME_CHARS)}. Available: ${[...promptsByName.keys()].join(', ')}`,
      arguments: request.params.arguments ?? {},
      context: context(ctx),
    });
    await gate(call);
    if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, call.failure?.message ?? call.unknown);
    logOutcome(ctx, call, prompt.name);
    if (call.failure || !call.reply) throw protocolError(call);
    return {
      description: prompt.description,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: call.reply.text } }],
    };
  });
}

export function registerCompletion({ server, options, catalogue, context }: Registration): void {
  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const { ref, argument } = request.params;
    const completer =
      ref.type === 'ref/prompt'
        ? catalogue.prompts.find((prompt) => prompt.name === ref.name)?.complete?.[argument.name]
        : catalogue.resources.find((resource) => resource.uri === ref.uri)?.complete?.[argument.name];
    let values: string[] = [];
    if (completer) {
      try {
        values = cleanListing(await completer(argument.value, context(ctx)), options.services.redactor);
      } catch {
        values = [];
      }
    }
    const matching = values.filter((value) => value.startsWith(argument.value));
    return {
      completion: {
        values: matching.slice(0, MAX_COMPLETIONS),
        total: matching.length,
        hasMore: matching.length > MAX_COMPLETIONS,
      },
    };
  });
}
