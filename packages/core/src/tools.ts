/**
 * The sidecar's tool catalogue, by name. It lives in the contract because the injector validates the
 * `tools` allow-list annotation against it, and the sidecar registers exactly these tools (a test checks both
 * sides agree).
 */

export const READ_TOOLS = [
  'diagnose',
  'list_pods',
  'get_pod_logs',
  'list_events',
  'list_deployments',
  'get_resources',
  'inspect_app',
  'read_runbook',
] as const;

/**
 * Read tools that exist only when the cluster configures what they read (a Prometheus for the metric history);
 * they are in the default allow-list only then.
 */
export const PROMETHEUS_TOOLS = ['query_metrics'] as const;

export const ACTION_TOOLS = ['restart_deployment', 'scale_workload', 'delete_pod', 'rollback_deployment'] as const;

export type ReadToolName = (typeof READ_TOOLS)[number] | (typeof PROMETHEUS_TOOLS)[number];
export type ActionToolName = (typeof ACTION_TOOLS)[number];
export type ToolName = ReadToolName | ActionToolName;

export const TOOL_NAMES: readonly ToolName[] = [...READ_TOOLS, ...PROMETHEUS_TOOLS, ...ACTION_TOOLS];

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

export function isActionTool(name: ToolName): name is ActionToolName {
  return (ACTION_TOOLS as readonly string[]).includes(name);
}

export function isPrometheusTool(name: ToolName): boolean {
  return (PROMETHEUS_TOOLS as readonly string[]).includes(name);
}
