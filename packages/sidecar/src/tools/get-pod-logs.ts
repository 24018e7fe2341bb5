/**
 * get_pod_logs: one container's log, bounded twice — the API request itself (tailLines, limitBytes, so a
 * 50 MB log is never read whole) and the answer (max_bytes, with what was left out and a cursor to get it).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { httpStatusOf } from '@podmcp/core';
import { z } from 'zod';
import { boundedText } from '../bounded-text.ts';
import type { ToolContext } from '../context.ts';
import type { LogExcerpt } from '../diagnosis/index.ts';
import { ToolFailure } from '../failure.ts';
import { chooseContainer, hasPreviousInstance } from '../format/containers.ts';
import {
  buildLogAnswer,
  compileGrep,
  decodeLogCursor,
  GREP_MAX_PATTERN,
  type LogLine,
  type LogPosition,
  type LogRead,
  linesAfter,
  linesSince,
  MAX_TAIL_LINES,
  parseLogText,
  parseTimestampNanos,
  redactLogLines,
  selectLines,
} from '../format/logs.ts';
import { READ_HINTS } from '../hints.ts';
import { describeKubeError } from '../kube/errors.ts';
import { frameUntrusted } from '../safety/sanitize.ts';
import { defineTool } from './definition.ts';

const DEFAULT_MAX_BYTES = 16 * 1024;
/** Leaves room for the metadata inside the 24 KiB answer budget. */
const MAX_MAX_BYTES = 20 * 1024;
const LINE_CAP_BYTES = 4096;
/** What one API request may bring back: enough to grep thousands of lines, never the whole log. */
const READ_LIMIT_GREP = 1024 * 1024;
const READ_LIMIT_PLAIN = 128 * 1024;
/**
 * The log API takes a start only in whole seconds relative to the node's clock; read a little earlier and
 * filter on the lines' own timestamps, so clock skew between nodes cannot lose lines.
 */
const SINCE_SLACK_SECONDS = 2;
const RFC3339 = z.iso.datetime({ offset: true });
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const input = z
  .object({
    pod: boundedText(253)
      .refine((name) => POD_NAME.test(name), 'must be a pod name')
      .optional()
      .describe("Default: this sidecar's pod."),
    container: boundedText(63).optional().describe('Default: the app container.'),
    tail_lines: z
      .number()
      .int()
      .min(1)
      .max(MAX_TAIL_LINES)
      .default(100)
      .describe('Lines read from the end (grep searches these).'),
    since_seconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .optional()
      .describe('Only the last N seconds.'),
    since_time: boundedText(64)
      // Checked here rather than declared: the declared form lists a 500-byte date pattern in every catalogue.
      .refine((text) => RFC3339.safeParse(text).success, 'must be an RFC 3339 time, e.g. 2026-01-02T03:04:05Z')
      .optional()
      .describe('RFC 3339 start time.'),
    previous: z.boolean().default(false).describe('The crashed previous instance.'),
    grep: boundedText(GREP_MAX_PATTERN, 1).optional().describe('JavaScript regex, e.g. "error|timeout".'),
    case_sensitive: z.boolean().default(false).describe('Case-sensitive grep.'),
    timestamps: z.boolean().default(false).describe('Prefix timestamps.'),
    max_bytes: z.number().int().min(512).max(MAX_MAX_BYTES).default(DEFAULT_MAX_BYTES).describe('Byte budget.'),
    cursor: boundedText(80).optional().describe('next_cursor, or an RFC 3339 time.'),
  })
  .strict()
  .superRefine((args, issues) => {
    if (args.since_seconds !== undefined && args.since_time !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['since_time'],
        message: 'since_seconds and since_time are mutually exclusive; give one',
      });
    }
    if (args.cursor !== undefined && (args.since_seconds !== undefined || args.since_time !== undefined)) {
      issues.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: 'a cursor already says where to start; drop since_seconds/since_time',
      });
    }
  });

