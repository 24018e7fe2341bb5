/** Every resource and resource template the sidecar serves, and the subset a workload's tools allow. */
import type { SidecarSettings } from '@podmcp/core';
import type { ResourceDefinition } from './definition.ts';
import {
  appMetricsResource,
  configMapResource,
  eventsResource,
  podLogsResource,
  podResource,
  runbookResource,
  workloadResource,
} from './from-tools.ts';
import { permissionsResource } from './permissions.ts';
import { selfResource } from './self.ts';

export const RESOURCES: readonly ResourceDefinition[] = [
  selfResource,
  permissionsResource,
  eventsResource,
  appMetricsResource,
  podResource,
  podLogsResource,
  workloadResource,
  configMapResource,
  runbookResource,
];

export function enabledResources(settings: SidecarSettings): ResourceDefinition[] {
  return RESOURCES.filter(
    (resource) =>
      (!resource.requires || settings.tools.includes(resource.requires)) && (resource.when?.(settings) ?? true),
  );
}
