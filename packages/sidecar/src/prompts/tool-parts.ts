/**
 * The tool answers a prompt gathers, all at once and each under a deadline of its own: a part that does not
 * answer in time is one line naming what it waits on (the API server, a node's kubelet, Prometheus, the app)
 * while the other sections are returned.
 */
import type { ToolName } from '@podmcp/core';
import type { ServiceContext } from '../context.ts';
import { LOG_PART_MS, seconds, TOOL_PART_MS, withinDeadline } from '../diagnosis/index.ts';
import { invokeToolText } from '../tools/invoke.ts';

export interface ToolPart {
  readonly tool: ToolName;
  readonly args: Record<string, unknown>;
}

interface Wait {
  /** What the tool's answer depends on beyond the sidecar. */
  readonly on: string;
  readonly ms: number;
}

/** A log is a kubelet's to serve; a log part gets a log read's deadline. */
const WAITS: Partial<Readonly<Record<ToolName, Wait>>> = {
  get_pod_logs: { on: "the pod's node (its kubelet) or the API server", ms: LOG_PART_MS },
  query_metrics: { on: "the cluster's Prometheus", ms: TOOL_PART_MS },
  inspect_app: { on: "the app's endpoint", ms: TOOL_PART_MS },
};

const API_SERVER: Wait = { on: 'the Kubernetes API server', ms: TOOL_PART_MS };

/** Each part's text, in the parts' order; a failure is the tool's own message, a timeout names what it waited on. */
export async function toolTexts(parts: readonly ToolPart[], context: ServiceContext): Promise<string[]> {
  const outcomes = await Promise.all(
    parts.map((part) =>
      withinDeadline(
        (signal) => invokeToolText(part.tool, part.args, { ...context, signal }),
        waitOf(part.tool).ms,
        context.signal,
      ),
    ),
  );
  return outcomes.map((outcome, index) => {
    const tool = (parts[index] as ToolPart).tool;
    if (outcome.status === 'fulfilled') return outcome.value;
    const wait = waitOf(tool);
    return outcome.status === 'timed-out'
      ? `(${tool} did not answer within ${seconds(wait.ms)}: ${wait.on} is slow or down; the other sections stand)`
      : `(${tool} could not answer: ${outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)})`;
  });
}

function waitOf(tool: ToolName): Wait {
  return WAITS[tool] ?? API_SERVER;
}
