/**
 * The fixed runbook each server follows for every scenario of the session-cost benchmark: an ordered list of
 * calls with its best tools, the same order for every scenario, walked until the scenario's facts are in the
 * answers so far (or the runbook ends). The order is what an agent that knows the server would do: its
 * diagnosis tool first if it has one, else the pod's state, then events, then logs (previous instance, then
 * current), then the workload and the ConfigMap it uses. Names an agent would read off an earlier answer
 * (the pod, the ConfigMap) are given directly. bench/README.md explains the choices.
 */
import type { ServerName } from '../mcp-servers.ts';
import type { Scenario } from './scenarios.ts';

export interface RunbookCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

export function runbookFor(server: ServerName, scenario: Scenario, namespace: string): RunbookCall[] {
  const { pod, container, workload, kind } = scenario;
  const configMap = scenario.configMap;
  switch (server) {
    case 'podmcp':
      return [
        { tool: 'diagnose', args: { workload: `${kind}/${workload}` } },
        { tool: 'get_pod_logs', args: { pod, container, previous: true, tail_lines: 100 } },
        { tool: 'get_pod_logs', args: { pod, container, tail_lines: 100 } },
        { tool: 'list_events', args: { object: `Pod/${pod}` } },
        ...(configMap ? [{ tool: 'get_resources', args: { kind: 'configmaps', name: configMap } }] : []),
      ];
    case 'kubernetes-mcp-server':
      return [
        { tool: 'pods_get', args: { namespace, name: pod } },
        { tool: 'events_list', args: { namespace, fieldSelector: `involvedObject.name=${pod}` } },
        { tool: 'pods_log', args: { namespace, name: pod, container, previous: true, tail: 100 } },
        { tool: 'pods_log', args: { namespace, name: pod, container, tail: 100 } },
        {
          tool: 'resources_get',
          args: { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, namespace, name: workload },
        },
        ...(configMap
          ? [{ tool: 'resources_get', args: { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: configMap } }]
          : []),
      ];
    case 'mcp-server-kubernetes':
      return [
        // describe is its richest single answer: state, last state, limits, requests and the pod's events.
        { tool: 'kubectl_describe', args: { resourceType: 'pod', name: pod, namespace } },
        {
          tool: 'kubectl_logs',
          args: { resourceType: 'pod', name: pod, namespace, container, previous: true, tail: 100 },
        },
        { tool: 'kubectl_logs', args: { resourceType: 'pod', name: pod, namespace, container, tail: 100 } },
        { tool: 'kubectl_describe', args: { resourceType: kind.toLowerCase(), name: workload, namespace } },
        ...(configMap
          ? [{ tool: 'kubectl_get', args: { resourceType: 'configmap', name: configMap, namespace, output: 'yaml' } }]
          : []),
      ];
  }
}
