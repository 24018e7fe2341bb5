/**
 * Newline-delimited JSON-RPC on a pair of streams, as an SDK transport that drains: when stdin ends, the
 * requests already received are still answered (up to a bound) before the transport closes, because a client
 * that writes its last request and closes its end of the pipe still reads the answer. The SDK's own stdio
 * transport drops them. A broken stdout means nobody can read an answer: the transport closes at once.
 */
import type { Readable, Writable } from 'node:stream';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  ReadBuffer,
  type RequestId,
  serializeMessage,
  type Transport,
} from '@modelcontextprotocol/server';

export interface StdioWireOptions {
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Time requests in flight get to be answered once stdin ends. */
  readonly drainMs: number;
  /** Requests that are answered only when they end (listens): never waited for. */
  readonly longLived?: (message: JSONRPCMessage) => boolean;
  /** Told why the connection is ending. */
  readonly onEnding?: (why: 'stdin ended' | 'stdout broke', inFlight: number) => void;
}

export class DrainingStdioTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  private readonly buffer = new ReadBuffer();
  private readonly pending = new Set<RequestId>();
  private readonly settledWaiters = new Set<() => void>();
  private started = false;
  private closed = false;
  private ending: Promise<void> | undefined;

  private readonly options: StdioWireOptions;

  constructor(options: StdioWireOptions) {
    this.options = options;
  }

  /** Requests received and not yet answered nor cancelled (listens left out). */
  inFlight(): number {
    return this.pending.size;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('The stdio transport is already started.');
    this.started = true;
    const { stdin, stdout } = this.options;
    stdin.on('data', this.onData);
    stdin.on('error', this.onStdinError);
    stdin.once('end', this.onStdinEnd);
    stdin.once('close', this.onStdinEnd);
    stdout.on('error', this.onStdoutError);
    if (stdin.readableEnded || stdin.destroyed) setImmediate(this.onStdinEnd);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) this.settle(message.id);
    const { stdout } = this.options;
    // Nobody reads any more: dropping is all that is left to do.
    if (stdout.destroyed || stdout.writableEnded) return Promise.resolve();
    // Resolves once written (or failed: onStdoutError then closes the connection).
    return new Promise((resolve) => void stdout.write(serializeMessage(message), () => resolve()));
  }

  /** Stops reading and waits up to `drainMs` for the requests in flight to be answered. */
  quiesce(drainMs: number): Promise<void> {
    this.stopReading();
    return this.pending.size > 0 ? this.answered(drainMs) : Promise.resolve();
  }

  /** quiesce(), then close. */
  drain(drainMs: number): Promise<void> {
    this.ending ??= this.quiesce(drainMs).then(() => this.close());
    return this.ending;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReading();
    this.options.stdout.off('error', this.onStdoutError);
    // Late write failures after close are nobody's business.
    this.options.stdout.on('error', () => undefined);
    this.pending.clear();
    this.wake();
    this.onclose?.();
  }

  private stopReading(): void {
    const { stdin } = this.options;
    stdin.off('data', this.onData);
    stdin.off('end', this.onStdinEnd);
    stdin.off('close', this.onStdinEnd);
    this.buffer.clear();
  }

  private settle(id: RequestId | undefined): void {
    if (id === undefined || !this.pending.delete(id)) return;
    if (this.pending.size === 0) this.wake();
  }

  /** Resolves when nothing is in flight any more, or after `ms`. */
  private answered(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.settledWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.settledWaiters.add(done);
    });
  }

  private wake(): void {
    for (const done of [...this.settledWaiters]) done();
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.buffer.append(chunk);
    } catch (error) {
      this.onerror?.(error as Error);
      void this.close();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (error) {
        // A line that is not JSON-RPC: reported, skipped, and the connection goes on.
        this.onerror?.(error as Error);
        continue;
      }
      if (message === null) return;
      this.track(message);
      this.onmessage?.(message);
    }
  };

  private track(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) {
      if (!this.options.longLived?.(message)) this.pending.add(message.id);
      return;
    }
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      this.settle((message.params as { requestId?: RequestId } | undefined)?.requestId);
    }
  }

  private readonly onStdinError = (error: Error) => this.onerror?.(error);

  private readonly onStdinEnd = () => {
    this.options.onEnding?.('stdin ended', this.pending.size);
    void this.drain(this.options.drainMs);
  };

  private readonly onStdoutError = (error: Error) => {
    this.onerror?.(error);
    this.options.onEnding?.('stdout broke', this.pending.size);
    void this.close();
  };
}
