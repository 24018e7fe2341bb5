/**
 * The README's reference of tools, resources and prompts, rendered from the definitions themselves so the
 * documentation cannot drift from what `tools/list` says.
 */
import { ACTION_TOOLS, PROMETHEUS_TOOLS, READ_TOOLS, TOOL_NAMES } from '@podmcp/core';
import { listTools } from './mcp/server.ts';
import { PROMPTS } from './prompts/index.ts';
import { RESOURCES } from './resources/index.ts';
import { TOOL_DEFINITIONS } from './tools/catalog.ts';

interface PropertySchema {
  type?: string;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  anyOf?: PropertySchema[];
}

export function renderToolReference(): string {
  const defined = TOOL_NAMES.map((name) => TOOL_DEFINITIONS[name]).filter((tool) => tool !== undefined);
  const listed = listTools(defined);
  const sections = listed.map((tool) => {
    const kind = (ACTION_TOOLS as readonly string[]).includes(tool.name)
      ? 'action (read-write mode only)'
      : (READ_TOOLS as readonly string[]).includes(tool.name)
        ? 'read'
        : (PROMETHEUS_TOOLS as readonly string[]).includes(tool.name)
          ? 'read, when the cluster configures a Prometheus'
          : 'other';
    const properties = Object.entries((tool.inputSchema.properties ?? {}) as Record<string, PropertySchema>);
    const required = new Set((tool.inputSchema.required ?? []) as string[]);
    const rows = properties.map(
      ([name, schema]) =>
        `| \`${name}\`${required.has(name) ? ' (required)' : ''} | ${describeType(schema)} | ${oneLine(schema.description ?? '')} |`,
    );
    return [
      `#### \`${tool.name}\` — ${tool.title} (${kind})`,
      '',
      oneLine(tool.description),
      '',
      ...(rows.length > 0 ? ['| argument | type | meaning |', '|---|---|---|', ...rows] : ['No arguments.']),
    ].join('\n');
  });
  return sections.join('\n\n');
}

export function renderResourceReference(): string {
  return [
    '| URI | what it is |',
    '|---|---|',
    ...RESOURCES.map(
      (resource) =>
        `| \`${resource.uri}\` | ${oneLine(resource.description)}${resource.watch ? ' Subscribable.' : ''} |`,
    ),
  ].join('\n');
}

export function renderPromptReference(): string {
  return [
    '| prompt | arguments | what it does |',
    '|---|---|---|',
    ...PROMPTS.map(
      (prompt) =>
        `| \`${prompt.name}\` | ${
          prompt.arguments
            .map((argument) => `\`${argument.name}\`${argument.required ? ' (required)' : ''}`)
            .join(', ') || 'none'
        } | ${oneLine(prompt.description)} |`,
    ),
  ].join('\n');
}

function describeType(schema: PropertySchema): string {
  if (schema.anyOf) return schema.anyOf.map(describeType).join(' or ');
  const parts: string[] = [];
  if (schema.enum) parts.push(schema.enum.map((value) => `\`${String(value)}\``).join(', '));
  else parts.push(schema.type ?? 'any');
  if (schema.minimum !== undefined || schema.maximum !== undefined) {
    parts.push(`${schema.minimum ?? ''}–${schema.maximum ?? ''}`);
  }
  if (schema.default !== undefined) parts.push(`default \`${JSON.stringify(schema.default)}\``);
  return parts.join(', ');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
}
