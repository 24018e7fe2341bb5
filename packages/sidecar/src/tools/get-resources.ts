/**
 * get_resources: the generic get/list for the namespace's other kinds — compact per-kind rows for a list, the
 * stripped object for one name. Which kinds exist and how each is read lives in kube/resource-kinds.ts, how each
 * is shown in format/resource-rows.ts.
 */
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import { ToolFailure } from '../failure.ts';
import { capConfigMapData, type JsonObject, type Summary, stripObject } from '../format/objects.ts';
import { renderTable } from '../format/pods.ts';
import { RESOURCE_ROWS } from '../format/resource-rows.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError, isNotFound } from '../kube/errors.ts';
import type { NamespacedKube } from '../kube/namespaced-kube.ts';
import { lookupKind, RESOURCE_KINDS, type ResourceKind, type ResourceKindName } from '../kube/resource-kinds.ts';
import { wireYaml } from '../kube/wire.ts';
import { byteLength } from '../output/budget.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { defineTool } from './definition.ts';

/** Rows stop fitting an agent's budget well before the gate's ceiling; a page is halved until it fits. */
const LIST_BYTES = 18 * 1024;
const CONFIGMAP_VALUE_BYTES = 2 * 1024;
const CONFIGMAP_TOTAL_BYTES = 14 * 1024;

const input = z
  .object({
    kind: boundedText(64, 1)
      .meta({ enum: RESOURCE_KINDS.map((kind) => kind.name) })
      .describe('Kind to read.'),
    name: boundedText(253, 1).optional().describe('One object.'),
    label_selector: boundedText(500).optional().describe('Lists only.'),
    key: boundedText(253, 1).optional().describe('ConfigMap key to read.'),
    limit: z.number().int().min(1).max(200).default(50).describe('Lists only: page size.'),
    cursor: boundedText(2000).optional().describe('next_cursor of the last page.'),
  })
  .strict();

const summary = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const output = z.object({
  namespace: z.string(),
  kind: z.string(),
  name: z.string().optional(),
  selector: z.string().optional(),
  items: z.array(summary).optional(),
  next_cursor: z.string().optional(),
  summary: summary.optional(),
  object: z.record(z.string(), z.unknown()).optional(),
  note: z.string().optional(),
});

type Output = z.infer<typeof output>;

export const getResources = defineTool({
  name: 'get_resources',
  title: 'Get resources',
  description:
    'Other objects of one kind: a summary row each (paged), or with name one object. ConfigMaps: keys and sizes, key reads a value. podmetrics: live CPU/memory.',
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const { kube } = context;
    const found = lookupKind(args.kind, kube.namespace);
    if ('failure' in found) throw found.failure;
    const { kind } = found;
    if (args.key !== undefined && (kind.name !== 'configmaps' || args.name === undefined)) {
      throw new ToolFailure('key works only with kind configmaps and a name.', 'invalid');
    }
    if (args.name === undefined) return list(kind, args, kube, context.now());
    if (args.label_selector !== undefined || args.cursor !== undefined) {
      throw new ToolFailure(
        'name reads one object; label_selector and cursor are for lists. Drop one or the other.',
        'invalid',
      );
    }
    let object: unknown;
    try {
      object = await kind.read(kube, args.name);
    } catch (error) {
      if (isNotFound(error)) throw await notFound(kind, args.name, kube);
      throw describeKubeError(error, `${kind.kind} "${args.name}"`);
    }
    const [row] = await summarize(kind, kube, [object], context.now());
    let stripped = stripObject(kind.toWire(object));
    if (kind.name === 'configmaps') stripped = configMapValues(stripped, args.key, args.name);
    return {
      namespace: kube.namespace,
      kind: kind.name,
      name: args.name,
      ...(row ? { summary: row } : {}),
      object: stripped,
    };
  },
  render(result) {
    const kind = RESOURCE_KINDS.find((item) => item.name === result.kind);
    if (result.object) {
      const header = `${kind?.kind ?? result.kind} ${result.name ?? ''} in ${result.namespace}`;
      const facts = result.summary
        ? Object.entries(result.summary)
            .filter(([key]) => key !== 'name' && key !== 'status_text')
            .map(([key, value]) => `${key}: ${value}`)
            .join('\n')
        : '';
      const yaml = wireYaml(result.object);
      return `${header}\n${facts}${facts ? '\n' : ''}${frameUntrusted(`${result.kind}/${result.name ?? ''}`, yaml)}`;
    }
    const items = result.items ?? [];
    const what = kind?.name ?? result.kind;
    const header = `${items.length} ${what} in ${result.namespace}${result.selector ? ` matching ${result.selector}` : ''}`;
    const lines = [items.length > 0 ? `${header}:` : `${header}.`];
    if (items.length > 0 && kind) {
      const { columns } = RESOURCE_ROWS[kind.name];
      lines.push(
        renderTable(
          columns.map(([title]) => title),
          items.map((item) => columns.map(([, field]) => cell(item[field]))),
        ),
      );
      for (const item of items) if (item.problem) lines.push(`! ${item.name}: ${item.problem}`);
    }
    if (result.note) lines.push(result.note);
    if (result.next_cursor) lines.push(`More ${what}: call again with cursor "${result.next_cursor}".`);
    return lines.join('\n');
  },
});

