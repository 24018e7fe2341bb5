/** list_pods: the namespace's pods (or one workload's) with the status columns an SRE reads first. */
import { z } from 'zod';
import { podRow, renderTable } from '../format/pods.ts';
import { describeKubeError } from '../kube/errors.ts';
import { readWorkload, resolveWorkloadRef, WORKLOAD_REFERENCE_HELP } from '../kube/workloads.ts';
import { defineTool, READ_HINTS, ToolFailure } from './definition.ts';

const HEALTHY = new Set(['Running', 'Completed', 'Succeeded']);

const input = z
  .object({
    workload: z
      .string()
      .max(260)
      .optional()
      .describe(`Only this workload's pods: ${WORKLOAD_REFERENCE_HELP}. Omit for every pod in the namespace.`),
    label_selector: z
      .string()
      .max(500)
      .optional()
      .describe('Kubernetes label selector, e.g. "app=web,tier!=cache". Combined with workload when both are set.'),
    problems_only: z.boolean().default(false).describe('Only pods that are not ready, not running, or have restarted.'),
    limit: z.number().int().min(1).max(200).default(50).describe('Most pods to return (1-200).'),
    cursor: z.string().max(2000).optional().describe('The next_cursor of a previous answer, for the next page.'),
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
  total_listed: z.number().describe('Pods in this page before problems_only filtering.'),
  next_cursor: z.string().optional(),
});

export const listPods = defineTool({
  name: 'list_pods',
  title: 'List pods',
  description:
    'Lists pods in this namespace with ready count, status (CrashLoopBackOff, Pending, OOMKilled, …), restarts, age, node and owner. Use workload: "self" for the pods of the workload this sidecar belongs to, problems_only to see only unhealthy pods. Paged: pass next_cursor back as cursor.',
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
    let list: Awaited<ReturnType<typeof context.kube.core.listNamespacedPod>>;
    try {
      list = await context.kube.core.listNamespacedPod({
        namespace: context.kube.namespace,
        labelSelector,
        limit: args.limit,
        _continue: args.cursor,
      });
    } catch (error) {
      const failure = describeKubeError(error, 'pods');
      if (failure.kind === 'invalid' && args.cursor) {
        throw new ToolFailure('The cursor has expired or is not valid; list again without it.', 'invalid');
      }
      throw failure;
    }
    const now = context.now();
    const rows = list.items.map((pod) => podRow(pod, now));
    const pods = args.problems_only
      ? rows.filter((pod) => !HEALTHY.has(pod.status) || pod.restarts > 0 || !isAllReady(pod.ready))
      : rows;
    return {
      namespace: context.kube.namespace,
      selector: labelSelector,
      pods,
      total_listed: rows.length,
      next_cursor: list.metadata?._continue || undefined,
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

function isAllReady(ready: string): boolean {
  const [have, want] = ready.split('/');
  return have === want;
}
