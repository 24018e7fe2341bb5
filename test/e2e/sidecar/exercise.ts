/**
 * Calls everything a sidecar offers — every tool with argument variants derived from its input schema, every
 * resource (fixed, listed and template-expanded), every prompt — and collects every answer, errors included.
 * The canary and namespace-lock suites use it so that a tool added later is covered without editing them.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

export interface Answer {
  readonly what: string;
  readonly text: string;
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
      const result = await client.callTool({ name: tool.name, arguments: args }).catch((error: Error) => ({
        content: [{ type: 'text', text: `protocol error: ${error.message}` }],
      }));
      answers.push({ what: `${tool.name} ${JSON.stringify(args)}`, text: JSON.stringify(result) });
    }
  }
  const uris = new Set<string>();
  const { resources } = await client.listResources().catch(() => ({ resources: [] as Array<{ uri: string }> }));
  for (const resource of resources) uris.add(resource.uri);
  const { resourceTemplates } = await client
    .listResourceTemplates()
    .catch(() => ({ resourceTemplates: [] as Array<{ uriTemplate: string }> }));
  for (const template of resourceTemplates) {
    for (const name of vocabulary.names) uris.add(template.uriTemplate.replace(/\{[^}]+\}/g, name));
  }
  for (const uri of uris) {
    const result = await client.readResource({ uri }).catch((error: Error) => ({ error: error.message }));
    answers.push({ what: `resource ${uri}`, text: JSON.stringify(result) });
  }
  const { prompts } = await client
    .listPrompts()
    .catch(() => ({ prompts: [] as Array<{ name: string; arguments?: Array<{ name: string; required?: boolean }> }> }));
  for (const prompt of prompts) {
    const variants: Array<Record<string, string>> = [{}];
    for (const argument of prompt.arguments ?? []) {
      for (const name of vocabulary.names) variants.push({ [argument.name]: name });
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
 * No arguments; each enum value of each enum property; each vocabulary name in each string property; and
 * booleans switched on one at a time (previous logs, problems only, …). Required `reason` fields are filled so
 * actions reach their dry run.
 */
export function argumentVariants(
  schema: { properties?: Record<string, JsonSchemaProperty>; required?: readonly string[] },
  vocabulary: Vocabulary,
): Array<Record<string, unknown>> {
  const base: Record<string, unknown> = {};
  if (schema.required?.includes('reason') || schema.properties?.reason) base.reason = 'exercising every tool in a test';
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
