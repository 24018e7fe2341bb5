/**
 * The one injector configuration the benchmark uses, shared by the webhook under test (in its own process)
 * and by the load generator (which computes the answers to expect), so both sides agree byte for byte.
 */

import type { ClusterFacts } from '../../packages/injector/src/cluster-facts.ts';
import { defaultInjectorConfig, type InjectorConfig } from '../../packages/injector/src/config.ts';

// Parsed once, as a running injector holds its loaded ConfigMap; re-validating it per request would
// measure the schema library rather than the webhook.
const config = defaultInjectorConfig();

export function benchConfig(): InjectorConfig {
  return config;
}

export const benchCluster: ClusterFacts = { nativeSidecars: true };
