/**
 * What passes through the gate: one call of a tool, a resource read or a prompt, as a plain object the steps
 * read and fill in turn (Hono's context, kubernetes-mcp-server's request). Nothing here knows the MCP SDK; the
 * registration layer (mcp/server.ts) builds the call and turns its reply or failure into a protocol answer.
 */
import type { ServiceContext } from '../context.ts';
import type { ToolFailure } from '../failure.ts';

export type CallKind = 'tool' | 'resource' | 'prompt';

/** What a call is for once its name resolved: a tool, a resource (with its URI variables) or a prompt. */
export interface Subject {
  /** Names the subject in failures ("Reading <what> failed") and in approval questions. */
  readonly what: string;
  /** True for actions: they change the cluster, so they take a cooldown, an approval and a claim. */
  readonly acts: boolean;
  readonly parse: (raw: Readonly<Record<string, unknown>>) => Parsed;
  /** For actions: what the call acts on (`Deployment/web`), which keys the cooldown, the claim and the audit. */
  readonly target?: ((input: unknown, context: ServiceContext) => Promise<string> | string) | undefined;
  readonly run: (input: unknown, context: ServiceContext) => Promise<unknown>;
  /** How the run's result leaves: structured data and its text, or text alone. */
  readonly answer: (result: unknown) => Answer;
}

export type Parsed = { readonly ok: true; readonly input: unknown } | { readonly ok: false; readonly message: string };

/**
 * An answer on its way out. `render` turns the structured part into text, so the text is rendered from data
 * that is already clean (a table cell shows [REDACTED] because the field was, whatever the text rules see).
 */
export interface Answer {
  /** The structured result (tools); undefined where the answer is text alone (resources, prompts). */
  readonly structured: unknown;
  readonly render: (structured: unknown) => string;
  /** The text cleaning applied so far, for a message that replaces the answer (a rendering that failed). */
  readonly clean: (text: string) => string;
  /** The result's `_meta` (tools): where the structured content holds untrusted text, set by the frame step. */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
}

/** What leaves once the answer fits its budget. */
export interface Reply {
  readonly text: string;
  readonly structured: Record<string, unknown> | undefined;
  /** Bytes sent: the text and the structured content. */
  readonly bytes: number;
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What became of an approval. A pending verdict means the question went out and the answer comes with a later
 * request (MCP 2026-07-28 multi-round-trip): `pending` is the protocol's "input required" result, opaque here.
 * `correlation` links the audit records of every round of one approval; `status` says what happened in this one.
 */
export type ApprovalVerdict = (
  | { readonly approved: true; readonly by: 'human' | 'policy' }
  | { readonly approved: false; readonly message: string }
  | { readonly approved: false; readonly pending: unknown }
) & { readonly correlation?: string | undefined; readonly status?: ApprovalStatus | undefined };

/** What happened at the approval in this request, for the audit. */
export type ApprovalStatus =
  | 'asked'
  | 'asked-again'
  | 'preview-changed'
  | 'approved'
  | 'declined'
  | 'cancelled'
  | 'not-approved'
  | 'unanswered'
  | 'state-expired'
  | 'state-invalid'
  | 'state-mismatch'
  | 'state-replayed'
  | 'state-busy';

/** The dry run as the human sees it, and a digest of what it says (the same change has the same digest). */
export interface Preview {
  readonly text: string;
  readonly digest: string;
  /** The clock the dry run saw (ms since the epoch): the same time gives the same preview of the same state. */
  readonly at: number;
}

/** What the approve step asks: the registration layer knows how to reach a human (MCP elicitation). */
export interface ApprovalQuestion {
  readonly what: string;
  readonly target: string;
  readonly reason: string | undefined;
  /** The name the call was made with and its arguments as sent: an answer must be for this very call. */
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>> | undefined;
  /**
   * The dry run's answer, rendered and cleaned: what would change. `at` runs it on an earlier clock, so a
   * later round can tell whether the change itself is still the one the human was shown.
   */
  readonly preview: (at?: number) => Promise<Preview>;
}

export type Ask = (question: ApprovalQuestion) => Promise<ApprovalVerdict>;

export interface Call {
  readonly kind: CallKind;
  /** What was asked for, as sent: a tool or prompt name, a resource URI. */
  readonly name: string;
  /** Undefined when nothing answers to `name`. */
  readonly subject: Subject | undefined;
  /** The refusal when nothing answers to `name` (it lists what exists). */
  readonly unknown: string;
  /** The arguments as sent (undefined for a resource read: its URI is its argument). */
  readonly arguments: Readonly<Record<string, unknown>> | undefined;
  /** The request's own signal: the client cancelled or went away. */
  readonly signal: AbortSignal;
  /** performance.now() when the call arrived. */
  readonly started: number;
  /** What the run sees; the deadline step adds its deadline to the signal. */
  context: ServiceContext;
  readonly ask?: Ask | undefined;
  input?: unknown;
  target?: string | undefined;
  approval?: 'human' | 'policy' | undefined;
  /** Links the audit records of every round of one approval (MCP 2026-07-28 asks across requests). */
  approvalId?: string | undefined;
  approvalStatus?: ApprovalStatus | undefined;
  /**
   * The approval question went out and its answer comes with a later request: the call ends here without
   * running and without failing, and the registration layer answers with this (opaque to the gate).
   */
  pending?: unknown;
  /** The run itself, settled by the work and not by the deadline: a claim is held until it settles. */
  work?: Promise<unknown> | undefined;
  answer?: Answer | undefined;
  reply?: Reply | undefined;
  failure?: ToolFailure | undefined;
  /** The failure came from an error nobody meant to throw (a bug), not from the call's input or the cluster. */
  unexpected?: boolean | undefined;
}

export type Next = () => Promise<void>;
export type Step = (call: Call, next: Next) => Promise<void>;

export interface NewCall {
  readonly kind: CallKind;
  readonly name: string;
  readonly subject: Subject | undefined;
  readonly unknown: string;
  readonly arguments: Readonly<Record<string, unknown>> | undefined;
  readonly context: ServiceContext;
  readonly ask?: Ask | undefined;
}

export function openCall(fields: NewCall): Call {
  return { ...fields, signal: fields.context.signal, started: performance.now() };
}
