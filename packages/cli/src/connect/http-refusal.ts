/**
 * A sidecar that refuses a request with an HTTP error status often says why in a JSON-RPC error body. That body is
 * the sidecar's answer to the agent, not a failure to reach the pod.
 */
import { type JSONRPCMessage, type RequestId, SdkHttpError } from '@modelcontextprotocol/client';

/**
 * The JSON-RPC error in the body of an HTTP 4xx answer to `id`, if there is one. The SDK transport delivers it
 * itself only for 400 to a 2026-07-28 request; a 404 for a method that era does not know, or a 400 for a version
 * the sidecar does not serve, comes here as an SdkHttpError.
 */
export function inBandRefusal(error: unknown, id: RequestId): JSONRPCMessage | undefined {
  if (!(error instanceof SdkHttpError) || error.status < 400 || error.status >= 500) return undefined;
  const text = error.data.text;
  if (typeof text !== 'string') return undefined;
  let body: { id?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const refusal = body?.error;
  if (typeof refusal?.code !== 'number' || typeof refusal.message !== 'string') return undefined;
  if (body.id !== undefined && body.id !== null && body.id !== id) return undefined;
  const { code, message, data } = refusal;
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}
