/**
 * Errors of Kubernetes API calls, reworded so a log line says what was attempted, the HTTP status, and the
 * API server's own explanation (for a 403 that names the user, verb and resource RBAC refused). The parts are
 * read by core's anatomy of API errors, as everywhere else in podmcp.
 */
import { apiMessageOf, apiStatusOf, httpStatusOf, networkCodeOf } from '@podmcp/core';

export class KubernetesApiError extends Error {
  override name = 'KubernetesApiError';
  /** The HTTP status, or undefined when the API server was not reached at all. */
  readonly code: number | undefined;

  constructor(message: string, code: number | undefined, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** Runs one API call; a failure becomes a KubernetesApiError that starts with `action` ("get Secret ns/name"). */
export async function kubernetesCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw describeApiError(action, error);
  }
}

export function describeApiError(action: string, error: unknown): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const code = httpStatusOf(error);
  if (code === undefined) {
    const network = networkCodeOf(error);
    const detail = `${apiMessageOf(error)}${network ? ` (${network})` : ''}`;
    return new KubernetesApiError(`cannot ${action}: the API server did not answer: ${detail}`, undefined, error);
  }
  const reason = apiStatusOf(error)?.reason;
  const hint = code === 403 ? "; the injector's ServiceAccount lacks the RBAC of the self-signed mode" : '';
  return new KubernetesApiError(
    `cannot ${action}: HTTP ${code}${reason ? ` ${reason}` : ''}: ${apiMessageOf(error)}${hint}`,
    code,
    error,
  );
}
