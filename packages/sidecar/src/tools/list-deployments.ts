/**
 * list_deployments: every workload kind in the namespace — Deployments, StatefulSets, DaemonSets, Jobs,
 * CronJobs — with rollout state (complete, progressing, stuck, paused, degraded), replica counts, images and
 * age; Jobs with completions, CronJobs with schedule and last runs. Paged per kind with one cursor.
 */

import { decodeCursor, encodeCursor } from '@podmcp/core';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import { ToolFailure } from '../failure.ts';
import { renderTable } from '../format/pods.ts';
import {
  cronJobRow,
  daemonSetRow,
  deploymentRow,
  jobRow,
  statefulSetRow,
  type WorkloadRow,
  type WorkloadRowKind,
  workloadStatusText,
} from '../format/workloads.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import type { ListOptions, NamespacedKube } from '../kube/namespaced-kube.ts';
import { byteLength } from '../output/budget.ts';
import type { ObjectRef } from '../self.ts';
import { defineTool } from './definition.ts';

const KINDS = ['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'] as const;
type KindName = (typeof KINDS)[number];

const KIND_ALIASES: Readonly<Record<string, KindName>> = {
  deployment: 'deployments',
  deploy: 'deployments',
  statefulset: 'statefulsets',
  sts: 'statefulsets',
  daemonset: 'daemonsets',
  ds: 'daemonsets',
  job: 'jobs',
  cronjob: 'cronjobs',
  cj: 'cronjobs',
};

const KIND_OF: Readonly<Record<KindName, WorkloadRowKind>> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

const LIST_BYTES = 18 * 1024;

const input = z
  .object({
    kinds: z
      .array(
        z
          .string()
          .refine((kind) => kind in KIND_ALIASES || (KINDS as readonly string[]).includes(kind), {
            message: `must be one of ${KINDS.join(', ')} (or deploy, sts, ds, cj)`,
          })
          // Lists the plural names only; the short and singular forms are accepted without being advertised.
          .meta({ enum: [...KINDS] }),
      )
      .min(1)
      .max(5)
      .optional()
      .describe('Default: all.'),
    name: boundedText(253)
      .refine(
        (name) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name),
        'must be an object name (lower case letters, digits, "-" and ".") or "self"',
      )
      .optional()
      .describe('Exact name, or "self".'),
    label_selector: boundedText(500).optional().describe('On the workloads.'),
    limit_per_kind: z.number().int().min(1).max(100).default(20).describe('Page size per kind.'),
    cursor: boundedText(8000).optional().describe('next_cursor of the last page.'),
  })
  .strict();

const row = z.object({
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']),
  name: z.string(),
  age: z.string(),
  images: z.array(z.string()),
  self: z.boolean().optional(),
  desired: z.number().optional(),
  updated: z.number().optional(),
  ready: z.number().optional(),
  available: z.number().optional(),
  rollout: z.enum(['complete', 'progressing', 'stuck', 'paused', 'degraded']).optional(),
  revision: z.string().optional(),
  status: z.string().optional(),
  completions: z.string().optional(),
  active: z.number().optional(),
  failed: z.number().optional(),
  duration: z.string().optional(),
  schedule: z.string().optional(),
  suspended: z.boolean().optional(),
  last_schedule: z.string().optional(),
  last_successful: z.string().optional(),
  detail: z.string().optional(),
});

const output = z.object({
  namespace: z.string(),
  workloads: z.array(row),
  more: z.array(z.enum(KINDS)).optional(),
  next_cursor: z.string().optional(),
  unavailable: z.record(z.string(), z.string()).optional(),
  note: z.string().optional(),
});

interface Page {
  readonly rows: WorkloadRow[];
  readonly next?: string | undefined;
}

type Lister = (kube: NamespacedKube, request: ListRequest, now: Date) => Promise<Page>;

type ListRequest = ListOptions & { readonly limit: number };