async function list(
  kind: ResourceKind<ResourceKindName>,
  args: { label_selector?: string | undefined; limit: number; cursor?: string | undefined },
  kube: NamespacedKube,
  now: Date,
): Promise<Output> {
  let limit = args.limit;
  for (;;) {
    let page: Awaited<ReturnType<ResourceKind['list']>>;
    try {
      page = await kind.list(kube, { labelSelector: args.label_selector, limit, cursor: args.cursor });
    } catch (error) {
      const failure = describeKubeError(error, kind.name);
      if (args.cursor && failure.kind === 'invalid') {
        throw new ToolFailure('The cursor has expired or is not valid; list again without it.', 'invalid');
      }
      throw failure;
    }
    const items = await summarize(kind, kube, page.items, now);
    const bytes = byteLength(items);
    if (bytes > LIST_BYTES && limit > 1) {
      limit = Math.max(1, Math.floor(limit / 2));
      continue;
    }
    const notes: string[] = [];
    if (items.length === 0 && !page.next) {
      notes.push(
        `No ${kind.name} in namespace ${kube.namespace}${args.label_selector ? ` match ${args.label_selector}` : ''}.`,
      );
    }
    if (limit < args.limit) notes.push(`Page cut to ${limit} to fit the answer budget; use the cursor for more.`);
    return {
      namespace: kube.namespace,
      kind: kind.name,
      ...(args.label_selector ? { selector: args.label_selector } : {}),
      items,
      ...(page.next ? { next_cursor: page.next } : {}),
      ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    };
  }
}

/** The kind's list rows: what it fetches besides (a Service's EndpointSlices), then how it is shown. */
async function summarize(
  kind: ResourceKind<ResourceKindName>,
  kube: NamespacedKube,
  items: readonly unknown[],
  now: Date,
): Promise<Summary[]> {
  const related = await kind.related(kube, items);
  return RESOURCE_ROWS[kind.name].summarize(items, now, related);
}

/** Not found: say so, and name what does exist, so the next call can be right. */
async function notFound(kind: ResourceKind, name: string, kube: NamespacedKube): Promise<ToolFailure> {
  let names: string[] = [];
  let more = false;
  try {
    const page = await kind.list(kube, { limit: 30 });
    names = page.items.map((item) => (item as { metadata?: { name?: string } }).metadata?.name ?? '?');
    more = page.next !== undefined;
  } catch {
    // Listing is only a hint.
  }
  const existing =
    names.length > 0
      ? `Existing ${kind.name}: ${names.join(', ')}${more ? ', …' : ''}.`
      : `There are no ${kind.name} in this namespace.`;
  return new ToolFailure(
    `${kind.kind} "${name}" does not exist in namespace ${kube.namespace}. ${existing}`,
    'not-found',
  );
}

function configMapValues(stripped: JsonObject, key: string | undefined, name: string): JsonObject {
  if (key !== undefined) {
    const data = (stripped.data ?? {}) as JsonObject;
    const binary = (stripped.binaryData ?? {}) as JsonObject;
    if (!(key in data) && !(key in binary)) {
      const keys = [...Object.keys(data), ...Object.keys(binary)];
      throw new ToolFailure(
        `ConfigMap "${name}" has no key "${key}". Keys: ${keys.length > 0 ? keys.slice(0, 50).join(', ') : '(none)'}.`,
        'not-found',
      );
    }
  }
  return capConfigMapData(stripped, {
    perValueBytes: CONFIGMAP_VALUE_BYTES,
    totalBytes: CONFIGMAP_TOTAL_BYTES,
    key,
  });
}

function cell(value: Summary[string] | undefined): string {
  return value === undefined ? '' : String(value);
}
