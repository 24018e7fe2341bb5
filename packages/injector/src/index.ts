/**
 * The public surface of @podmcp/injector: what the CLI (and the tests that drive it like the CLI) use. Named,
 * so a symbol leaves the package only when another package uses it.
 */
export { createCertificateAuthority, issueServingCertificate } from './certificates.ts';
export type { ClusterFacts } from './cluster-facts.ts';
export { defaultInjectorConfig, type InjectorConfig, parseInjectorConfig } from './config.ts';
export { injectManifests, type ObjectReport } from './manifests.ts';
export { runWebhook, type WebhookRunOptions } from './run-webhook.ts';
export { startSelfSignedCertificates } from './self-signed/manager.ts';
