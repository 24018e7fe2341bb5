/**
 * The stdio side of `podmcp connect`: MCP messages from the agent on stdin (newline-delimited JSON) are sent to
 * the sidecar with the SDK's StreamableHTTPClientTransport, and everything the sidecar answers is written back to
 * stdout. A relay of JSON-RPC messages, not an MCP client or server of its own, for both MCP eras.
 *
 * The HTTP side goes to a loopback listener whose every connection is port-forwarded to one pod. Before each
 * message the pod is re-read; when it is gone or unready, or a send fails, that listener and its transports are
 * dropped and the next message picks a ready pod and opens a new one (a new local port, so no kept-alive
 * connection to the old pod is reused). Requests still waiting on the old pod are answered with an error.
 *
 * 2025 era: the sidecar keeps an MCP session per client (so it can ask the user to approve an action), and a
 * session lives in one sidecar process. Whenever the bridge starts a new one — another pod, or the sidecar
 * answered 404 because the session expired or the sidecar restarted — it first replays the agent's own
 * `initialize` (its answer is not relayed) and `notifications/initialized`, so the new session knows the agent's
 * capabilities without the agent noticing. When stdin ends, the session is ended with DELETE.
 *
 * 2026-07-28 era: a message whose `_meta` envelope claims a protocol version stands on its own (no handshake, no
 * session), so it goes on a transport of its own that never carries a session id; the transport derives the
 * MCP-Protocol-Version, Mcp-Method and Mcp-Name headers from the message. The agent cancels such a request by
 * `notifications/cancelled`, which the bridge turns into closing that request's HTTP stream, the era's way.
 */
import type { Readable, Writable } from 'node:stream';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
  SdkHttpError,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { CLAIMED_IDENTITY_HEADER } from '@podmcp/core';
import { ConnectError } from './cluster.ts';
import { cancelledRequest, isModern } from './era.ts';
import { acceptConnections, ForwardError, type PodForwarder } from './forward.ts';
import { inBandRefusal } from './http-refusal.ts';
import type { PodPicker } from './picker.ts';
import type { ChosenPod } from './pods.ts';
import { NoPodError } from './pods.ts';
import { StdioFraming } from './stdio-framing.ts';

/** JSON-RPC "server error" range: what the agent sees when a request could not reach any sidecar. */
export const RELAY_ERROR_CODE = -32000;
/** How long the bridge waits for the sidecar to answer a replayed initialize, or a DELETE when it ends. */
const HANDSHAKE_MS = 10_000;
const GOODBYE_MS = 2_000;
const LISTEN = 'subscriptions/listen';

interface PodSession {
  readonly pod: ChosenPod;
  /** 2025-era messages, in the MCP session the sidecar keeps for this agent. */
  readonly legacy: StreamableHTTPClientTransport;
  /** 2026-07-28-era messages, each on its own: this transport never learns a session id. */
  readonly modern: StreamableHTTPClientTransport;
  /** The last reason a connection to the pod could not be opened, for the agent's error message. */
  problem: string | undefined;
  /** Settles once the replayed handshake is answered (at once when nothing is replayed). */
  readonly ready: Promise<void>;
  close(options?: { goodbye?: boolean }): Promise<void>;
}

/** A request of the agent's that has not been answered yet. */
interface InFlight {
  readonly method: string;
  /** The session it went out on, once sent: when that session is dropped, the request is answered with an error. */
  session: PodSession | undefined;
  /** 2026-07-28 requests: aborting closes the request's HTTP stream, which is how that era cancels. */
  readonly abort: AbortController | undefined;
}

export interface BridgeOptions {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly picker: PodPicker;
  readonly forwarder: PodForwarder;
  readonly namespace: string;
  readonly log: (line: string) => void;
  /** Sent with every request as the claimed (unverified) identity, so the sidecar tells this agent apart. */
  readonly claimedIdentity?: string | undefined;
}

