/**
 * list_events: the namespace's events, folded and ordered the way an SRE scans them (warnings first, newest
 * first), optionally for one object or one workload with its ReplicaSets/Jobs and pods. Also home of the
 * bounded event read and the workload scope that diagnose shares.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import {
  aggregateEvents,
  type EventScope,
  generatedPodName,
  inScope,
  limitEvents,
  ordinalPodName,
  parseObjectFilter,
  renderEventRows,
  seenWithin,
} from '../format/events.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import { type ResolvedWorkload, readWorkload, resolveWorkloadRef } from '../kube/workloads.ts';
import { defineTool } from './definition.ts';

/**
 * Events read per request, and at most this many pages: a namespace with a storm of events stays bounded (1000
 * events), and an ordinary one is read in a single round trip.
 */
const PAGE_SIZE = 500;
const MAX_PAGES = 2;
/** Room for the rows inside the 24 KiB answer budget. */
const ROWS_MAX_BYTES = 18 * 1024;

const input = z
  .object({
    object: boundedText(300, 1).optional().describe('"self", "deploy/web", "Pod/web-1", "pvc/data" or a bare name.'),
    warnings_only: z.boolean().default(false).describe('Only Warning events.'),
    reason: boundedText(128)
      .refine((reason) => /^[A-Za-z0-9]+$/.test(reason), 'must be an event reason such as BackOff')
      .optional()
      .describe('e.g. BackOff, FailedScheduling, FailedMount.'),
    since_minutes: z.number().int().min(1).max(1440).optional().describe('Only the last N minutes.'),
    limit: z.number().int().min(1).max(200).default(30).describe('Most rows.'),
  })
  .strict();

/** One event row, folded over its repeats; diagnose reports its warnings in the same shape. */
export const eventRow = z.object({
  type: z.string(),
  reason: z.string(),
  object: z.string(),
  message: z.string(),
  count: z.number(),
  first_seen: z.string().optional(),
  last_seen: z.string().optional(),
  source: z.string().optional(),
});

const output = z.object({
  namespace: z.string(),
  scope: z.string().optional(),
  events: z.array(eventRow),
  matching: z.number(),
  omitted: z.number(),
  scanned: z.number(),
  incomplete: z.boolean(),
  notes: z.array(z.string()),
});

export const listEvents = defineTool({
  name: 'list_events',
  title: 'List events',
  description:
    'Events with repeats folded, warnings then newest first: why pods are Pending, crash, fail probes or cannot pull.',
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const filter = args.object === undefined ? undefined : parseObjectFilter(args.object);
    if (filter && 'error' in filter) throw new ToolFailure(`object: ${filter.error}`, 'invalid');
    const selectors: string[] = [];
    if (args.warnings_only) selectors.push('type=Warning');
    if (args.reason) selectors.push(`reason=${args.reason}`);
    let scope: EventScope | undefined;
    let scopeText: string | undefined;
    if (filter?.scope === 'object') {
      if (filter.kind) selectors.push(`involvedObject.kind=${filter.kind}`);
      selectors.push(`involvedObject.name=${filter.name}`);
      scopeText = filter.kind ? `${filter.kind}/${filter.name}` : `objects named ${filter.name}`;
    } else if (filter) {
      const workload = await readWorkload(
        context,
        await resolveWorkloadRef(context, filter.scope === 'self' ? 'self' : filter.reference),
      );
      scope = await workloadScope(context, workload);
      scopeText = `${workload.kind}/${workload.name} and its pods`;
    }

    const read = await readEvents(context, selectors.join(','));
    const now = context.now();
    const matching = read.events.filter(
      (event) =>
        (!scope || inScope(event, scope)) &&
        (args.since_minutes === undefined || seenWithin(event, now, args.since_minutes)),
    );
    const rows = aggregateEvents(matching);
    const limited = limitEvents(rows, args.limit, ROWS_MAX_BYTES);
    const notes: string[] = [];
    if (limited.omitted > 0) {
      notes.push(
        `${limited.omitted} more row(s) not shown (${limited.byBytes ? 'byte budget' : `limit ${args.limit}`}); narrow with object, reason, warnings_only or since_minutes${limited.byBytes ? '' : ', or raise limit'}.`,
      );
    }
    if (read.incomplete) {
      notes.push(
        `Only the first ${read.events.length} events were read (cap); narrow with object (a single Pod/name is filtered by the API server), reason or warnings_only.`,
      );
    }
    if (rows.length === 0) notes.push(noEventsNote(args.since_minutes));
    return {
      namespace: context.kube.namespace,
      scope: scopeText,
      events: limited.rows,
      matching: rows.length,
      omitted: limited.omitted,
      scanned: read.events.length,
      incomplete: read.incomplete,
      notes,
    };
  },
  render(result) {
    const header = `${result.events.length} event row(s) in ${result.namespace}${result.scope ? ` for ${result.scope}` : ''}${result.events.length > 0 ? ' (warnings first, newest first)' : ''}`;
    const notes = result.notes.map((note) => `- ${note}`).join('\n');
    const body = renderEventRows(result.events, new Date());
    return [header, notes, body].filter((part) => part !== '').join('\n');
  },
});