function lister<T>(
  list: (kube: NamespacedKube, request: ListRequest) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
  toRow: (item: T, now: Date) => WorkloadRow,
): Lister {
  return async (kube, request, now) => {
    const page = await list(kube, request);
    return { rows: page.items.map((item) => toRow(item, now)), next: page.metadata?._continue || undefined };
  };
}

const LISTERS: Readonly<Record<KindName, Lister>> = {
  deployments: lister((kube, request) => kube.deployments.list(request), deploymentRow),
  statefulsets: lister((kube, request) => kube.statefulSets.list(request), statefulSetRow),
  daemonsets: lister((kube, request) => kube.daemonSets.list(request), daemonSetRow),
  jobs: lister((kube, request) => kube.jobs.list(request), jobRow),
  cronjobs: lister((kube, request) => kube.cronJobs.list(request), cronJobRow),
};

export const listDeployments = defineTool({
  name: 'list_deployments',
  title: 'List workloads',
  description:
    "Workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) with rollout state and why, replicas, images, age; Jobs' failures; CronJobs' schedule and last runs.",
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const { kube } = context;
    const own = await ownWorkloads(context, args.name === 'self');
    const requested = [...new Set((args.kinds ?? KINDS).map((kind) => KIND_ALIASES[kind] ?? (kind as KindName)))];
    const target = args.name === 'self' ? selfTarget(own, requested) : { kinds: requested, name: args.name };
    const cursors = decodeKindCursors(args.cursor);
    const kinds = cursors ? target.kinds.filter((kind) => cursors[kind] !== undefined) : target.kinds;
    const name = target.name;
    const now = context.now();
    let limit = args.limit_per_kind;
    for (;;) {
      const request = { labelSelector: args.label_selector, name, limit, cursors };
      const pages = await Promise.all(kinds.map((kind) => listKind(kube, kind, request, now)));
      const workloads = pages.flatMap((entry) => entry.page?.rows ?? []);
      if (byteLength(workloads) > LIST_BYTES && limit > 1) {
        limit = Math.max(1, Math.floor(limit / 2));
        continue;
      }
      const ownKeys = new Set(own.map((ref) => `${ref.kind}/${ref.name}`));
      for (const workload of workloads) if (ownKeys.has(`${workload.kind}/${workload.name}`)) workload.self = true;
      const notes: string[] = [];
      if (workloads.length === 0) notes.push(emptyNote(kube.namespace, kinds, name, args.label_selector));
      if (limit < args.limit_per_kind) {
        notes.push(`Pages cut to ${limit} per kind to fit the answer budget; use the cursor for more.`);
      }
      return {
        namespace: kube.namespace,
        workloads,
        ...pagesAnswer(pages),
        ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
      };
    }
  },
  render(result) {
    const lines = [
      `${result.workloads.length} workload(s) in ${result.namespace}${result.workloads.length ? ':' : '.'}`,
    ];
    if (result.workloads.length > 0) {
      lines.push(
        renderTable(
          ['KIND', 'NAME', 'STATUS', 'IMAGES', 'AGE'],
          result.workloads.map((workload) => [
            workload.kind,
            `${workload.name}${workload.self ? ' (self)' : ''}`,
            workloadStatusText(workload),
            workload.images.join(', '),
            workload.age,
          ]),
        ),
      );
      for (const workload of result.workloads) {
        if (workload.detail) lines.push(`- ${workload.kind} ${workload.name}: ${workload.detail}`);
      }
    }
    for (const [kind, reason] of Object.entries(result.unavailable ?? {})) lines.push(`! ${kind}: ${reason}`);
    if (result.note) lines.push(result.note);
    if (result.next_cursor) {
      lines.push(`More ${(result.more ?? []).join(', ')}: call again with cursor "${result.next_cursor}".`);
    }
    return lines.join('\n');
  },
});

