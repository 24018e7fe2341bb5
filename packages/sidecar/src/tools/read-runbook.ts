/**
 * read_runbook: the team's own runbooks, kept as Markdown in the ConfigMap the workload names with
 * podmcp.dev/runbooks (one runbook per key). Without a name it lists them by title; with a name it returns
 * one, in byte-capped parts.
 */
import { annotationKey } from '@podmcp/core';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { formatBytes } from '../format/objects.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError, isNotFound } from '../kube/errors.ts';
import { isSecretName, REDACTED, redactShapes } from '../safety/redact.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { defineTool } from './definition.ts';

const PART_BYTES = 16 * 1024;
const MAX_LISTED = 100;
const TITLE_MAX = 120;

const input = z
  .object({
    name: boundedText(253, 1).optional().describe('Runbook key.'),
    offset: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024)
      .default(0)
      .describe('next_offset of the previous part.'),
  })
  .strict();

const output = z.object({
  config_map: z.string(),
  runbooks: z.array(z.object({ name: z.string(), title: z.string(), size: z.string() })).optional(),
  name: z.string().optional(),
  markdown: z.string().optional(),
  bytes: z.number().optional(),
  next_offset: z.number().optional(),
  note: z.string().optional(),
});

export const readRunbook = defineTool({
  name: 'read_runbook',
  title: 'Read a runbook',
  description:
    "The team's runbooks for this workload: without name a list with titles, with name one runbook (long ones in parts).",
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const configMap = await readRunbooks(context);
    const runbooks = configMap.data;
    const keys = Object.keys(runbooks).sort();
    if (args.name === undefined) {
      const listed = keys.slice(0, MAX_LISTED).map((key) => ({
        name: key,
        title: titleOf(runbooks[key] ?? '') || '(no heading)',
        size: formatBytes(Buffer.byteLength(runbooks[key] ?? '')),
      }));
      const notes: string[] = [];
      if (keys.length === 0) {
        notes.push(`ConfigMap ${configMap.name} has no runbooks yet: add one Markdown runbook per key.`);
      }
      if (keys.length > MAX_LISTED) notes.push(`${keys.length - MAX_LISTED} more runbooks not listed.`);
      return {
        config_map: configMap.name,
        runbooks: listed,
        ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
      };
    }
    const key = findKey(keys, args.name);
    if (key === undefined) {
      const existing = keys
        .slice(0, 30)
        .map((item) => `${item} (${titleOf(runbooks[item] ?? '') || 'no heading'})`)
        .join(', ');
      throw new ToolFailure(
        `There is no runbook "${args.name}" in ConfigMap ${configMap.name}. ${keys.length > 0 ? `Runbooks: ${existing}${keys.length > 30 ? ', …' : ''}.` : 'It has no runbooks yet.'}`,
        'not-found',
      );
    }
    const text = runbooks[key] ?? '';
    const total = Buffer.byteLength(text);
    if (args.offset > 0 && args.offset >= total) {
      throw new ToolFailure(`offset ${args.offset} is past the end of runbook ${key} (${total} bytes).`, 'invalid');
    }
    const part = slicePart(text, args.offset, PART_BYTES);
    return {
      config_map: configMap.name,
      name: key,
      markdown: part.text,
      bytes: total,
      ...(part.next !== undefined ? { next_offset: part.next } : {}),
    };
  },
  render(result) {
    if (result.runbooks) {
      const lines = [`${result.runbooks.length} runbook(s) in ConfigMap ${result.config_map}:`];
      for (const runbook of result.runbooks) lines.push(`- ${runbook.name}: ${runbook.title} (${runbook.size})`);
      if (result.note) lines.push(result.note);
      return lines.join('\n');
    }
    const continued =
      result.next_offset !== undefined ? `\nContinues: call again with offset ${result.next_offset}.` : '';
    return `Runbook ${result.name ?? ''} (ConfigMap ${result.config_map}, ${formatBytes(result.bytes ?? 0)}):\n${frameUntrusted(`runbook ${result.name ?? ''}`, result.markdown ?? '')}${continued}`;
  },
});

async function readRunbooks(context: ToolContext): Promise<{ name: string; data: Record<string, string> }> {
  const name = context.settings.runbooks;
  if (!name) {
    throw new ToolFailure(
      `No runbooks are configured for this workload. To add them, create a ConfigMap in namespace ${context.kube.namespace} with one Markdown runbook per key (e.g. kubectl create configmap web-runbooks --from-file=runbooks/) and set the pod-template annotation ${annotationKey('runbooks')}: <configmap-name>.`,
      'not-found',
    );
  }
  try {
    const configMap = await context.kube.configMaps.read(name);
    // A value under a credential's name is no runbook: its title and its text would show the credential.
    const data = Object.entries(configMap.data ?? {}).map(([key, value]) => [
      key,
      isSecretName(key) ? REDACTED : value,
    ]);
    return { name, data: Object.fromEntries(data) };
  } catch (error) {
    if (isNotFound(error)) {
      throw new ToolFailure(
        `The runbooks ConfigMap "${name}" (named by ${annotationKey('runbooks')}) does not exist in namespace ${context.kube.namespace}. Create it with one Markdown runbook per key, or correct the annotation.`,
        'not-found',
      );
    }
    throw describeKubeError(error, `ConfigMap "${name}"`);
  }
}

/** Exact key first, then without the ".md" the agent left out, then ignoring case. */
function findKey(keys: readonly string[], wanted: string): string | undefined {
  return (
    keys.find((key) => key === wanted) ??
    keys.find((key) => key === `${wanted}.md` || key === `${wanted}.markdown`) ??
    keys.find((key) => key.toLowerCase() === wanted.toLowerCase() || key.toLowerCase() === `${wanted.toLowerCase()}.md`)
  );
}

/** The first Markdown heading, else the first non-empty line. */
function titleOf(markdown: string): string {
  const lines = markdown.split('\n').map((line) => line.trim());
  const heading = lines.find((line) => /^#{1,6}\s/.test(line));
  const line = (heading ? heading.replace(/^#{1,6}\s+/, '') : lines.find((item) => item !== '')) ?? '';
  // Redacted before the cut, which could otherwise fall inside a credential and leave a fragment.
  const title = redactShapes(line);
  return title.length <= TITLE_MAX ? title : `${title.slice(0, TITLE_MAX - 1)}…`;
}

/**
 * Up to `maxBytes` from byte `offset`, ending at a line break when one is in the last quarter (so a part does
 * not stop mid-sentence), never inside a UTF-8 character.
 */
function slicePart(text: string, offset: number, maxBytes: number): { text: string; next?: number } {
  const buffer = Buffer.from(text);
  let start = offset;
  while (start < buffer.length && ((buffer[start] ?? 0) & 0xc0) === 0x80) start += 1;
  if (buffer.length - start <= maxBytes) return { text: buffer.subarray(start).toString() };
  let end = start + maxBytes;
  const newline = buffer.lastIndexOf(0x0a, end - 1);
  if (newline > start + (maxBytes * 3) / 4) end = newline + 1;
  while (end > start && ((buffer[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: buffer.subarray(start, end).toString(), next: end };
}