function noEventsNote(sinceMinutes: number | undefined): string {
  return `No matching events${sinceMinutes ? ` in the last ${sinceMinutes} min` : ''}. Kubernetes drops events after about an hour, so an older problem leaves none.`;
}

/** Events in the namespace matching a field selector, read in pages up to a cap. */
export async function readEvents(
  context: ToolContext,
  fieldSelector: string,
): Promise<{ events: CoreV1Event[]; incomplete: boolean }> {
  const events: CoreV1Event[] = [];
  let next: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    let list: Awaited<ReturnType<typeof context.kube.events.list>>;
    try {
      list = await context.kube.events.list({
        fieldSelector: fieldSelector || undefined,
        limit: PAGE_SIZE,
        _continue: next,
      });
    } catch (error) {
      throw describeKubeError(error, 'events');
    }
    events.push(...list.items);
    next = list.metadata?._continue || undefined;
    if (!next) return { events, incomplete: false };
  }
  return { events, incomplete: true };
}

/**
 * Everything whose events belong to a workload: the workload, the ReplicaSets or Jobs it owns, its current
 * pods (`pods` when the caller already listed them), and the names its controllers give pods.
 */
export async function workloadScope(
  context: ToolContext,
  workload: ResolvedWorkload,
  pods?: readonly V1Pod[],
): Promise<EventScope> {
  const { kube } = context;
  const objects = new Set<string>([`${workload.kind}/${workload.name}`]);
  const podNames: RegExp[] = [];
  const ownedBy = (item: { metadata?: { ownerReferences?: Array<{ kind: string; name: string }> } }) =>
    item.metadata?.ownerReferences?.some((owner) => owner.kind === workload.kind && owner.name === workload.name) ??
    false;
  try {
    switch (workload.kind) {
      case 'Deployment': {
        const sets = await kube.replicaSets.list({
          labelSelector: workload.podSelector,
          limit: 100,
        });
        for (const set of sets.items.filter(ownedBy)) {
          const name = set.metadata?.name ?? '';
          objects.add(`ReplicaSet/${name}`);
          podNames.push(generatedPodName(name));
        }
        break;
      }
      case 'CronJob': {
        const jobs = await kube.jobs.list({ limit: 200 });
        for (const job of jobs.items.filter(ownedBy)) {
          const name = job.metadata?.name ?? '';
          objects.add(`Job/${name}`);
          podNames.push(generatedPodName(name));
        }
        break;
      }
      case 'StatefulSet':
        podNames.push(ordinalPodName(workload.name));
        break;
      default:
        podNames.push(generatedPodName(workload.name));
    }
    const current =
      pods ??
      (workload.podSelector
        ? (
            await kube.pods.list({
              labelSelector: workload.podSelector,
              limit: 500,
            })
          ).items
        : []);
    for (const pod of current) objects.add(`Pod/${pod.metadata?.name ?? ''}`);
  } catch (error) {
    throw describeKubeError(error, `the objects of ${workload.kind} ${workload.name}`);
  }
  return { objects, podNames };
}
