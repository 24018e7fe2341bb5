/**
 * The agent's side of `podmcp connect`: one JSON-RPC message per line on stdin and stdout, framed with the SDK's
 * ReadBuffer and serializeMessage. Not the SDK's stdio server transport, because that one closes itself when stdin
 * ends and then refuses to write: the bridge must still deliver the answers to everything the agent asked before
 * it closed its end.
 */
import type { Readable, Writable } from 'node:stream';
import { type JSONRPCMessage, ReadBuffer, serializeMessage } from '@modelcontextprotocol/client';

export class StdioFraming {
  onmessage: ((message: JSONRPCMessage) => void) | undefined;
  private readonly buffer = new ReadBuffer();
  private broken: Error | undefined;
  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly log: (line: string) => void;

  constructor(stdin: Readable, stdout: Writable, log: (line: string) => void) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.log = log;
  }

  start(): void {
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
    this.stdout.on('error', this.onStdoutError);
  }

  /** Writes one message; rejects once stdout is broken (the agent is gone), never because stdin ended. */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.stdout.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): void {
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    this.stdout.off('error', this.onStdoutError);
  }

  private readonly onData = (chunk: Buffer | string): void => {
    try {
      this.buffer.append(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (error) {
      this.log(`stdin: ${(error as Error).message}`);
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (error) {
        // A line of JSON that is not JSON-RPC: the buffer has moved past it; the next line still counts.
        this.log(`stdin: a line that is not a JSON-RPC message was ignored (${(error as Error).name})`);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  };

  private readonly onStdinError = (error: Error): void => this.log(`stdin: ${error.message}`);

  private readonly onStdoutError = (error: Error): void => {
    this.broken ??= error;
  };
}
