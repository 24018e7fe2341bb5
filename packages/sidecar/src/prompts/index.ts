/** Every prompt the sidecar offers, and the subset a workload's tools allow. */
import type { SidecarSettings } from '@podmcp/core';
import type { PromptDefinition } from './definition.ts';
import { diagnoseCrashLoop, explainWarnings, investigateRollout, namespaceHealth } from './workflows.ts';

export const PROMPTS: readonly PromptDefinition[] = [
  diagnoseCrashLoop,
  investigateRollout,
  namespaceHealth,
  explainWarnings,
];

export function enabledPrompts(settings: SidecarSettings): PromptDefinition[] {
  return PROMPTS.filter((prompt) => (prompt.requires ?? []).every((tool) => settings.tools.includes(tool)));
}
