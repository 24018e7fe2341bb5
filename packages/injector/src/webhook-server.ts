/**
 * The webhook's HTTP edge: one route, POST /mutate, AdmissionReview JSON in and out. It sits in the path of
 * every opted-in pod creation, so it is a bare node:https server rather than a router: the work per request
 * is one body read (bounded), one JSON parse and one pure `review()` call.
 */
import { isAscii } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server, type ServerOptions } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import getRawBody from 'raw-body';
import { type AdmissionOutcome, encodeReview, MalformedReviewError, review } from './admission.ts';
import type { ClusterFacts } from './cluster-facts.ts';
import type { InjectorConfig } from './config.ts';
import type { InjectorMetrics } from './metrics.ts';
import type { LoadedCertificate } from './serving-certificate.ts';

/** A pod with thousands of env vars is a few hundred KiB; the API server itself caps requests at 3 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface WebhookOptions {
  readonly config: () => InjectorConfig;
  readonly cluster: ClusterFacts;
  readonly logger: Logger;
  readonly metrics: InjectorMetrics;
  readonly onOutcome?: (outcome: AdmissionOutcome) => void;
  readonly bodyLimitBytes?: number;
}

export function createWebhookHandler(options: WebhookOptions) {
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/mutate')
      return fail(response, 404, `no such path ${JSON.stringify(path)}; the webhook is POST /mutate`);
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return fail(response, 405, `${request.method} is not allowed; the webhook takes POST`);
    }
    const contentType = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      return fail(response, 415, `content type must be application/json, got ${JSON.stringify(contentType)}`);
    }

    let text: string;
    try {
      text = decodeBody(await getRawBody(request, { limit, length: request.headers['content-length'] }));
    } catch (error) {
      const status = (error as { status?: number }).status ?? 400;
      const message =
        status === 413
          ? `request body is larger than the ${limit}-byte limit`
          : `could not read the request body: ${(error as Error).message}`;
      return fail(response, status, message);
    }

    const started = performance.now();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return fail(response, 400, `request body is not valid JSON: ${(error as Error).message}`);
    }
    let answer: ReturnType<typeof review>;
    try {
      answer = review(body, options.config(), options.cluster);
    } catch (error) {
      if (error instanceof MalformedReviewError)
        return fail(response, 400, `malformed AdmissionReview: ${error.message}`);
      throw error;
    }
    const payload = encodeReview(answer.review);
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    response.end(payload);
    record(options, answer.outcome, (performance.now() - started) / 1000);
  };
}

/**
 * The body as text, decoded once from the whole buffer rather than chunk by chunk into a string JSON.parse must
 * flatten again (a 2000-env pod is a few hundred KiB). AdmissionReviews are ASCII in practice, which latin1 reads
 * byte for byte and fastest; anything else is UTF-8 with a leading byte-order mark dropped, as before.
 */
function decodeBody(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function record(options: WebhookOptions, outcome: AdmissionOutcome, seconds: number): void {
  const { metrics, logger } = options;
  metrics.requests.inc({ result: outcome.result, reason: outcome.reason });
  metrics.duration.observe({ result: outcome.result }, seconds);
  if (outcome.reason === 'invalid-annotation') {
    for (const key of invalidKeys(outcome.messages)) metrics.invalidAnnotations.inc({ key });
  }
  const owner =
    outcome.pod?.metadata?.ownerReferences?.find((reference) => reference.controller) ??
    outcome.pod?.metadata?.ownerReferences?.[0];
  // One line per decision; never the whole pod at info level (it can carry thousands of env values).
  logger.info(
    {
      uid: outcome.uid,
      namespace: outcome.namespace,
      owner: owner ? `${owner.kind}/${owner.name}` : undefined,
      pod: outcome.pod?.metadata?.name ?? outcome.pod?.metadata?.generateName,
      result: outcome.result,
      reason: outcome.reason,
      messages: outcome.messages,
      warnings: outcome.warnings.length > 0 ? outcome.warnings : undefined,
      dryRun: outcome.dryRun || undefined,
      durationMs: Math.round(seconds * 1e6) / 1e3,
    },
    'admission decision',
  );
  options.onOutcome?.(outcome);
}

function invalidKeys(messages: readonly string[]): string[] {
  return messages.flatMap((message) => /^(podmcp\.dev\/[a-z-]+):/.exec(message)?.[1] ?? []);
}

function fail(response: ServerResponse, status: number, message: string): void {
  const payload = JSON.stringify({ error: message });
  // Errors close the connection: the rest of a refused body is not worth reading.
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    Connection: 'close',
  });
  response.end(payload);
}

export interface WebhookServerOptions extends WebhookOptions {
  readonly certificate: LoadedCertificate;
  /** Whole-request deadline; the API server gives up after the webhook's timeoutSeconds anyway. */
  readonly requestTimeoutMs?: number;
}

/** TLS and deadline settings of the webhook listener; exported so a benchmark baseline can match them exactly. */
export function webhookServerSettings(
  certificate: Pick<LoadedCertificate, 'certPem' | 'keyPem'>,
  requestTimeoutMs: number,
): ServerOptions {
  return {
    cert: certificate.certPem,
    key: certificate.keyPem,
    minVersion: 'TLSv1.2',
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 5_000),
    // Node checks those deadlines on this interval (30 s by default), which would let a stalled
    // client hold a connection far past the webhook's own timeoutSeconds.
    connectionsCheckingInterval: Math.max(250, Math.min(1_000, requestTimeoutMs / 2)),
    keepAliveTimeout: 30_000,
  };
}

export function createWebhookServer(options: WebhookServerOptions): Server {
  const handle = createWebhookHandler(options);
  const server = createHttpsServer(
    webhookServerSettings(options.certificate, options.requestTimeoutMs ?? 10_000),
    (request, response) => {
      handle(request, response).catch((error: Error) => {
        options.logger.error({ err: error }, 'webhook handler failed');
        if (!response.headersSent) fail(response, 500, `internal error: ${error.message}`);
        else response.destroy();
      });
    },
  );
  return server;
}

/** Swaps the serving certificate of a running server; connections already open keep theirs. */
export function installCertificate(server: Server, certificate: LoadedCertificate): void {
  server.setSecureContext({ cert: certificate.certPem, key: certificate.keyPem, minVersion: 'TLSv1.2' });
}
