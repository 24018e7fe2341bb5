/**
 * Turns what the Kubernetes client throws into a ToolFailure an agent can act on: not found (and where to
 * look instead), forbidden (which verb on which resource is missing), unreachable (say so; the sidecar keeps
 * serving). Pure: works on the error object only.
 */
import { apiMessageOf, httpStatusOf, isNotFound, transportFailureOf } from '@podmcp/core';
import { ToolFailure } from '../failure.ts';

export { isNotFound };

/** `what` names the thing the tool was after, e.g. `pod "web-1"` or `deployments`. */
export function describeKubeError(error: unknown, what: string): ToolFailure {
  if (error instanceof ToolFailure) return error;
  if (error instanceof Error && error.name === 'NamespaceViolation') {
    return new ToolFailure(`podmcp refused the request: ${error.message}`, 'refused');
  }
  const code = httpStatusOf(error);
  if (code !== undefined) return statusFailure(code, apiMessageOf(error), what);
  const transport = transportFailureOf(error);
  if (transport?.kind === 'silent') {
    return new ToolFailure(
      `The Kubernetes API server did not answer in time (${transport.detail}): the connection is open but nothing came back. The sidecar keeps serving; retry in a moment, and check the API server's load or the pod's network if it persists.`,
      'unreachable',
    );
  }
  if (transport?.kind === 'unreachable') {
    return new ToolFailure(
      `The Kubernetes API server is unreachable (${transport.detail}). The sidecar keeps serving; retry in a moment, and check the API server or the pod's network if it persists.`,
      'unreachable',
    );
  }
  return new ToolFailure(
    `Reading ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    'invalid',
  );
}

/** The API server answered `code`: what it means for the agent, in the API server's own words. */
function statusFailure(code: number, message: string, what: string): ToolFailure {
  if (code === 404) return new ToolFailure(`${what} was not found in this namespace.`, 'not-found');
  if (code === 403) {
    return new ToolFailure(
      `Kubernetes RBAC refused this: ${message}. The sidecar's ServiceAccount lacks that permission; an administrator can grant it with a Role in this namespace (see manifests/sidecar-rbac).`,
      'forbidden',
    );
  }
  if (code === 401) {
    return new ToolFailure(
      `The API server did not accept the sidecar's credentials (401: ${message}). Its service-account token may have expired or been revoked.`,
      'forbidden',
    );
  }
  if (code === 409) return new ToolFailure(`Conflict on ${what}: ${message}. Read it again and retry.`, 'conflict');
  if (code === 422 || code === 400)
    return new ToolFailure(`The API server rejected the request: ${message}`, 'invalid');
  if (code === 429) {
    return new ToolFailure(`The API server is throttling requests: ${message}. Retry shortly.`, 'rate-limited');
  }
  if (code >= 500) return new ToolFailure(`The API server failed (${code}): ${message}. Retry shortly.`, 'unreachable');
  return new ToolFailure(`The API server answered ${code}: ${message}`, 'invalid');
}
