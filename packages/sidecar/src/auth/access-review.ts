/**
 * What a remote caller may do, asked of the API server with a SubjectAccessReview on a virtual resource in the
 * sidecar's namespace: verb `use` on `tools.podmcp.dev`, with the tool's name as the resource name. So plain
 * RBAC grants an agent exactly the tools it should have:
 *
 *   kubectl create role agent -n NS --verb=use --resource=tools.podmcp.dev --resource-name=list_pods,diagnose
 *   kubectl create rolebinding agent -n NS --role=agent --serviceaccount=AGENT_NS:AGENT_SA
 *
 * A Role without resource names grants every tool. Two more names cover what is not a tool: `resources`
 * (listing and reading MCP resources, which are read views built from the read tools) and `prompts`.
 */
import type { CallerIdentity, ReviewClient } from './token-review.ts';

export const TOOLS_GROUP = 'podmcp.dev';
export const TOOLS_RESOURCE = 'tools';
export const USE_VERB = 'use';
/** The resource name that grants MCP resources (resources/list, resources/read, …). */
export const RESOURCES_NAME = 'resources';
/** The resource name that grants MCP prompts (prompts/list, prompts/get). */
export const PROMPTS_NAME = 'prompts';

export interface AccessVerdict {
  readonly allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  readonly reason?: string | undefined;
}

/** Rejects only when the review could not be made; a denial is a verdict. */
export async function reviewAccess(
  client: ReviewClient,
  identity: CallerIdentity,
  namespace: string,
  name: string,
): Promise<AccessVerdict> {
  const status = await client.accessReview({
    user: identity.username,
    ...(identity.uid ? { uid: identity.uid } : {}),
    groups: [...identity.groups],
    ...(identity.extra
      ? { extra: Object.fromEntries(Object.entries(identity.extra).map(([key, values]) => [key, [...values]])) }
      : {}),
    resourceAttributes: { namespace, group: TOOLS_GROUP, resource: TOOLS_RESOURCE, verb: USE_VERB, name },
  });
  return { allowed: status.allowed === true && status.denied !== true, reason: status.reason || undefined };
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The RoleBinding subject flag for an identity: `--serviceaccount=ns:name`, else `--user=name`. */
function subjectFlag(username: string): string {
  const match = SERVICE_ACCOUNT_USER.exec(username);
  return match ? `--serviceaccount=${match[1]}:${match[2]}` : `--user=${username}`;
}

/**
 * The missing permission, spelled out with the two commands that grant it. `names` are the resource names
 * (tools) asked for; empty means "any tool of this sidecar".
 */
export function describeMissingPermission(username: string, namespace: string, names: readonly string[]): string {
  const what =
    names.length === 1
      ? `${TOOLS_RESOURCE}.${TOOLS_GROUP} ${JSON.stringify(names[0])}`
      : `any ${TOOLS_RESOURCE}.${TOOLS_GROUP} of this sidecar`;
  const grant = names.length === 1 ? names[0] : 'list_pods,diagnose';
  const role = 'podmcp-agent';
  return (
    `${username} cannot ${USE_VERB} ${what} in namespace ${namespace}; grant it with a Role: ` +
    `kubectl create role ${role} -n ${namespace} --verb=${USE_VERB} --resource=${TOOLS_RESOURCE}.${TOOLS_GROUP} --resource-name=${grant} ` +
    `&& kubectl create rolebinding ${role} -n ${namespace} --role=${role} ${subjectFlag(username)}` +
    (names.length === 1 ? '' : ' (name the tools the agent needs; a Role without --resource-name grants every tool)')
  );
}
