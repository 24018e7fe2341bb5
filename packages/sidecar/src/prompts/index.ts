/** Every prompt the sidecar offers, and the subset a workload's tools allow. */
import { isPrometheusTool, type SidecarSettings } from '@podmcp/core';
import type { PromptDefinition } from './definition.ts';
import { workloadMetricHistory } from './metric-history.ts';
import { diagnoseCrashLoop, explainWarnings, investigateRollout, namespaceHealth } from './workflows.ts';

export const PROMPTS: readonly PromptDefinition[] = [
  diagnoseCrashLoop,
  investigateRollout,
  namespaceHealth,
  explainWarnings,
  workloadMetricHistory,
];

export function enabledPrompts(settings: SidecarSettings): PromptDefinition[] {
  return PROMPTS.filter((prompt) =>
    (prompt.requires ?? []).every(
      (tool) => settings.tools.includes(tool) && (settings.prometheus !== undefined || !isPrometheusTool(tool)),
    ),
  );
}
