/** list_pods: the namespace's pods (or one workload's) with the status columns an SRE reads first. */

import { decodeCursor, encodeCursor } from '@podmcp/core';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import { ToolFailure } from '../failure.ts';
import { type PodRow, podRow, renderTable } from '../format/pods.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import { readWorkload, resolveWorkloadRef, WORKLOAD_REFERENCE_HELP } from '../kube/workloads.ts';
import { byteLength } from '../output/budget.ts';
import { defineTool } from './definition.ts';

const HEALTHY = new Set(['Running', 'Completed', 'Succeeded']);

const input = z
  .object({
    workload: boundedText(260).optional().describe(`Only this workload's pods: ${WORKLOAD_REFERENCE_HELP}.`),
    label_selector: boundedText(500).optional().describe('e.g. "app=web,tier!=cache".'),
    problems_only: z.boolean().default(false).describe('Only unhealthy pods.'),
    limit: z.number().int().min(1).max(200).default(50).describe('Page size.'),
    cursor: boundedText(2000).optional().describe('next_cursor of the last page.'),
  })
  .strict();

const row = z.object({
  name: z.string(),
  ready: z.string(),
  status: z.string(),
  restarts: z.number(),
  age: z.string(),
  node: z.string().optional(),
  ip: z.string().optional(),
  owner: z.string().optional(),
});

const output = z.object({
  namespace: z.string(),
  selector: z.string().optional(),
  pods: z.array(row),
  total_listed: z.number(),
  next_cursor: z.string().optional(),
});

export const listPods = defineTool({
  name: 'list_pods',
  title: 'List pods',
  description: 'Pods with ready, status (CrashLoopBackOff, OOMKilled, …), restarts, age, node and owner; paged.',
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const selectors: string[] = [];
    if (args.workload !== undefined) {
      const workload = await readWorkload(context, await resolveWorkloadRef(context, args.workload));
      if (!workload.podSelector) {
        throw new ToolFailure(`${workload.kind} ${workload.name} has no pod selector; list its Jobs' pods instead.`);
      }
      selectors.push(workload.podSelector);
    }
    if (args.label_selector) selectors.push(args.label_selector);
    const labelSelector = selectors.length > 0 ? selectors.join(',') : undefined;
    const position = args.cursor ? decodePosition(args.cursor) : { limit: args.limit, skip: 0 };
    let list: Awaited<ReturnType<typeof context.kube.pods.list>>;
    try {
      list = await context.kube.pods.list({
        labelSelector,
        limit: position.limit,
        _continue: position.page,
      });
    } catch (error) {
      const failure = describeKubeError(error, 'pods');
      if (failure.kind === 'invalid' && args.cursor) {
        throw new ToolFailure('The cursor has expired or is not valid; list again without it.', 'invalid');
      }
      throw failure;
    }
    const now = context.now();
    const pods: PodRow[] = [];
    let bytes = 0;
    let listed = 0;
    let stoppedAt: number | undefined;
    for (let index = position.skip; index < list.items.length; index += 1) {
      const pod = list.items[index];
      if (!pod) continue;
      const row = podRow(pod, now);
      listed += 1;
      if (args.problems_only && HEALTHY.has(row.status) && row.restarts === 0 && isAllReady(row.ready)) continue;
      const size = byteLength(row) + 1;
      // A page of long pod names can outgrow the answer budget before `limit`: stop here, and let the cursor
      // resume inside the same API page.
      if (bytes + size > ROWS_BUDGET_BYTES && pods.length > 0) {
        stoppedAt = index;
        listed -= 1;
        break;
      }
      bytes += size;
      pods.push(row);
    }
    const apiNext = list.metadata?._continue || undefined;
    const next_cursor =
      stoppedAt !== undefined
        ? encodeCursor({ page: position.page, limit: position.limit, skip: stoppedAt })
        : apiNext
          ? encodeCursor({ page: apiNext, limit: args.limit, skip: 0 })
          : undefined;
    return {
      namespace: context.kube.namespace,
      selector: labelSelector,
      pods,
      total_listed: listed,
      next_cursor,
    };
  },
  render(result) {
    const header = `${result.pods.length} pod(s) in ${result.namespace}${result.selector ? ` matching ${result.selector}` : ''}`;
    if (result.pods.length === 0) return `${header}.${result.next_cursor ? ' More pages exist (next_cursor).' : ''}`;
    const table = renderTable(
      ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE'],
      result.pods.map((pod) => [pod.name, pod.ready, pod.status, String(pod.restarts), pod.age, pod.node ?? '']),
    );
    return `${header}:\n${table}${result.next_cursor ? `\nMore pods: call again with cursor "${result.next_cursor}".` : ''}`;
  },
});

/** Rows stop here so the whole answer (rows plus the rest) stays within the gate's budget. */
const ROWS_BUDGET_BYTES = 20 * 1024;

interface CursorPosition {
  /** The API server's continue token of the page, absent for the first page. */
  readonly page?: string | undefined;
  readonly limit: number;
  /** Pods of that page already returned. */
  readonly skip: number;
}

function decodePosition(cursor: string): CursorPosition {
  const position = decodeCursor(cursor, (parsed) => {
    const value = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<CursorPosition>;
    return typeof value.limit === 'number' &&
      typeof value.skip === 'number' &&
      (value.page === undefined || typeof value.page === 'string')
      ? { page: value.page, limit: value.limit, skip: value.skip }
      : undefined;
  });
  if (position) return position;
  throw new ToolFailure('The cursor is not one list_pods returned; list again without it.', 'invalid');
}

function isAllReady(ready: string): boolean {
  const [have, want] = ready.split('/');
  return have === want;
}
