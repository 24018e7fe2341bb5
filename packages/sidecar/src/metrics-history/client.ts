/**
 * The cluster's Prometheus over its HTTP API, bounded: one timeout per request, a cap on the bytes read, no
 * redirects followed. It sends only queries that went through namespace enforcement (the EnforcedQuery type),
 * and every failure becomes a PrometheusUnavailable with a kind and a sentence, never a hang or a crash.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PrometheusSettings } from '@podmcp/core';
import { jwtClaims } from '../jwt.ts';
import type { EnforcedQuery } from './promql.ts';

/** A Prometheus answer larger than this is refused rather than parsed: narrow the query instead. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export type UnavailableKind = 'unreachable' | 'timeout' | 'error' | 'too-large' | 'unauthorized';

export class PrometheusUnavailable extends Error {
  override readonly name = 'PrometheusUnavailable';
  readonly kind: UnavailableKind;
  constructor(kind: UnavailableKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface Sample {
  readonly t: number;
  readonly v: number;
}

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: readonly Sample[];
}

export type QueryResult =
  | { readonly type: 'vector' | 'matrix'; readonly series: readonly Series[]; readonly warnings: readonly string[] }
  | {
      readonly type: 'scalar' | 'string';
      readonly value: Sample | { t: number; v: string };
      readonly warnings: readonly string[];
    };

export interface RangeWindow {
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  readonly stepSeconds: number;
}

export interface PrometheusClient {
  readonly url: string;
  instant(query: EnforcedQuery, time: number, signal?: AbortSignal): Promise<QueryResult>;
  range(query: EnforcedQuery, window: RangeWindow, signal?: AbortSignal): Promise<QueryResult>;
}

export function createPrometheusClient(settings: PrometheusSettings): PrometheusClient {
  const base = settings.url.replace(/\/+$/, '');
  const timeoutMs = settings.timeoutSeconds * 1000;
  const call = async (path: string, params: Record<string, string>, signal?: AbortSignal) => {
    // Prometheus stops evaluating at its own deadline a little before ours, so a slow query reports itself.
    const form = new URLSearchParams({ ...params, timeout: `${Math.max(1, settings.timeoutSeconds - 1)}s` });
    const answer = await post(`${base}${path}`, form.toString(), settings, timeoutMs, signal);
    return parseAnswer(answer.status, answer.body);
  };
  return {
    url: base,
    instant: (query, time, signal) => call('/api/v1/query', { query: query.text, time: String(time) }, signal),
    range: (query, window, signal) =>
      call(
        '/api/v1/query_range',
        {
          query: query.text,
          start: String(window.start),
          end: String(window.end),
          step: String(window.stepSeconds),
        },
        signal,
      ),
  };
}

function post(
  url: string,
  body: string,
  settings: PrometheusSettings,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    accept: 'application/json',
  };
  if (settings.auth === 'service-account') {
    headers.authorization = `Bearer ${readToken(settings.tokenFile, settings.tokenAudience)}`;
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: PrometheusUnavailable) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers,
        ...(settings.caBundle ? { ca: settings.caBundle } : {}),
        signal,
      },
      (response) => {
        readCapped(response, MAX_ANSWER_BYTES).then(
          (text) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: text });
          },
          (error: unknown) =>
            fail(
              error instanceof PrometheusUnavailable
                ? error
                : new PrometheusUnavailable('unreachable', describe(error)),
            ),
        );
      },
    );
    const timer = setTimeout(
      () =>
        fail(
          new PrometheusUnavailable(
            'timeout',
            `Prometheus at ${origin(url)} did not answer within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
    req.on('error', (error) =>
      fail(new PrometheusUnavailable('unreachable', `Prometheus at ${origin(url)} is unreachable: ${describe(error)}`)),
    );
    req.end(body);
  });
}

function readCapped(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        response.destroy();
        reject(
          new PrometheusUnavailable(
            'too-large',
            `the answer is larger than ${maxBytes / 1024 / 1024} MiB; aggregate (sum by, topk) or narrow the selectors`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

/**
 * Read on every request, so a token the kubelet rotated is the one sent. A token is sent only if it is bound to
 * the Prometheus audience alone: one the API server would also accept must never leave for a third party.
 */
function readToken(file: string | undefined, audience: string | undefined): string {
  if (!file || !audience) {
    throw new PrometheusUnavailable('unauthorized', 'no token file and audience for Prometheus are configured');
  }
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new PrometheusUnavailable('unauthorized', `the Prometheus token cannot be read: ${describe(error)}`);
  }
  const problem = audienceProblem(token, audience);
  if (problem) throw new PrometheusUnavailable('unauthorized', `the token in ${file} is not sent: ${problem}`);
  return token;
}

/** Why a token is not one for `audience` alone, judged from its claims (the Prometheus side verifies them). */
export function audienceProblem(token: string, audience: string): string | undefined {
  const claims = jwtClaims(token);
  if (!claims) return 'it is not a ServiceAccount token (JWT)';
  const claimed = claims.aud;
  const aud = typeof claimed === 'string' ? [claimed] : Array.isArray(claimed) ? claimed.map(String) : [];
  if (aud.length === 0) return 'it names no audience';
  if (aud.some((item) => item !== audience)) {
    return `its audience is ${aud.join(', ')}, not ${audience} alone`;
  }
  return undefined;
}

interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}

function parseAnswer(status: number, body: string): QueryResult {
  let answer: ApiAnswer | undefined;
  try {
    answer = JSON.parse(body) as ApiAnswer;
  } catch {
    answer = undefined;
  }
  if (status === 401 || status === 403) {
    throw new PrometheusUnavailable(
      'unauthorized',
      `Prometheus refused the request (HTTP ${status}): check its auth settings`,
    );
  }
  if (!answer || typeof answer !== 'object') {
    throw new PrometheusUnavailable('error', `Prometheus answered HTTP ${status} with no API answer`);
  }
  if (answer.status !== 'success') {
    const kind = answer.errorType === 'timeout' ? 'timeout' : 'error';
    throw new PrometheusUnavailable(
      kind,
      `Prometheus answered HTTP ${status}: ${answer.errorType ?? 'error'}: ${String(answer.error ?? 'no detail').slice(0, 500)}`,
    );
  }
  const warnings = (answer.warnings ?? []).map(String).slice(0, 5);
  const type = answer.data?.resultType;
  const result = answer.data?.result;
  if (type === 'scalar' || type === 'string') {
    const [t, v] = result as [number, string];
    return { type, value: type === 'scalar' ? { t, v: Number(v) } : { t, v }, warnings };
  }
  if ((type === 'vector' || type === 'matrix') && Array.isArray(result)) {
    const series = result.map(
      (item: { metric?: Record<string, string>; value?: [number, string]; values?: [number, string][] }) => ({
        labels: item.metric ?? {},
        samples: (type === 'vector' ? (item.value ? [item.value] : []) : (item.values ?? [])).map(([t, v]) => ({
          t,
          v: Number(v),
        })),
      }),
    );
    return { type, series, warnings };
  }
  throw new PrometheusUnavailable('error', `Prometheus answered an unknown result type ${String(type)}`);
}

function origin(url: string): string {
  return new URL(url).origin;
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
