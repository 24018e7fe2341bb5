/** Every resource and resource template the sidecar serves. */
import type { ResourceDefinition } from './definition.ts';

export const RESOURCES: readonly ResourceDefinition[] = [];
