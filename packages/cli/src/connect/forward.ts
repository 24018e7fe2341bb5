/**
 * Local TCP connections carried to a pod's port over the API server: each accepted socket becomes one
 * port-forward stream (client-node's PortForward, the user's kubeconfig credentials), the way
 * `kubectl port-forward` does it. Which pod a connection goes to is decided per connection by the caller.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';
import { listen } from '@podmcp/core';

/** The part of the WebSocket client's socket this module uses. */
interface ForwardStream {
  on(event: 'close' | 'error', listener: () => void): unknown;
  close(): void;
  /** Drops the connection without the closing handshake. */
  terminate?(): void;
}

/** Why a forward could not be opened: the status the API server answered the upgrade with, when it did. */
export class ForwardError extends Error {
  override name = 'ForwardError';
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined) {
    super(message);
    this.status = status;
  }
}

/** "Unexpected server response: 403" is how the WebSocket client reports a refused upgrade. */
export function upgradeStatus(message: string): number | undefined {
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match ? Number(match[1]) : undefined;
}

export interface PipeTarget {
  readonly pod: string;
  readonly port: number;
}

export class PodForwarder {
  private readonly kubeConfig: KubeConfig;
  private readonly namespace: string;
  private readonly log: (line: string) => void;
  private readonly open = new Set<ForwardStream>();
  private closed = false;

  constructor(kubeConfig: KubeConfig, namespace: string, log: (line: string) => void) {
    this.kubeConfig = kubeConfig;
    this.namespace = namespace;
    this.log = log;
  }

  /**
   * Ends every stream still open, at once: a long-lived one (an SSE stream the sidecar keeps open) would hold the
   * closing handshake, and so the process, for as long as the pod side stays open.
   */
  closeAll(): void {
    this.closed = true;
    for (const ws of this.open) (ws.terminate ?? ws.close).call(ws);
    this.open.clear();
  }

  /**
   * Carries `socket` to the pod's port. Rejects with a ForwardError, having read nothing from the socket, when
   * the API server refuses the stream (403 forbidden, 404 pod gone), so the caller may try another pod.
   */
  async pipe(socket: Socket, target: PipeTarget): Promise<void> {
    const errors = new PassThrough();
    let errorText = '';
    errors.on('data', (chunk: Buffer) => {
      errorText += chunk.toString();
    });
    socket.on('error', () => {
      // A peer that goes away mid-stream: the close handler below ends the forward.
    });
    let ws: ForwardStream;
    try {
      // disconnectOnErr: an error from the pod side (nothing listening on the port) ends the stream.
      const opened = await new PortForward(this.kubeConfig, true).portForward(
        this.namespace,
        target.pod,
        [target.port],
        socket,
        errors,
        socket,
      );
      ws = (typeof opened === 'function' ? opened() : opened) as unknown as ForwardStream;
    } catch (error) {
      const message = (error as { message?: unknown }).message;
      const text = typeof message === 'string' ? message : String(error);
      throw new ForwardError(text, upgradeStatus(text));
    }
    // The local side may have gone (or everything been closed) while the stream was being opened: its close
    // event has fired already, so nothing else would ever end this stream.
    if (socket.destroyed || this.closed) {
      (ws.terminate ?? ws.close).call(ws);
      return;
    }
    this.open.add(ws);
    ws.on('close', () => {
      this.open.delete(ws);
      if (errorText.trim() !== '') this.log(`pod ${target.pod} port ${target.port}: ${errorText.trim()}`);
      socket.end();
    });
    ws.on('error', () => socket.destroy());
    socket.on('close', () => ws.close());
    // Accepted paused (pauseOnConnect), so nothing was read before the stream existed.
    socket.resume();
  }
}

/** Listens on host:port (0: any free port) and hands every accepted socket, paused, to `onConnection`. */
export async function acceptConnections(
  host: string,
  port: number,
  onConnection: (socket: Socket) => void,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  const bound = await listen(server, port, host);
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
