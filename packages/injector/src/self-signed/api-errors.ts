/**
 * Errors of Kubernetes API calls, reworded so a log line says what was attempted, the HTTP status, and the
 * API server's own explanation (for a 403 that names the user, verb and resource RBAC refused).
 */

export class KubernetesApiError extends Error {
  override name = 'KubernetesApiError';
  /** The HTTP status, or undefined when the API server was not reached at all. */
  readonly code: number | undefined;

  constructor(message: string, code: number | undefined, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** The HTTP status of a failed client-node call, if it got that far. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
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
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const detail = `${(error as Error).message ?? String(error)}${cause ? ` (${cause})` : ''}`;
    return new KubernetesApiError(`cannot ${action}: the API server did not answer: ${detail}`, undefined, error);
  }
  const status = statusOf((error as { body?: unknown }).body);
  const reason = status?.reason ? ` ${status.reason}` : '';
  // client-node drops the body of a 401, so the status line is all there is.
  const explanation =
    status?.message ?? (code === 401 ? 'the credentials were not accepted' : 'no explanation in the response');
  const hint = code === 403 ? "; the injector's ServiceAccount lacks the RBAC of the self-signed mode" : '';
  return new KubernetesApiError(`cannot ${action}: HTTP ${code}${reason}: ${explanation}${hint}`, code, error);
}

interface Status {
  readonly reason?: string;
  readonly message?: string;
}

/** client-node hands over the response body as text; the API server sends a Status object. */
function statusOf(body: unknown): Status | undefined {
  if (typeof body === 'object' && body !== null) return body as Status;
  if (typeof body !== 'string' || body === '') return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Status) : undefined;
  } catch {
    return { message: body.slice(0, 500) };
  }
}
