/**
 * The app's own endpoints, reached over localhost from inside the pod (what no cluster-level server can do):
 * its Prometheus metrics and its health check, at the ports the workload's annotations name. Bounded in time
 * and size; the answer is data from the app, so callers frame it as untrusted.
 */
import type { SidecarSettings } from '@podmcp/core';

export interface AppResponse {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly truncated: boolean;
  readonly durationMs: number;
}

export interface AppEndpoints {
  /** Undefined when the workload did not name the endpoint. Throws AppUnreachable when it does not answer. */
  fetch(which: 'metrics' | 'health', signal?: AbortSignal): Promise<AppResponse | undefined>;
}

export class AppUnreachable extends Error {
  override readonly name = 'AppUnreachable';
}

const TIMEOUT_MS = 3_000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function createAppEndpoints(settings: SidecarSettings, host = '127.0.0.1'): AppEndpoints {
  return {
    async fetch(which, signal) {
      const endpoint = which === 'metrics' ? settings.appMetrics : settings.appHealth;
      if (!endpoint) return undefined;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${endpoint.port}${endpoint.path}`;
      const started = performance.now();
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      let response: Response;
      try {
        response = await fetch(url, {
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          redirect: 'manual',
          headers: { accept: which === 'metrics' ? 'text/plain;version=0.0.4' : '*/*' },
        });
      } catch (error) {
        const reason = timeout.aborted ? `no answer within ${TIMEOUT_MS} ms` : describeCause(error);
        throw new AppUnreachable(`${url}: ${reason}`);
      }
      const { text, truncated } = await readCapped(response, MAX_BODY_BYTES);
      return {
        url,
        status: response.status,
        body: text,
        truncated,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  return { text: Buffer.concat(chunks).subarray(0, maxBytes).toString(), truncated };
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
