/** Every prompt the sidecar offers. */
import type { PromptDefinition } from './definition.ts';

export const PROMPTS: readonly PromptDefinition[] = [];
