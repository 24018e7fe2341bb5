/** Every resource and resource template the sidecar serves. */
import type { ResourceDefinition } from './definition.ts';
import { permissionsResource } from './permissions.ts';
import { selfResource } from './self.ts';

export const RESOURCES: readonly ResourceDefinition[] = [selfResource, permissionsResource];
