/**
 * The floor the webhook is measured against: node:https with the webhook's TLS and keep-alive settings,
 * receiving each body in full and answering with bytes fixed in advance. Whatever the webhook costs beyond
 * this is the price of its own work (holding and decoding the body, JSON, the decision, the patch, logging,
 * metrics).
 */
import { createServer, type Server } from 'node:https';
import { webhookServerSettings } from '../../packages/injector/src/webhook-server.ts';

export interface BaselineServer {
  readonly server: Server;
  /** Sets the constant answer; the benchmark sets it to the webhook's answer for the scenario at hand. */
  answerWith(body: Buffer): void;
}

// Mirrors createWebhookServer with its default 10 s request deadline, so both servers pay for the same
// TLS version, timers and connection handling.
const REQUEST_TIMEOUT_MS = 10_000;

export function createBaselineServer(certificate: { certPem: string; keyPem: string }): BaselineServer {
  let answer: Buffer = Buffer.from('{}');
  let contentLength = String(answer.length);
  const server = createServer(
    // The webhook's own listener settings, so the two servers differ only in what they do per request.
    webhookServerSettings(certificate, REQUEST_TIMEOUT_MS),
    (request, response) => {
      // Drained, not kept: the floor is what node:https costs to receive the bytes. Holding and decoding
      // them is part of the webhook's own work, and keeping them here would mostly measure GC timing.
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': contentLength });
        response.end(answer);
      });
    },
  );
  return {
    server,
    answerWith(body) {
      answer = body;
      contentLength = String(body.length);
    },
  };
}
