/**
 * The standalone GET streams of 2025 sessions: where a session's server sends what belongs to no request
 * (notifications/resources/updated after a resources/subscribe). A stream is no request in flight: it ends only
 * when its client leaves or its session ends (which closes the session's transport, and the stream with it), so
 * a drain does not wait for it; it closes every stream first, as it ends the open 2026-07-28 listens.
 */
import type { Response } from 'express';
import type { LegacyHttpTransport } from '../mcp/wire/http-legacy.ts';
import type { InFlight } from './in-flight.ts';

export interface SessionStreams {
  /** `response` carries the GET stream of the session whose transport is `transport`, until it closes. */
  opened(transport: LegacyHttpTransport, response: Response): void;
  /** GET streams open right now. */
  count(): number;
  /** Ends every open stream (the start of a drain); their clients find the edge closing when they come back. */
  closeAll(): void;
}

export function createSessionStreams(inFlight: InFlight): SessionStreams {
  const open = new Map<Response, LegacyHttpTransport>();
  return {
    opened(transport, response) {
      inFlight.release(response);
      open.set(response, transport);
      response.once('close', () => open.delete(response));
    },
    count: () => open.size,
    closeAll() {
      for (const transport of new Set(open.values())) transport.closeStandaloneSSEStream();
    },
  };
}
