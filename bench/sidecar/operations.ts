/**
 * The four questions every server is asked, and how each server spells them: one tool call per server, with
 * the arguments an agent would pass (each server's defaults otherwise), plus the same reads made directly
 * with @kubernetes/client-node as the floor. Each answer is checked for the information asked for, so a
 * server that answers fast with an error or with nothing cannot look good.
 */
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@modelcontextprotocol/client';
import type { ServerName } from './mcp-servers.ts';

export const OPERATIONS = ['list_pods', 'pod_logs', 'warning_events', 'deployment_status'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Target {
  readonly namespace: string;
  readonly logPod: string;
  readonly deployment: string;
}

export interface ToolCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

/** Per server, per operation: the tool and its arguments. */
export function toolCallFor(server: ServerName, operation: Operation, target: Target): ToolCall {
  const { namespace, logPod, deployment } = target;
  switch (server) {
    case 'podmcp':
      return {
        list_pods: { tool: 'list_pods', args: {} },
        pod_logs: { tool: 'get_pod_logs', args: { pod: logPod, tail_lines: 100 } },
        warning_events: { tool: 'list_events', args: { warnings_only: true } },
        deployment_status: { tool: 'list_deployments', args: { name: deployment, kinds: ['deployments'] } },
      }[operation];
    case 'kubernetes-mcp-server':
      return {
        list_pods: { tool: 'pods_list_in_namespace', args: { namespace } },
        pod_logs: { tool: 'pods_log', args: { namespace, name: logPod, tail: 100 } },
        warning_events: { tool: 'events_list', args: { namespace, fieldSelector: 'type=Warning' } },
        deployment_status: {
          tool: 'resources_get',
          args: { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: deployment },
        },
      }[operation];
    case 'mcp-server-kubernetes':
      return {
        list_pods: { tool: 'kubectl_get', args: { resourceType: 'pods', namespace } },
        pod_logs: { tool: 'kubectl_logs', args: { resourceType: 'pod', name: logPod, namespace, tail: 100 } },
        warning_events: {
          tool: 'kubectl_get',
          args: { resourceType: 'events', namespace, fieldSelector: 'type=Warning' },
        },
        deployment_status: { tool: 'kubectl_get', args: { resourceType: 'deployments', name: deployment, namespace } },
      }[operation];
  }
}

/** Something every right answer to the operation contains. */
export function expectedText(operation: Operation, target: Target): string {
  return {
    list_pods: 'worker-',
    pod_logs: 'handled request',
    warning_events: 'Readiness probe failed',
    deployment_status: target.deployment,
  }[operation];
}

export interface Answer {
  /** Text content, what a model reads: the size of the answer and its token estimate. */
  readonly textBytes: number;
  /** The whole JSON-RPC result (text and structured content), what crosses the transport. */
  readonly resultBytes: number;
  /** undefined when right; else why not. */
  readonly problem: string | undefined;
}

export async function callOperation(client: Client, call: ToolCall, expected: string): Promise<Answer> {
  const result = await client.callTool({ name: call.tool, arguments: call.args });
  const text = (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('\n');
  const textBytes = Buffer.byteLength(text);
  const resultBytes = Buffer.byteLength(JSON.stringify(result));
  let problem: string | undefined;
  if (result.isError) problem = `isError: ${text.slice(0, 300)}`;
  else if (!text.includes(expected) && !JSON.stringify(result.structuredContent ?? '').includes(expected)) {
    problem = `answer lacks ${JSON.stringify(expected)}: ${text.slice(0, 300)}`;
  }
  return { textBytes, resultBytes, problem };
}

/** The floor: the same reads with @kubernetes/client-node, as the sidecar's own client makes them. */
export function directCall(kubeConfig: KubeConfig, operation: Operation, target: Target): () => Promise<Answer> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const { namespace } = target;
  const sized = (value: unknown, expected: string): Answer => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const bytes = Buffer.byteLength(text);
    return { textBytes: bytes, resultBytes: bytes, problem: text.includes(expected) ? undefined : 'missing data' };
  };
  const expected = expectedText(operation, target);
  switch (operation) {
    case 'list_pods':
      return async () => sized(await core.listNamespacedPod({ namespace }), expected);
    case 'pod_logs':
      return async () =>
        sized(await core.readNamespacedPodLog({ namespace, name: target.logPod, tailLines: 100 }), expected);
    case 'warning_events':
      return async () => sized(await core.listNamespacedEvent({ namespace, fieldSelector: 'type=Warning' }), expected);
    case 'deployment_status':
      return async () => sized(await apps.readNamespacedDeployment({ namespace, name: target.deployment }), expected);
  }
}
