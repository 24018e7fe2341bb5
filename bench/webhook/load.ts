/**
 * A closed-loop load generator: a fixed number of keep-alive connections, each sending its next request as
 * soon as the previous answer is in, until a deadline or a request budget runs out, whichever comes first.
 * Every answer is checked; only right answers count towards throughput and latency.
 */
import { type Agent, request } from 'node:https';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export interface LoadPlan {
  readonly connections: number;
  readonly seconds: number;
  readonly maxRequests: number;
  readonly requestTimeoutMs: number;
}

export interface LoadTarget {
  readonly port: number;
  /** Keep-alive, at least `connections` sockets, trusting the servers' CA. */
  readonly agent: Agent;
}

export interface LoadResult {
  readonly ok: number;
  readonly errors: number;
  /** Distinct error messages with their counts, the first few only. */
  readonly errorSamples: ReadonlyMap<string, number>;
  readonly seconds: number;
  /** Latency of right answers, in microseconds. */
  readonly latency: RecordableHistogram;
}

const MAX_ERROR_SAMPLES = 5;

export function newLatencyHistogram(): RecordableHistogram {
  // 1 µs to 60 s at 3 significant digits.
  return createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
}

export async function runLoad(
  target: LoadTarget,
  body: Buffer,
  check: (status: number, text: string) => string | undefined,
  plan: LoadPlan,
): Promise<LoadResult> {
  const latency = newLatencyHistogram();
  const errorSamples = new Map<string, number>();
  let ok = 0;
  let errors = 0;
  let issued = 0;
  const noteError = (message: string) => {
    errors += 1;
    const seen = errorSamples.get(message);
    if (seen !== undefined) errorSamples.set(message, seen + 1);
    else if (errorSamples.size < MAX_ERROR_SAMPLES) errorSamples.set(message, 1);
  };

  const began = performance.now();
  const deadline = began + plan.seconds * 1000;
  const connection = async () => {
    while (performance.now() < deadline && issued < plan.maxRequests) {
      issued += 1;
      const sent = performance.now();
      try {
        const answer = await post(target, body, plan.requestTimeoutMs);
        const micros = Math.max(1, Math.round((performance.now() - sent) * 1000));
        const problem = check(answer.status, answer.text);
        if (problem) noteError(problem);
        else {
          ok += 1;
          latency.record(micros);
        }
      } catch (error) {
        noteError((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.connections }, connection));
  return { ok, errors, errorSamples, seconds: (performance.now() - began) / 1000, latency };
}

function post(target: LoadTarget, body: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: '/mutate',
        method: 'POST',
        agent: target.agent,
        timeout: timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
