/**
 * Every tool the sidecar has, in the contract's order (so tools/list is deterministic), and the subset a
 * workload enabled: its allow-list, with actions only in read-write mode.
 */
import { isActionTool, isPrometheusTool, type SidecarSettings, TOOL_NAMES, type ToolName } from '@podmcp/core';
import type { ToolDefinition } from './definition.ts';
import { deletePod } from './delete-pod.ts';
import { diagnose } from './diagnose.ts';
import { getPodLogs } from './get-pod-logs.ts';
import { getResources } from './get-resources.ts';
import { inspectApp } from './inspect-app.ts';
import { listDeployments } from './list-deployments.ts';
import { listEvents } from './list-events.ts';
import { listPods } from './list-pods.ts';
import { queryMetrics } from './query-metrics.ts';
import { readRunbook } from './read-runbook.ts';
import { restartDeployment } from './restart-deployment.ts';
import { rollbackDeployment } from './rollback-deployment.ts';
import { scaleWorkload } from './scale-workload.ts';

// biome-ignore lint/suspicious/noExplicitAny: definitions differ in their schema types; the wiring treats them alike.
type AnyTool = ToolDefinition<any, any>;

/** Each name's definition is the one declared with that name. */
type Catalogue = { readonly [Name in ToolName]: AnyTool & { readonly name: Name } };

/**
 * Every ToolName has its definition, under its own name: a tool added to the contract without one, or a name
 * paired with another tool's definition (`list_pods: listEvents`), does not compile.
 */
export const TOOL_DEFINITIONS: Catalogue = {
  diagnose,
  list_pods: listPods,
  get_pod_logs: getPodLogs,
  list_events: listEvents,
  list_deployments: listDeployments,
  get_resources: getResources,
  inspect_app: inspectApp,
  read_runbook: readRunbook,
  query_metrics: queryMetrics,
  restart_deployment: restartDeployment,
  scale_workload: scaleWorkload,
  delete_pod: deletePod,
  rollback_deployment: rollbackDeployment,
};

export function enabledTools(settings: SidecarSettings): ToolDefinition[] {
  return (
    TOOL_NAMES.filter((name) => settings.tools.includes(name))
      .filter((name) => settings.mode === 'read-write' || !isActionTool(name))
      // Without a configured Prometheus the metric history does not exist, rather than failing on every call.
      .filter((name) => settings.prometheus !== undefined || !isPrometheusTool(name))
      .map((name): AnyTool => TOOL_DEFINITIONS[name])
  );
}
