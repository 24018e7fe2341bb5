/**
 * The anatomy of what a failed Kubernetes API call throws, read the same way by every package: the HTTP status
 * (client-node's ApiException.code), the API server's Status body (often handed over as text), a one-line
 * message in the API server's own words, and — when no answer came at all — the network cause. Each package
 * words its own advice from these parts; none parses the error itself.
 */
import { STATUS_CODES } from 'node:http';

/** The parts of a Kubernetes Status object a message is built from. */
export interface ApiStatus {
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly name?: string; readonly kind?: string };
}

/** How long a non-JSON body may be when it stands in for the message. */
const BODY_EXCERPT = 300;
/** How deep the `cause` chain is followed (fetch wraps the socket error once or twice). */
const CAUSE_DEPTH = 5;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE']);
/** The connection stood but the API server went silent: no response headers, or a body that stopped flowing. */
const SILENCE_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The HTTP status of a failed call (ApiException's `code`, or a `statusCode`), if the API server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  const holder = error as { code?: unknown; statusCode?: unknown } | null | undefined;
  const code = holder?.code ?? holder?.statusCode;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

/** The Status body, parsed when it came as text; a body that is not JSON becomes the message, cut short. */
export function apiStatusOf(error: unknown): ApiStatus | undefined {
  const body = (error as { body?: unknown } | null | undefined)?.body;
  if (typeof body === 'object' && body !== null) return body as ApiStatus;
  if (typeof body !== 'string' || body.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ApiStatus) : undefined;
  } catch {
    return { message: body.trim().slice(0, BODY_EXCERPT) };
  }
}

/**
 * The API server's own words; failing that a one-line summary of the error, never client-node's dump of
 * headers and body; failing that the HTTP reason phrase.
 */
export function apiMessageOf(error: unknown): string {
  const status = apiStatusOf(error);
  if (status?.message) return status.message;
  if (status?.reason) return status.reason;
  const text = error instanceof Error ? error.message : error === undefined || error === null ? '' : String(error);
  // ApiException's message is "HTTP-Code: …\nMessage: …\nBody: …\nHeaders: …"; the Message line is its summary.
  const summary = (/^Message: (.*)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? '').trim();
  if (summary !== '' && summary !== 'Unknown API Status Code!') return summary.slice(0, BODY_EXCERPT);
  const code = httpStatusOf(error);
  return (code !== undefined ? STATUS_CODES[code] : undefined) ?? 'no details';
}

/** Why no answer came, when none did: `silent` (connected, nothing came back) or `unreachable`. */
export interface TransportFailure {
  readonly kind: 'silent' | 'unreachable';
  /** The network error's code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT), else the error's message. */
  readonly detail: string;
}

export function transportFailureOf(error: unknown): TransportFailure | undefined {
  if (httpStatusOf(error) !== undefined) return undefined;
  const silence = codesOf(error).find((code) => SILENCE_CODES.has(code));
  if (silence !== undefined) return { kind: 'silent', detail: silence };
  if (!isNetworkError(error)) return undefined;
  return { kind: 'unreachable', detail: networkCodeOf(error) ?? errorMessage(error) };
}

/** The first string `code` along the cause chain (ECONNREFUSED under fetch's "fetch failed"). */
export function networkCodeOf(error: unknown): string | undefined {
  return codesOf(error)[0];
}

function isNetworkError(error: unknown): boolean {
  for (const current of causeChain(error)) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return true;
    const message = current instanceof Error ? current.message : '';
    if (/fetch failed|socket hang up|other side closed/i.test(message)) return true;
  }
  return false;
}

function codesOf(error: unknown): string[] {
  return causeChain(error)
    .map((current) => (current as { code?: unknown }).code)
    .filter((code): code is string => typeof code === 'string');
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error, depth = 0; current && depth < CAUSE_DEPTH; depth += 1) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