const output = z.object({
  pod: z.string(),
  container: z.string(),
  containers: z.array(z.string()),
  container_note: z.string().optional(),
  previous: z.boolean(),
  lines: z.array(z.string()),
  scanned_lines: z.number(),
  matched_lines: z.number().optional(),
  more_before: z.boolean(),
  more_after: z.boolean(),
  truncated: z
    .object({
      omitted_lines: z.number(),
      omitted_bytes: z.number(),
      side: z.enum(['older', 'newer']),
      earlier_cursor: z.string().optional(),
    })
    .optional(),
  long_lines_cut: z.number().optional(),
  next_cursor: z.string().optional(),
  notes: z.array(z.string()),
});

export const getPodLogs = defineTool({
  name: 'get_pod_logs',
  title: 'Get pod logs',
  description:
    "One container's log: the newest lines that fit max_bytes. previous: true shows why a crashed container died; pass next_cursor as cursor to follow.",
  input,
  output,
  hints: READ_HINTS,
  async run(args, context) {
    const pod = args.pod === undefined ? await ownPod(context) : await readPod(context, args.pod);
    const podName = pod.metadata?.name ?? args.pod ?? '?';
    const choice = chooseContainer(pod, args.container);
    if ('error' in choice) throw new ToolFailure(choice.error, 'not-found');
    const { container } = choice;
    if (!pod.spec?.nodeName) {
      throw new ToolFailure(
        `Pod ${podName} is not scheduled to a node yet, so none of its containers has run and there is no log. diagnose {pod: "${podName}"} says why it is not scheduled.`,
        'not-found',
      );
    }
    if (args.previous && !hasPreviousInstance(pod, container)) {
      throw new ToolFailure(
        `Container ${container} of pod ${podName} has not restarted, so it has no previous instance to read. Omit previous to read its current log.`,
        'not-found',
      );
    }
    const grep = args.grep === undefined ? undefined : compileGrep(args.grep, args.case_sensitive);
    if (grep && !(grep instanceof RegExp)) throw new ToolFailure(grep.error, 'invalid');
    const cursor = args.cursor === undefined ? undefined : decodeLogCursor(args.cursor);
    if (args.cursor !== undefined && !cursor) {
      throw new ToolFailure(
        `cursor "${args.cursor}" is not valid: pass next_cursor from a previous get_pod_logs answer unchanged, or an RFC 3339 timestamp.`,
        'invalid',
      );
    }
    const now = context.now();
    const target = { pod: podName, container, previous: args.previous };
    const readLimit = grep ? READ_LIMIT_GREP : READ_LIMIT_PLAIN;

    let read: LogRead;
    let since: string | undefined;
    if (cursor) {
      const response = await readForward(context, target, cursor, now, readLimit);
      const after = linesAfter(response.lines, cursor);
      read = {
        lines: response.lines,
        window: after.slice(0, args.tail_lines),
        olderNotRead: false,
        newerNotRead: response.cut || after.length > args.tail_lines,
        cursorOutOfReach: response.cut && after.length === 0,
      };
    } else {
      const sinceNanos = args.since_time === undefined ? undefined : parseTimestampNanos(args.since_time);
      const sinceSeconds =
        args.since_seconds ?? (sinceNanos === undefined ? undefined : sinceSecondsFor(sinceNanos, now));
      const response = await readTail(context, target, args.tail_lines, sinceSeconds, readLimit);
      const window = sinceNanos === undefined ? response.lines : linesSince(response.lines, sinceNanos);
      read = {
        lines: response.lines,
        window,
        // Lines before since_time were read and dropped, so nothing older within the range is missing.
        olderNotRead: response.olderNotRead && window.length === response.lines.length,
        newerNotRead: response.newerNotRead,
      };
      if (args.since_seconds !== undefined) since = `in the last ${args.since_seconds} s`;
      if (args.since_time !== undefined) since = `since ${args.since_time}`;
    }
    const answer = buildLogAnswer(read, {
      cursor,
      grep,
      maxBytes: args.max_bytes,
      timestamps: args.timestamps,
      lineCapBytes: LINE_CAP_BYTES,
      since,
      redact: context.redact,
    });
    return {
      pod: podName,
      container,
      containers: [...choice.containers],
      container_note: choice.note,
      previous: args.previous,
      ...answer,
      notes: [...(choice.note ? [choice.note] : []), ...answer.notes],
    };
  },
  render(result) {
    const which = `${result.pod}/${result.container}${result.previous ? ' (previous instance)' : ''}`;
    const header = `${result.lines.length} line(s) of ${which}`;
    const notes = result.notes.map((note) => `- ${note}`).join('\n');
    const body = result.lines.length > 0 ? `\n${frameUntrusted(`log of ${which}`, result.lines.join('\n'))}` : '';
    const cursor = result.next_cursor ? `\nnext_cursor: ${result.next_cursor}` : '';
    return `${header}${notes ? `\n${notes}` : ''}${body}${cursor}`;
  },
});