/** name "self": the kind and name of this sidecar's own workload, the top of its owner chain. */
function selfTarget(own: readonly ObjectRef[], kinds: readonly KindName[]): { kinds: KindName[]; name: string } {
  const top = own.at(-1);
  const kind = KINDS.find((item) => KIND_OF[item] === top?.kind);
  if (!top || !kind) {
    throw new ToolFailure(
      top
        ? `This sidecar's pod belongs to ${top.kind} ${top.name}, which is not a workload kind this tool lists.`
        : 'This sidecar does not know its own workload (it is not running in a pod owned by a workload). Name one instead.',
      'invalid',
    );
  }
  if (!kinds.includes(kind)) {
    throw new ToolFailure(`This sidecar's workload is ${top.kind} ${top.name}; include ${kind} in kinds.`, 'invalid');
  }
  return { kinds: [kind], name: top.name };
}

interface KindRequest {
  readonly labelSelector: string | undefined;
  readonly name: string | undefined;
  readonly limit: number;
  readonly cursors: Partial<Record<KindName, string>> | undefined;
}

type KindPage = { readonly kind: KindName; readonly page?: Page; readonly error?: string };

async function listKind(kube: NamespacedKube, kind: KindName, request: KindRequest, now: Date): Promise<KindPage> {
  try {
    const page = await LISTERS[kind](
      kube,
      {
        labelSelector: request.labelSelector,
        fieldSelector: request.name ? `metadata.name=${request.name}` : undefined,
        limit: request.limit,
        _continue: request.cursors?.[kind],
      },
      now,
    );
    return { kind, page };
  } catch (error) {
    const failure = describeKubeError(error, kind);
    if (request.cursors && failure.kind === 'invalid') {
      throw new ToolFailure('The cursor has expired or is not valid; list again without it.', 'invalid');
    }
    // One kind the Role cannot read should not hide the others.
    if (failure.kind === 'forbidden') return { kind, error: failure.message };
    throw failure;
  }
}

/** The kinds with more pages (and the cursor to them) and the kinds the Role cannot read. */
function pagesAnswer(pages: readonly KindPage[]) {
  const next: Partial<Record<KindName, string>> = {};
  for (const entry of pages) if (entry.page?.next) next[entry.kind] = entry.page.next;
  const more = Object.keys(next) as KindName[];
  const unavailable = Object.fromEntries(
    pages.flatMap((entry) => (entry.error ? [[entry.kind, entry.error]] : [])),
  ) as Record<string, string>;
  return {
    ...(more.length > 0 ? { more, next_cursor: encodeCursor(next) } : {}),
    ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}),
  };
}

/** The sidecar's owner chain (Job and CronJob, or Deployment): best effort unless the caller asked for "self". */
async function ownWorkloads(context: ToolContext, required: boolean) {
  try {
    const chain = [...(await context.self.ownerChain())];
    const top = await context.self.workload();
    if (top && !chain.some((ref) => ref.kind === top.kind && ref.name === top.name)) chain.push(top);
    return chain;
  } catch (error) {
    if (required) throw error;
    return [];
  }
}

function emptyNote(namespace: string, kinds: readonly KindName[], name: string | undefined, selector?: string): string {
  const what = kinds.length === KINDS.length ? 'workloads' : kinds.join(' or ');
  const filters = [name ? `named ${name}` : '', selector ? `matching ${selector}` : ''].filter(Boolean).join(' ');
  return `No ${what}${filters ? ` ${filters}` : ''} in namespace ${namespace}.${name ? ' Names must match exactly; omit name to see them all.' : ''}`;
}

function decodeKindCursors(cursor: string | undefined): Partial<Record<KindName, string>> | undefined {
  if (cursor === undefined) return undefined;
  const cursors = decodeCursor(cursor, (parsed) => {
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const entries = Object.entries(parsed).filter(
      ([kind, token]) => (KINDS as readonly string[]).includes(kind) && typeof token === 'string',
    );
    return entries.length > 0 ? (Object.fromEntries(entries) as Partial<Record<KindName, string>>) : undefined;
  });
  if (cursors) return cursors;
  throw new ToolFailure('The cursor is not one this tool gave out; list again without it.', 'invalid');
}
