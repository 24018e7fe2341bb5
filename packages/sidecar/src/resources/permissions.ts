/**
 * `podmcp://self/permissions`: what this sidecar may do in its namespace, as the API server itself answers it
 * (SelfSubjectRulesReview) — so an agent can tell "RBAC forbids it" from "it is not there" before trying.
 */
import type { ResourceDefinition } from './definition.ts';

export const permissionsResource: ResourceDefinition = {
  uri: 'podmcp://self/permissions',
  name: 'self-permissions',
  title: "This sidecar's permissions",
  description:
    "What the sidecar's ServiceAccount may do in this namespace according to the API server (SelfSubjectRulesReview), and which tools this workload enabled.",
  mimeType: 'text/markdown',
  async read(_variables, context) {
    const review = await context.kube.reviews.selfSubjectRules();
    const rules = review.status?.resourceRules ?? [];
    const lines = [
      `# Permissions in namespace ${context.kube.namespace}`,
      '',
      `Mode ${context.settings.mode}; tools enabled: ${context.settings.tools.join(', ')}.`,
      '',
      '| API group | resources | verbs |',
      '|---|---|---|',
    ];
    for (const rule of rules) {
      const groups = (rule.apiGroups ?? ['']).map((group) => group || 'core').join(', ');
      lines.push(`| ${groups} | ${(rule.resources ?? []).join(', ')} | ${rule.verbs.join(', ')} |`);
    }
    if (review.status?.incomplete) {
      lines.push(
        '',
        `The API server says this list is incomplete: ${review.status.evaluationError ?? 'no reason given'}.`,
      );
    }
    return lines.join('\n');
  },
};