export interface LogTarget {
  readonly pod: string;
  readonly container: string;
  readonly previous: boolean;
}

function sinceSecondsFor(nanos: bigint, now: Date): number {
  const ageSeconds = Math.ceil((now.getTime() - Number(nanos / 1_000_000n)) / 1000);
  return Math.max(1, ageSeconds + SINCE_SLACK_SECONDS);
}

async function requestLog(
  context: ToolContext,
  target: LogTarget,
  query: { tailLines?: number | undefined; sinceSeconds?: number | undefined; limitBytes: number },
): Promise<{ lines: LogLine[]; cut: boolean }> {
  let raw: string;
  try {
    raw = await context.kube.pods.log(target.pod, {
      container: target.container,
      previous: target.previous,
      timestamps: true,
      tailLines: query.tailLines,
      sinceSeconds: query.sinceSeconds,
      limitBytes: query.limitBytes,
    });
  } catch (error) {
    // The API server answers an empty log without a Content-Type, which the client refuses to parse.
    if (!(error instanceof Error && error.message.includes('No Content-Type defined'))) {
      throw describeLogError(error, target);
    }
    raw = '';
  }
  const cut = Buffer.byteLength(raw) >= query.limitBytes;
  return { lines: parseLogText(raw, cut), cut };
}

/**
 * The last `tailLines` lines. With both tailLines and limitBytes the kubelet returns the oldest part of the
 * tail when the bytes run out, so a cut read is repeated with fewer lines to get the newest ones.
 */
async function readTail(
  context: ToolContext,
  target: LogTarget,
  tailLines: number,
  sinceSeconds: number | undefined,
  limitBytes: number,
): Promise<{ lines: LogLine[]; olderNotRead: boolean; newerNotRead: boolean }> {
  const first = await requestLog(context, target, { tailLines, sinceSeconds, limitBytes });
  if (!first.cut) return { lines: first.lines, olderNotRead: first.lines.length >= tailLines, newerNotRead: false };
  const fewer = Math.max(1, Math.floor(first.lines.length * 0.8));
  const second = await requestLog(context, target, { tailLines: fewer, sinceSeconds, limitBytes });
  return { lines: second.lines, olderNotRead: true, newerNotRead: second.cut };
}

/**
 * From a cursor forward: no tailLines, so the read starts at the cursor's second and stops at limitBytes.
 * A busy log can fill that read before the cursor's own line; one larger read then reaches past it.
 */
async function readForward(
  context: ToolContext,
  target: LogTarget,
  cursor: LogPosition,
  now: Date,
  limitBytes: number,
): Promise<{ lines: LogLine[]; cut: boolean }> {
  const sinceSeconds = sinceSecondsFor(cursor.nanos, now);
  const read = await requestLog(context, target, { sinceSeconds, limitBytes });
  if (!read.cut || limitBytes >= READ_LIMIT_GREP || linesAfter(read.lines, cursor).length > 0) return read;
  return requestLog(context, target, { sinceSeconds, limitBytes: READ_LIMIT_GREP });
}

/** A failed log read as an actionable failure; the kubelet answers 400 for a missing previous log or a container that is not running. */
/**
 * The kubelet quotes a log line it cannot parse in its error; a log line may hold anything (a key's body cut from
 * its header, where no redaction rule can tell it apart), so the quote is dropped, not repeated.
 */