export class StdioBridge {
  private readonly stdio: StdioFraming;
  private session: Promise<PodSession> | undefined;
  private protocolVersion: string | undefined;
  /** The agent's initialize request, once the sidecar accepted it: replayed for every new session. */
  private handshake: JSONRPCMessage | undefined;
  private initializeRequest: JSONRPCMessage | undefined;
  private readonly replays = new Map<RequestId, (message: JSONRPCMessage) => void>();
  private replayCount = 0;
  private readonly inFlight = new Map<RequestId, InFlight>();
  private stdinEnded = false;
  private finish: (() => void) | undefined;
  private readonly finished: Promise<void>;

  private readonly options: BridgeOptions;

  constructor(options: BridgeOptions) {
    this.options = options;
    this.stdio = new StdioFraming(options.stdin, options.stdout, options.log);
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Resolves when stdin has ended and every request relayed so far has been answered. */
  async run(): Promise<void> {
    this.stdio.onmessage = (message) => this.receive(message);
    const onEnd = () => {
      if (this.stdinEnded) return;
      this.stdinEnded = true;
      this.endListens();
      this.maybeFinish();
    };
    this.options.stdin.once('end', onEnd);
    this.options.stdin.once('close', onEnd);
    this.stdio.start();
    await this.finished;
    this.options.stdin.off('end', onEnd);
    this.options.stdin.off('close', onEnd);
    await this.drop(undefined, { goodbye: true });
    this.stdio.close();
  }

  private maybeFinish(): void {
    if (this.stdinEnded && this.inFlight.size === 0) this.finish?.();
  }

  /** A listen only ends when its stream does: with nobody left to hear its events, the bridge closes it. */
  private endListens(): void {
    for (const [id, entry] of this.inFlight) {
      if (entry.method !== LISTEN || entry.abort === undefined) continue;
      entry.abort.abort();
      this.inFlight.delete(id);
    }
  }

  /** Books a message in (synchronously, so the end of stdin never overtakes it) and relays it. */
  private receive(message: JSONRPCMessage): void {
    const cancelled = cancelledRequest(message);
    if (cancelled !== undefined) {
      this.cancel(cancelled, message);
      return;
    }
    const modern = isModern(message);
    if (isJSONRPCRequest(message)) {
      this.inFlight.set(message.id, {
        method: message.method,
        session: undefined,
        abort: modern ? new AbortController() : undefined,
      });
    }
    void (modern ? this.relayModern(message) : this.relay(message));
  }

  /** A cancelled request gets no answer from the sidecar: the bridge stops waiting for one. */
  private cancel(id: RequestId, message: JSONRPCMessage): void {
    const entry = this.inFlight.get(id);
    this.inFlight.delete(id);
    if (entry?.abort !== undefined) {
      // 2026-07-28: closing the request's stream is the cancellation; there is nothing to send.
      entry.abort.abort();
      this.maybeFinish();
    } else if (entry === undefined && isModern(message)) {
      // Answered already: nothing left to close.
      this.maybeFinish();
    } else {
      // 2025: the session's sidecar is told, as the agent asked.
      void this.relay(message).finally(() => this.maybeFinish());
    }
  }

  private async relay(message: JSONRPCMessage, retried = false): Promise<void> {
    const request = isJSONRPCRequest(message) ? message : undefined;
    if (request?.method === 'initialize') {
      // The agent starts over: a new session, with this handshake.
      this.handshake = undefined;
      this.initializeRequest = request;
      await this.drop(undefined, { goodbye: true });
    }
    let session: PodSession | undefined;
    try {
      session = await this.current();
      await session.ready;
      await session.legacy.send(message, request && this.streamEnd(request, session));
      this.sentOn(request, session);
    } catch (error) {
      if (!retried && session && error instanceof SdkHttpError && error.status === 404) {
        // The sidecar no longer knows the session (expired, or the sidecar restarted): start a new one.
        this.options.log(`the sidecar of pod ${session.pod.name} ended the MCP session; starting a new one`);
        await this.drop(session);
        return this.relay(message, true);
      }
      await this.failed(message, error, session);
    }
  }

  /** A 2026-07-28 message: no handshake to wait for and no session to keep. */
  private async relayModern(message: JSONRPCMessage): Promise<void> {
    const request = isJSONRPCRequest(message) ? message : undefined;
    const signal = request && this.inFlight.get(request.id)?.abort?.signal;
    let session: PodSession | undefined;
    try {
      session = await this.current();
      if (signal?.aborted) return;
      await session.modern.send(message, request && { requestSignal: signal, ...this.streamEnd(request, session) });
      this.sentOn(request, session);
    } catch (error) {
      if (signal?.aborted) return;
      await this.failed(message, error, session);
    }
  }

  private streamEnd(request: JSONRPCRequest, session: PodSession) {
    return { onRequestStreamEnd: () => this.unanswered(request, session) };
  }

  private sentOn(request: JSONRPCRequest | undefined, session: PodSession): void {
    const entry = request && this.inFlight.get(request.id);
    if (entry !== undefined) entry.session = session;
  }

  /** The sidecar's stream for a request ended without its answer (the pod went away, or a listen was cut off). */
  private unanswered(request: JSONRPCRequest, session: PodSession): void {
    if (!this.inFlight.has(request.id)) return;
    const why = `the sidecar of pod ${session.pod.name} ended the stream of ${request.method} without a result`;
    this.options.log(why);
    void this.refuse(request.id, `${why}; ${request.method === LISTEN ? 'listen' : 'ask'} again`);
  }

  private async failed(message: JSONRPCMessage, error: unknown, session: PodSession | undefined): Promise<void> {
    const request = isJSONRPCRequest(message) ? message : undefined;
    const refusal = request && session && inBandRefusal(error, request.id);
    if (refusal !== undefined) {
      // The sidecar answered, with an HTTP error status and a JSON-RPC error: that is its answer, and the pod stays.
      await this.answer(refusal);
      return;
    }
    const reason = this.reason(error, session);
    if (session) {
      this.options.picker.drop(session.pod.name, `could not be reached (${reason})`);
      await this.drop(session);
    }
    if (request) {
      this.options.log(`${request.method} failed: ${reason}`);
      await this.refuse(request.id, reason);
    } else {
      this.options.log(`a notification was not delivered: ${reason}`);
    }
  }

  private refuse(id: RequestId, reason: string): Promise<void> {
    return this.answer({ jsonrpc: '2.0', id, error: { code: RELAY_ERROR_CODE, message: `podmcp connect: ${reason}` } });
  }

  private reason(error: unknown, session: PodSession | undefined): string {
    if (error instanceof ConnectError || error instanceof NoPodError) return error.message;
    const problem = session?.problem;
    if (problem !== undefined) return problem;
    return `the request to the sidecar of pod ${session?.pod.name ?? '?'} failed: ${(error as Error).message ?? String(error)}`;
  }

  /** Writes a message to the agent, ending the bookkeeping of the request it answers. */
  private async answer(message: JSONRPCMessage): Promise<void> {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
      const replayed = this.replays.get(message.id);
      if (replayed) return replayed(message);
      const entry = this.inFlight.get(message.id);
      // Answered already (by the bridge, when the sidecar's stream broke off) or cancelled: the agent is not waiting.
      if (entry === undefined) return;
      this.inFlight.delete(message.id);
      if (entry.method === 'initialize' && isJSONRPCResultResponse(message)) {
        this.handshake = this.initializeRequest;
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') {
          // The HTTP transport sends it as mcp-protocol-version on every later request, as an SDK client would.
          this.protocolVersion = version;
          this.session?.then((session) => session.legacy.setProtocolVersion(version)).catch(() => {});
        }
      }
    }
    try {
      await this.stdio.send(message);
    } catch (error) {
      this.options.log(`stdout: ${(error as Error).message}`);
    }
    this.maybeFinish();
  }

  /** The session for the pod in use, re-checking that the pod still serves; a new one when it does not. */
  private async current(): Promise<PodSession> {
    const existing = this.session;
    if (existing !== undefined) {
      const session = await existing;
      if (await this.options.picker.stillServing(session.pod)) return session;
      await this.drop(session);
    }
    if (this.session === undefined) this.session = this.open();
    return this.session;
  }

  private async open(): Promise<PodSession> {
    const { picker, forwarder, log } = this.options;
    let pod: ChosenPod;
    try {
      pod = await picker.pod();
    } catch (error) {
      this.session = undefined;
      throw error;
    }
    const local = await acceptConnections('127.0.0.1', 0, (socket) => {
      forwarder.pipe(socket, { pod: pod.name, port: pod.port }).catch((error: unknown) => {
        session.problem = forwardProblem(error, pod.name, this.options.namespace);
        log(session.problem);
        socket.destroy();
      });
    });
    const claimed = this.options.claimedIdentity;
    const transport = () => {
      const created = new StreamableHTTPClientTransport(
        new URL(`http://127.0.0.1:${local.port}/mcp`),
        claimed === undefined ? undefined : { requestInit: { headers: { [CLAIMED_IDENTITY_HEADER]: claimed } } },
      );
      created.onmessage = (message) => void this.answer(message);
      created.onerror = (error) => log(`sidecar of pod ${pod.name}: ${error.message}`);
      return created;
    };
    const legacy = transport();
    const modern = transport();
    if (this.protocolVersion !== undefined) legacy.setProtocolVersion(this.protocolVersion);
    await legacy.start();
    await modern.start();
    const handshake = this.handshake;
    const session: PodSession = {
      pod,
      legacy,
      modern,
      problem: undefined,
      ready: handshake === undefined ? Promise.resolve() : this.replay(legacy, handshake),
      close: async (options = {}) => {
        if (options.goodbye) await within(GOODBYE_MS, legacy.terminateSession()).catch(() => {});
        await legacy.close().catch(() => {});
        await modern.close().catch(() => {});
        await local.close();
      },
    };
    session.ready.catch(() => {});
    return session;
  }

  /** Sends the agent's initialize (under an id of the bridge's own) and the initialized notification. */
  private async replay(transport: StreamableHTTPClientTransport, handshake: JSONRPCMessage): Promise<void> {
    this.replayCount += 1;
    const id = `podmcp-connect-initialize-${this.replayCount}`;
    const answered = new Promise<JSONRPCMessage>((resolve) => this.replays.set(id, resolve));
    try {
      await transport.send({ ...(handshake as object), id } as JSONRPCMessage);
      const answer = await within(HANDSHAKE_MS, answered);
      if (!isJSONRPCResultResponse(answer)) {
        throw new Error(`the sidecar refused the initialize replayed for a new session: ${JSON.stringify(answer)}`);
      }
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    } finally {
      this.replays.delete(id);
    }
  }

  /** Closes `session` (or the current one) and forgets it, if it is still the current one. */
  private async drop(session?: PodSession, options?: { goodbye?: boolean }): Promise<void> {
    const current = this.session;
    if (current === undefined) return;
    const resolved = await current.catch(() => undefined);
    if (session !== undefined && resolved !== session) return;
    if (this.session === current) this.session = undefined;
    if (resolved === undefined) return;
    await resolved.close(options);
    // Closing aborted the streams of whatever was still waiting on that pod: those requests get an error now.
    for (const [id, entry] of this.inFlight) {
      if (entry.session !== resolved) continue;
      const again = entry.method === LISTEN ? 'listen' : 'ask';
      void this.refuse(id, `pod ${resolved.pod.name} was left before it answered ${entry.method}; ${again} again`);
    }
  }
}

/** `work`, or a rejection once `ms` have passed. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the sidecar within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** What the agent and the log read when a port-forward stream could not be opened. */
export function forwardProblem(error: unknown, pod: string, namespace: string): string {
  const status = error instanceof ForwardError ? error.status : undefined;
  if (status === 403) {
    return `forbidden to port-forward to pod ${pod} in namespace ${namespace}: your credentials need RBAC permission to create pods/portforward there`;
  }
  if (status === 404) return `pod ${pod} is gone (404 from the API server)`;
  return `port-forward to pod ${pod} failed: ${(error as Error).message ?? String(error)}`;
}
