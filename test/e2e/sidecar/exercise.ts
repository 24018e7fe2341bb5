/**
 * Calls everything a sidecar offers — every tool with argument variants derived from its input schema, every
 * resource (fixed, listed and template-expanded), every prompt — and collects every answer, errors included.
 * The canary and namespace-lock suites use it so that a tool added later is covered without editing them.
 */
import type { Client } from '@modelcontextprotocol/client';

export interface Answer {
  readonly what: string;
  readonly text: string;
  /** For a resource read: the template it expanded (absent for fixed and listed resources), and whether it answered. */
  readonly template?: string;
  readonly ok?: boolean;
}

interface JsonSchemaProperty {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchemaProperty[];
}

/** Names to try for string arguments (pods, workloads, ConfigMaps, runbooks, …). */
export interface Vocabulary {
  readonly names: readonly string[];
}

export async function exerciseEverything(client: Client, vocabulary: Vocabulary): Promise<Answer[]> {
  const answers: Answer[] = [];
  const { tools } = await client.listTools();
  for (const tool of tools) {
    for (const args of argumentVariants(
      tool.inputSchema as { properties?: Record<string, JsonSchemaProperty> },
      vocabulary,
    )) {
      const result = await callPaced(client, tool.name, args);
      answers.push({ what: `${tool.name} ${JSON.stringify(args)}`, text: JSON.stringify(result) });
    }
  }
  const uris = new Map<string, string | undefined>();
  const { resources } = await client.listResources().catch(() => ({ resources: [] as Array<{ uri: string }> }));
  for (const resource of resources) uris.set(resource.uri, undefined);
  const { resourceTemplates } = await client
    .listResourceTemplates()
    .catch(() => ({ resourceTemplates: [] as Array<{ uriTemplate: string }> }));
  for (const template of resourceTemplates) {
    for (const uri of await templateUris(client, template.uriTemplate, vocabulary)) uris.set(uri, template.uriTemplate);
  }
  for (const [uri, template] of uris) {
    const result = await client.readResource({ uri }).catch((error: Error) => ({ error: error.message }));
    const ok = !('error' in result);
    answers.push({ what: `resource ${uri}`, text: JSON.stringify(result), ok, ...(template ? { template } : {}) });
  }
  const { prompts } = await client
    .listPrompts()
    .catch(() => ({ prompts: [] as Array<{ name: string; arguments?: Array<{ name: string; required?: boolean }> }> }));
  for (const prompt of prompts) {
    const variants: Array<Record<string, string>> = [{}];
    for (const argument of prompt.arguments ?? []) {
      const completed = await client
        .complete({ ref: { type: 'ref/prompt', name: prompt.name }, argument: { name: argument.name, value: '' } })
        .then((answer) => answer.completion.values.slice(0, 8))
        .catch(() => [] as string[]);
      for (const name of new Set([...completed, ...vocabulary.names])) variants.push({ [argument.name]: name });
    }
    for (const args of variants) {
      const result = await client
        .getPrompt({ name: prompt.name, arguments: args })
        .catch((error: Error) => ({ error: error.message }));
      answers.push({ what: `prompt ${prompt.name} ${JSON.stringify(args)}`, text: JSON.stringify(result) });
    }
  }
  return answers;
}

/**
 * A tool call, waited for again when the rate limit refused it: thousands of calls in a row exceed its burst,
 * and a refusal would stand in for the answer the suites mean to inspect.
 */
export async function callPaced(client: Client, name: string, args: Record<string, unknown>): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const result = await client.callTool({ name, arguments: args }).catch((error: Error) => ({
      content: [{ type: 'text', text: `protocol error: ${error.message}` }],
    }));
    if (attempt === 5 || !JSON.stringify(result).includes('Rate limit reached')) return result;
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
}

/**
 * A template's URIs: each variable takes the values the server completes it with (a kind it serves, the pods
 * that exist), so every template is read with valid arguments, and each vocabulary name, so unknown ones are too.
 */
export async function templateUris(client: Client, uriTemplate: string, vocabulary: Vocabulary): Promise<string[]> {
  let uris = [uriTemplate];
  for (const [placeholder, variable = ''] of uriTemplate.matchAll(/\{([^}]+)\}/g)) {
    const completed = await client
      .complete({ ref: { type: 'ref/resource', uri: uriTemplate }, argument: { name: variable, value: '' } })
      .then((answer) => answer.completion.values.slice(0, 8))
      .catch(() => [] as string[]);
    const values = [...new Set([...completed, ...vocabulary.names])];
    uris = uris.flatMap((uri) => values.map((value) => uri.replace(placeholder, value)));
  }
  return uris;
}

/**
 * No arguments; each enum value of each enum property; each vocabulary name in each string property; and
 * booleans switched on one at a time (previous logs, problems only, …). Required `reason` fields are filled so
 * actions reach their dry run.
 */
export function argumentVariants(
  schema: { properties?: Record<string, JsonSchemaProperty>; required?: readonly string[] },
  vocabulary: Vocabulary,
): Array<Record<string, unknown>> {
  const base: Record<string, unknown> = {};
  // Actions take a reason; list_events' reason is an event reason to filter by, left to the variants below.
  if (schema.required?.includes('reason') || (schema.properties?.reason && schema.properties?.dry_run))
    base.reason = 'exercising every tool in a test';
  if (schema.properties?.dry_run) base.dry_run = true;
  const variants: Array<Record<string, unknown>> = [{ ...base }];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (name === 'reason' || name === 'dry_run' || name === 'cursor') continue;
    const options = property.enum ?? property.anyOf?.flatMap((option) => option.enum ?? []) ?? [];
    for (const value of options) variants.push({ ...base, [name]: value });
    const type = property.type ?? property.anyOf?.find((option) => option.type)?.type;
    if (type === 'string' && options.length === 0) {
      for (const word of vocabulary.names) variants.push({ ...base, [name]: word });
    }
    if (type === 'boolean') variants.push({ ...base, [name]: true });
  }
  // An enum picks what (a kind, an aspect) and a string names which: try each pairing too.
  const properties = Object.entries(schema.properties ?? {});
  const enums = properties.filter(
    ([, property]) => (property.enum ?? property.anyOf?.some((o) => o.enum)) !== undefined,
  );
  const strings = properties.filter(
    ([name, property]) => name !== 'reason' && name !== 'cursor' && property.type === 'string' && !property.enum,
  );
  for (const [enumName, property] of enums) {
    const options = property.enum ?? property.anyOf?.flatMap((option) => option.enum ?? []) ?? [];
    for (const value of options) {
      for (const [stringName] of strings) {
        for (const word of vocabulary.names) variants.push({ ...base, [enumName]: value, [stringName]: word });
      }
    }
  }
  return variants;
}