const QUOTED_LOG_LINE = /(unsupported log format): "(?:[^"\\]|\\.)*"?/g;

function withoutQuotedLogLine(failure: ToolFailure): ToolFailure {
  const message = failure.message.replace(QUOTED_LOG_LINE, '$1 (the line itself is not repeated)');
  return message === failure.message ? failure : new ToolFailure(message, failure.kind, failure.retryAfterSeconds);
}

export function describeLogError(error: unknown, target: LogTarget): ToolFailure {
  const failure = withoutQuotedLogLine(describeKubeError(error, `pod "${target.pod}"`));
  if (httpStatusOf(error) !== 400) return failure;
  const detail = failure.message.replace(/^The API server rejected the request: /, '');
  if (target.previous) {
    return new ToolFailure(
      `The kubelet has no previous log for container ${target.container} of pod ${target.pod} (${detail}). Omit previous to read the current log.`,
      'not-found',
    );
  }
  return new ToolFailure(
    `Kubernetes could not return the log of container ${target.container} in pod ${target.pod}: ${detail}. If the container has not started, diagnose says why.`,
    'invalid',
  );
}

/** A pod by name; when it does not exist the message names the pods that do. */
export async function readPod(context: ToolContext, name: string): Promise<V1Pod> {
  try {
    return await context.kube.pods.read(name);
  } catch (error) {
    const failure = describeKubeError(error, `pod "${name}"`);
    if (failure.kind !== 'not-found') throw failure;
    throw new ToolFailure(
      `Pod "${name}" does not exist in namespace ${context.kube.namespace}. ${await existingPods(context)}`,
      'not-found',
    );
  }
}

/** This sidecar's own pod, or a failure that names the pods to pick from instead. */
export async function ownPod(context: ToolContext): Promise<V1Pod> {
  const pod = await context.self.pod();
  if (pod) return pod;
  throw new ToolFailure(
    `No pod was named and this sidecar is not running in a pod, so there is no default. Pass pod. ${await existingPods(context)}`,
    'invalid',
  );
}

async function existingPods(context: ToolContext): Promise<string> {
  try {
    const list = await context.kube.pods.list({ limit: 30 });
    const names = list.items.map((pod) => pod.metadata?.name ?? '').filter((name) => name !== '');
    if (names.length === 0) return 'There are no pods in this namespace.';
    return `Existing pods: ${names.join(', ')}${list.metadata?._continue ? ', … (list_pods shows all)' : ''}.`;
  } catch {
    return 'list_pods shows the pods that exist.';
  }
}

/**
 * The newest lines of a container's log for diagnose: the previous instance when asked (it holds the crash),
 * else — or when the kubelet no longer has it — the current one. Never throws for a missing log: the note
 * says why there is none.
 */
export async function readLogExcerpt(
  context: ToolContext,
  target: LogTarget,
  limits: { readonly tailLines: number; readonly maxBytes: number; readonly lineCapBytes: number },
): Promise<LogExcerpt> {
  const excerpt = async (previous: boolean) => {
    const read = await readTail(context, { ...target, previous }, limits.tailLines, undefined, 64 * 1024);
    return selectLines(redactLogLines(read.lines, context.redact), {
      maxBytes: limits.maxBytes,
      keep: 'newest',
      lineCapBytes: limits.lineCapBytes,
      timestamps: false,
    }).texts;
  };
  let note: string | undefined;
  if (target.previous) {
    try {
      return { container: target.container, source: 'previous', lines: await excerpt(true) };
    } catch (error) {
      const failure = describeKubeError(error, `pod "${target.pod}"`);
      if (failure.kind !== 'not-found' && failure.kind !== 'invalid') throw failure;
      note = 'the previous instance’s log is gone; this is the current instance';
    }
  }
  try {
    return { container: target.container, source: 'current', lines: await excerpt(false), note };
  } catch (error) {
    const failure = describeKubeError(error, `pod "${target.pod}"`);
    if (failure.kind !== 'not-found' && failure.kind !== 'invalid') throw failure;
    return { container: target.container, source: 'current', lines: [], note: `no log: ${failure.message}` };
  }
}
