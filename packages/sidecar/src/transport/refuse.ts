/** The edge's own answers: a JSON-RPC error object with the HTTP status the MCP specification asks for. */
import type { Response } from 'express';

/** Answers with a JSON-RPC error object (id null: the request was not read or not valid). */
export function refuse(
  response: Response,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  code = status === 400 ? -32700 : -32000,
): void {
  if (response.headersSent) return;
  response.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
