/**
 * What an approval carries from one request to the next with a 2026-07-28 client (multi-round-trip: the first
 * request asks, the client's retry brings the answer and echoes this state). The state goes through the
 * client, so it is sealed with an HMAC under a random key of this process, bound to the caller and the method,
 * and expires with the approval's time to answer; a retry that reaches another process (another replica, a
 * restarted pod) fails verification and is asked to call again, which is safe.
 *
 * The SDK answers a state its verify hook rejects with a bare protocol error; podmcp's hook never throws and
 * hands the handler a verdict instead, so the tool answers "nothing was changed, call again" and the audit
 * records the attempt.
 *
 * The SDK's codec counts its expiry in whole seconds from a truncated clock, so on its own a state lives up to a
 * second past its time; the payload carries its exact end in milliseconds and that is what is checked.
 *
 * A state is a bearer token until it expires, so a final decision spends its approval: `spendApproval` records
 * its id (shared by every round of one approval) until no state with that id can still verify, and a spent
 * id is refused however often its states come back.
 */
import { randomBytes } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';

/** How long a human has to answer before the action is dropped (and a 2026-07-28 approval state expires). */
export const APPROVAL_TIMEOUT_MS = 5 * 60_000;

/** One approval between its requests. Signed, not encrypted: the client can read it, so it holds digests. */
export interface ApprovalState {
  /** The tool the question was about. */
  readonly tool: string;
  /** Digest of the call's arguments as sent: the answer is for this very call. */
  readonly args: string;
  /** Digest of the dry run the human was shown. */
  readonly preview: string;
  /** The clock that dry run ran on (ms since the epoch), so a later round can run it again alike. */
  readonly at: number;
  /** Links the audit records of every round. */
  readonly id: string;
  /** How many times the question has been asked. */
  readonly round: number;
}

/** What the verify hook hands the handler: the verified state, or why there is none. */
export type StateCheck =
  | { readonly valid: true; readonly state: ApprovalState }
  | { readonly valid: false; readonly reason: string };

const KEY = randomBytes(32);

/**
 * The caller the HTTP edge authenticated (handed to the SDK as authInfo), with its transport; stdio has no
 * authInfo and one client per process, so its states are bound to "no caller", which no HTTP request is.
 */
function callerOf(ctx: ServerContext): string {
  const caller = ctx.http?.authInfo as { readonly id?: unknown; readonly transport?: unknown } | undefined;
  if (caller === undefined) return '';
  return `${String(caller.transport)}\0${String(caller.id)}`;
}

function bind(ctx: ServerContext): string {
  return `${callerOf(ctx)}\0${ctx.mcpReq.method}`;
}

/** One codec per time to live; all share the key and binding, so any of them verifies what another minted. */
const codecs = new Map<number, RequestStateCodec<unknown>>();

function codecFor(ttlMs: number): RequestStateCodec<unknown> {
  const ttlSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
  let codec = codecs.get(ttlSeconds);
  if (codec === undefined) {
    codec = createRequestStateCodec<unknown>({ key: KEY, ttlSeconds, bind });
    codecs.set(ttlSeconds, codec);
  }
  return codec;
}

export function mintApprovalState(
  state: ApprovalState,
  ctx: ServerContext,
  ttlMs: number = APPROVAL_TIMEOUT_MS,
): Promise<string> {
  return codecFor(ttlMs).mint({ ...state, until: Date.now() + ttlMs }, ctx);
}

/** Verdicts made by `verifyRequestState` only: nothing else the handler reads as state is trusted. */
const checks = new WeakSet<object>();

function checked(check: StateCheck): StateCheck {
  checks.add(check);
  return check;
}

/** The SDK's verify hook: never throws (a throw becomes the SDK's bare protocol error). */
export async function verifyRequestState(state: string, ctx: ServerContext): Promise<StateCheck> {
  try {
    const payload = await codecFor(APPROVAL_TIMEOUT_MS).verify(state, ctx);
    if (!isSealedState(payload)) return checked({ valid: false, reason: 'malformed' });
    const { until, ...approval } = payload;
    // The codec's own check is whole seconds and lets a state live up to a second longer.
    if (Date.now() > until) return checked({ valid: false, reason: 'expired' });
    return checked({ valid: true, state: approval });
  } catch (error) {
    // The codec's reasons are fixed words (malformed, mac, expired, bind), never what the client sent.
    return checked({ valid: false, reason: error instanceof Error ? error.message : 'malformed' });
  }
}

/** For `new Server(…, { requestState: requestStateOptions })`. */
export const requestStateOptions = { verify: verifyRequestState } as const;

/**
 * For `new Server(…, { inputRequired: INPUT_REQUIRED_OPTIONS })`: a 2025 client is asked by podmcp itself
 * (elicitation on its session), never by the SDK's stand-in, so an input-required answer reaching one is a bug
 * that must fail loudly rather than be fulfilled some other way.
 */
export const INPUT_REQUIRED_OPTIONS = { legacyShim: false } as const;

/**
 * The approval state this request carries, verified: undefined when it carries none. The hook has verified it
 * when the server was made with `requestStateOptions`; a raw string (a server made without) is verified here.
 */
export async function approvalStateOf(ctx: ServerContext): Promise<StateCheck | undefined> {
  const value = ctx.mcpReq.requestState<unknown>();
  if (value === undefined) return undefined;
  if (typeof value === 'string') return verifyRequestState(value, ctx);
  if (typeof value === 'object' && value !== null && checks.has(value)) return value as StateCheck;
  return { valid: false, reason: 'unverified' };
}

function isSealedState(value: unknown): value is ApprovalState & { readonly until: number } {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(state.until) &&
    typeof state.tool === 'string' &&
    typeof state.args === 'string' &&
    typeof state.preview === 'string' &&
    typeof state.id === 'string' &&
    Number.isSafeInteger(state.at) &&
    Number.isSafeInteger(state.round)
  );
}

/** How many spent approvals are remembered at most; each is forgotten once its states can no longer verify. */
export const SPENT_APPROVALS_MAX = 10_000;

/** Spent approval id → the time (ms since the epoch) after which no state carrying it verifies. */
const spent = new Map<string, number>();

export function approvalSpent(id: string, now: number = Date.now()): boolean {
  const until = spent.get(id);
  return until !== undefined && until >= now;
}

/**
 * Marks an approval's id spent until `until` (no state carrying it verifies after then). Synchronous, so of two
 * requests bringing the same state at once exactly one spends it. 'spent' when it already was; 'full' when
 * SPENT_APPROVALS_MAX live ids are remembered: the caller refuses rather than forget one that still verifies.
 */
export function spendApproval(id: string, until: number, now: number = Date.now()): 'spent-now' | 'spent' | 'full' {
  if (approvalSpent(id, now)) return 'spent';
  forgetExpired(now, false);
  if (spent.size >= SPENT_APPROVALS_MAX) forgetExpired(now, true);
  if (spent.size >= SPENT_APPROVALS_MAX) return 'full';
  spent.delete(id);
  spent.set(id, until);
  return 'spent-now';
}

/** Gives an id back: the decision it was spent for did not happen (the change differed and is asked again). */
export function unspendApproval(id: string): void {
  spent.delete(id);
}

/**
 * Ids are mostly inserted in order of expiry, so the oldest are at the front: dropping those is cheap on every
 * insert; a full sweep only when the map is full finds any that a longer time to answer left behind them.
 */
function forgetExpired(now: number, sweep: boolean): void {
  for (const [id, until] of spent) {
    if (until < now) spent.delete(id);
    else if (!sweep) return;
  }
}
