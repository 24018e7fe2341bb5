/**
 * Turns what the Kubernetes client throws into a ToolFailure an agent can act on: not found (and where to
 * look instead), forbidden (which verb on which resource is missing), unreachable (say so; the sidecar keeps
 * serving). Pure: works on the error object only.
 */
import { STATUS_CODES } from 'node:http';
import { ToolFailure } from '../failure.ts';

interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly name?: string; readonly kind?: string };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE']);
/** The connection stood but the API server went silent: no response headers, or a body that stopped flowing. */
const SILENCE_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** `what` names the thing the tool was after, e.g. `pod "web-1"` or `deployments`. */
export function describeKubeError(error: unknown, what: string): ToolFailure {
  if (error instanceof ToolFailure) return error;
  if (error instanceof Error && error.name === 'NamespaceViolation') {
    return new ToolFailure(`podmcp refused the request: ${error.message}`, 'refused');
  }
  const code = statusCode(error);
  if (code !== undefined) {
    const message = statusMessage(error, code);
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
    if (code === 429)
      return new ToolFailure(`The API server is throttling requests: ${message}. Retry shortly.`, 'rate-limited');
    if (code >= 500)
      return new ToolFailure(`The API server failed (${code}): ${message}. Retry shortly.`, 'unreachable');
    return new ToolFailure(`The API server answered ${code}: ${message}`, 'invalid');
  }
  const silence = codeIn(error, SILENCE_CODES);
  if (silence !== undefined) {
    return new ToolFailure(
      `The Kubernetes API server did not answer in time (${silence}): the connection is open but nothing came back. The sidecar keeps serving; retry in a moment, and check the API server's load or the pod's network if it persists.`,
      'unreachable',
    );
  }
  if (isNetworkError(error)) {
    return new ToolFailure(
      `The Kubernetes API server is unreachable (${networkDetail(error)}). The sidecar keeps serving; retry in a moment, and check the API server or the pod's network if it persists.`,
      'unreachable',
    );
  }
  return new ToolFailure(
    `Reading ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    'invalid',
  );
}

export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

function statusBody(error: unknown): StatusBody | undefined {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : undefined;
  } catch {
    return { message: body.slice(0, 300) };
  }
}

/** The API server's own words; failing that a one-line summary, never the client's dump of headers and body. */
function statusMessage(error: unknown, code: number): string {
  const status = statusBody(error);
  if (status?.message) return status.message;
  if (status?.reason) return status.reason;
  const text = error instanceof Error ? error.message : '';
  // ApiException's message is "HTTP-Code: …\nMessage: …\nBody: …\nHeaders: …"; the Message line is its summary.
  const summary = (/^Message: (.*)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? '').trim();
  return summary !== '' && summary !== 'Unknown API Status Code!'
    ? summary.slice(0, 300)
    : (STATUS_CODES[code] ?? 'no details');
}

function codeIn(error: unknown, codes: ReadonlySet<string>): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isNetworkError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
    const message = current instanceof Error ? current.message : '';
    if (/fetch failed|socket hang up|other side closed/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function networkDetail(error: unknown): string {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}
