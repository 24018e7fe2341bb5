/**
 * Container logs as the API returns them with `timestamps=true`: split into timestamped lines, positioned by
 * cursors, filtered by a cost-bounded grep, and cut to a byte budget from the end that matters. Pure: no
 * Kubernetes calls, so every rule here is unit-tested on strings.
 */
import { SIDECAR_CONTAINER_NAME } from '@podmcp/core';
import { truncateHead } from '../output/budget.ts';
import { REDACTED, redactShapes } from '../safety/redact.ts';

/** The container the injector adds; never the default when the pod has an app container. */
export const SIDECAR_CONTAINER = SIDECAR_CONTAINER_NAME;

export interface LogLine {
  /** As the kubelet wrote it (RFC 3339 with up to nanoseconds); '' when the line had none. */
  readonly timestamp: string;
  /** Nanoseconds since the epoch, for ordering; undefined when the line had no timestamp. */
  readonly nanos: bigint | undefined;
  readonly text: string;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

export function parseTimestampNanos(timestamp: string): bigint | undefined {
  const match = TIMESTAMP.exec(timestamp);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/**
 * Splits a log read with timestamps. `cut` says the read stopped at limitBytes, so a last line without its
 * newline is a fragment and is dropped (it is read whole next time) — unless it is all there is: a single
 * line longer than the read.
 */
export function parseLogText(raw: string, cut: boolean): LogLine[] {
  if (raw === '') return [];
  const parts = raw.split('\n');
  const last = parts.pop() ?? '';
  if (last !== '' && (!cut || parts.length === 0)) parts.push(last);
  return parts.map((part) => {
    const space = part.indexOf(' ');
    const timestamp = space > 0 ? part.slice(0, space) : '';
    const nanos = parseTimestampNanos(timestamp);
    return nanos === undefined
      ? { timestamp: '', nanos, text: part }
      : { timestamp, nanos, text: part.slice(space + 1) };
  });
}

/**
 * A place in a log: after the first `seen` lines stamped `timestamp` (and everything older). Lines can share
 * a timestamp, so the count is what makes "continue after this line" exact.
 */
export interface LogPosition {
  readonly timestamp: string;
  readonly nanos: bigint;
  /** Lines with exactly this timestamp already returned; Infinity for "strictly after this time". */
  readonly seen: number;
}

export function encodeLogCursor(position: LogPosition): string {
  return Number.isFinite(position.seen) ? `${position.timestamp}/${position.seen}` : position.timestamp;
}

/** Accepts `<timestamp>/<count>` (a next_cursor) or a bare RFC 3339 timestamp (lines strictly after it). */
export function decodeLogCursor(cursor: string): LogPosition | undefined {
  const slash = cursor.lastIndexOf('/');
  const timestamp = slash >= 0 ? cursor.slice(0, slash) : cursor;
  const countText = slash >= 0 ? cursor.slice(slash + 1) : undefined;
  const nanos = parseTimestampNanos(timestamp);
  if (nanos === undefined) return undefined;
  if (countText === undefined) return { timestamp, nanos, seen: Number.POSITIVE_INFINITY };
  if (!/^\d{1,6}$/.test(countText)) return undefined;
  return { timestamp, nanos, seen: Number(countText) };
}

/** The lines after `position`, in order. Lines without a timestamp follow the line before them. */
export function linesAfter(lines: readonly LogLine[], position: LogPosition): LogLine[] {
  let sameTime = 0;
  let started = false;
  const kept: LogLine[] = [];
  for (const line of lines) {
    if (!started) {
      if (line.nanos === undefined || line.nanos < position.nanos) continue;
      if (line.nanos === position.nanos) {
        sameTime += 1;
        if (sameTime <= position.seen) continue;
      }
      started = true;
    }
    kept.push(line);
  }
  return kept;
}

/** Lines at or after `nanos` (since_time applied exactly, whatever the API's second granularity read). */
export function linesSince(lines: readonly LogLine[], nanos: bigint): LogLine[] {
  const first = lines.findIndex((line) => line.nanos !== undefined && line.nanos >= nanos);
  return first < 0 ? [] : lines.slice(first);
}

/**
 * The position just after `lines[index]` (`before: true`: just before it), counting the lines of the read
 * that share its timestamp. Undefined when the line has no timestamp.
 */
export function positionAt(lines: readonly LogLine[], index: number, before = false): LogPosition | undefined {
  let target: LogLine | undefined;
  for (let back = index; back >= 0 && target === undefined; back -= 1) {
    if (lines[back]?.nanos !== undefined) target = lines[back];
  }
  if (!target || target.nanos === undefined) return undefined;
  let seen = 0;
  for (let i = 0; i <= index; i += 1) if (lines[i]?.nanos === target.nanos) seen += 1;
  const nanos = target.nanos;
  return { timestamp: target.timestamp, nanos, seen: before && lines[index] === target ? seen - 1 : seen };
}

export const GREP_MAX_PATTERN = 200;
/** Each line is matched on its first this-many characters: bounds the cost of one match. */
export const GREP_MATCH_CHARS = 2048;
/** More unbounded quantifiers make polynomial backtracking (.*a.*b.*c) too slow on long lines. */
const GREP_MAX_UNBOUNDED = 3;
/** A grep that runs longer than this stops and says how far it got, instead of stalling the sidecar. */
export const GREP_TIME_BUDGET_MS = 2_000;

/**
 * Compiles a grep pattern, refusing the shapes that make a backtracking engine take exponential time: a
 * quantified group that itself holds a quantifier or an alternation, and backreferences.
 */
export function compileGrep(pattern: string, caseSensitive: boolean): RegExp | { error: string } {
  if (pattern.length > GREP_MAX_PATTERN) {
    return { error: `grep: the pattern is ${pattern.length} characters; at most ${GREP_MAX_PATTERN} are allowed.` };
  }
  const risk = riskyRegexShape(pattern);
  if (risk) return { error: `grep: ${risk} can take exponential time on long lines; simplify the pattern.` };
  try {
    return new RegExp(pattern, caseSensitive ? '' : 'i');
  } catch (error) {
    return {
      error: `grep: not a valid regular expression (${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}). Escape special characters such as ( [ . * + ? with a backslash, or search for a plain word.`,
    };
  }
}

function riskyRegexShape(pattern: string): string | undefined {
  // For each open group: does it contain a quantifier or an alternation?
  const groups: Array<{ quantified: boolean; alternation: boolean }> = [];
  let unboundedCount = 0;
  let closed: { quantified: boolean; alternation: boolean } | undefined;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    const justClosed = closed;
    closed = undefined;
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'a backreference';
      i += 1;
      continue;
    }
    if (char === '[') {
      for (i += 1; i < pattern.length && pattern[i] !== ']'; i += 1) if (pattern[i] === '\\') i += 1;
      continue;
    }
    if (char === '(') {
      groups.push({ quantified: false, alternation: false });
      continue;
    }
    if (char === ')') {
      closed = groups.pop();
      if (closed?.quantified || closed?.alternation) {
        const parent = groups.at(-1);
        if (parent) {
          parent.quantified ||= closed.quantified;
          parent.alternation ||= closed.alternation;
        }
      }
      continue;
    }
    if (char === '|') {
      const current = groups.at(-1);
      if (current) current.alternation = true;
      continue;
    }
    const unbounded = char === '*' || char === '+' || (char === '{' && /^\{\d*,?\d*\}/.test(pattern.slice(i)));
    if (!unbounded) continue;
    unboundedCount += 1;
    if (unboundedCount > GREP_MAX_UNBOUNDED)
      return `more than ${GREP_MAX_UNBOUNDED} unbounded quantifiers (*, +, {n,})`;
    if (justClosed?.quantified) return 'a nested quantifier such as (a+)+';
    if (justClosed?.alternation) return 'a repeated alternation such as (a|b)*';
    const current = groups.at(-1);
    if (current) current.quantified = true;
  }
  return undefined;
}

/** A text redactor: the sidecar's full one (shape rules and its own token) when the caller has it. */
export type RedactText = (text: string) => string;

/**
 * The lines with their text redacted as one text, the way the answer's exit sees them joined: the multi-line
 * rules (a private key, a `password: |` block) need the lines around each one, so redacting line by line
 * would let a key's body line, or a block's value line, out in clear. Timestamps and order are kept; a rule
 * that joins or drops lines leaves no way to say which text is whose, so the lines from the first to the last
 * that differ go wholly REDACTED.
 */
export function redactLogLines(lines: readonly LogLine[], redact: RedactText = redactShapes): LogLine[] {
  const texts = lines.map((line) => line.text);
  const redacted = redact(texts.join('\n')).split('\n');
  if (redacted.length === texts.length) {
    return lines.map((line, index) => {
      const text = redacted[index] ?? REDACTED;
      return text === line.text ? line : { ...line, text };
    });
  }
  let head = 0;
  while (head < texts.length && head < redacted.length && texts[head] === redacted[head]) head += 1;
  let tail = 0;
  while (
    tail < texts.length - head &&
    tail < redacted.length - head &&
    texts[texts.length - 1 - tail] === redacted[redacted.length - 1 - tail]
  ) {
    tail += 1;
  }
  return lines.map((line, index) =>
    index < head || index >= texts.length - tail ? line : { ...line, text: REDACTED },
  );
}

export interface GrepResult {
  readonly matched: LogLine[];
  /** Lines examined; fewer than the input when the time budget ran out. */
  readonly scanned: number;
}

/**
 * The lines the pattern matches, in log order. `newestFirst` spends the time budget on the end of the log
 * first (a tail), otherwise on the start (reading forward from a cursor).
 */
export function grepLines(
  lines: readonly LogLine[],
  pattern: RegExp,
  newestFirst: boolean,
  budgetMs = GREP_TIME_BUDGET_MS,
  redact: RedactText = redactShapes,
): GrepResult {
  const deadline = performance.now() + budgetMs;
  const matched: LogLine[] = [];
  let scanned = 0;
  for (let step = 0; step < lines.length; step += 1) {
    if (step > 0 && step % 64 === 0 && performance.now() > deadline) break;
    const line = lines[newestFirst ? lines.length - 1 - step : step] as LogLine;
    // The pattern sees the line as the answer would show it (redacted, then cut): matching the raw text would let
    // repeated greps confirm a hidden secret one guessed prefix at a time.
    // Lines that span a secret with their neighbours are redacted together first (redactLogLines).
    if (pattern.test(redact(line.text).slice(0, GREP_MATCH_CHARS))) matched.push(line);
    scanned += 1;
  }
  return { matched: newestFirst ? matched.reverse() : matched, scanned };
}

export interface Selection {
  readonly kept: readonly LogLine[];
  /** Index in the input of the first kept line (0 when none). */
  readonly firstIndex: number;
  readonly omittedLines: number;
  readonly omittedBytes: number;
  /** Kept lines that were longer than the per-line cap and were cut. */
  readonly cutLines: number;
}

export interface SelectOptions {
  /** Budget for the kept lines, counted as they are encoded in a JSON answer. */
  readonly maxBytes: number;
  /** Keep the newest lines (a tail) or the oldest (reading forward from a cursor). */
  readonly keep: 'newest' | 'oldest';
  /** Longer lines are cut to this many bytes with a marker. */
  readonly lineCapBytes: number;
  readonly timestamps: boolean;
}

/**
 * Renders each line (optionally with its timestamp), caps long ones, and keeps what fits the byte budget.
 * When not even one line fits, the edge line is cut to the budget, so a reader paging with cursors always
 * moves forward.
 */
export function selectLines(lines: readonly LogLine[], options: SelectOptions): Selection & { texts: string[] } {
  const rendered = lines.map((line) => renderLine(line, options, options.lineCapBytes));
  const order = options.keep === 'newest' ? [...rendered.keys()].reverse() : [...rendered.keys()];
  let used = 0;
  let count = 0;
  for (const index of order) {
    const cost = jsonBytes(rendered[index]?.text ?? '') + 1;
    if (used + cost > options.maxBytes) break;
    used += cost;
    count += 1;
  }
  if (count === 0 && lines.length > 0) {
    const edge = options.keep === 'newest' ? lines.length - 1 : 0;
    // Escaping at most doubles a line in JSON; the rest is room for the cut marker.
    rendered[edge] = renderLine(lines[edge] as LogLine, options, Math.floor((options.maxBytes - 64) / 2));
    count = 1;
  }
  const start = options.keep === 'newest' ? lines.length - count : 0;
  const keptRendered = rendered.slice(start, start + count);
  const omitted = rendered.filter((_, index) => index < start || index >= start + count);
  return {
    kept: lines.slice(start, start + count),
    texts: keptRendered.map((line) => line.text),
    firstIndex: start,
    omittedLines: omitted.length,
    omittedBytes: omitted.reduce((sum, line) => sum + Buffer.byteLength(line.text) + 1, 0),
    cutLines: keptRendered.filter((line) => line.cut).length,
  };
}

function renderLine(line: LogLine, options: SelectOptions, capBytes: number): { text: string; cut: boolean } {
  const raw = options.timestamps && line.timestamp ? `${line.timestamp} ${line.text}` : line.text;
  const full = redactShapes(raw);
  const capped = truncateHead(full, capBytes);
  return capped.truncated
    ? { text: `${capped.text} … [line cut: ${capped.omittedBytes} more bytes]`, cut: true }
    : { text: full, cut: false };
}

/** Bytes of a string inside a JSON document, without its quotes. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

export const MAX_TAIL_LINES = 5000;

/** What one read of a log found and left out: the input of the notes that tell an agent how to get more. */
export interface LogWindowFacts {
  readonly mode: 'tail' | 'cursor';
  readonly returned: number;
  readonly scanned: number;
  readonly grep?: { readonly matched: number; readonly stoppedEarly: boolean } | undefined;
  /** Tail: older lines exist that were not read (tail_lines or the read cap reached). */
  readonly olderNotRead: boolean;
  /** Lines after the last one read already exist (tail_lines or the read cap reached). */
  readonly newerNotRead: boolean;
  readonly omitted?:
    | {
        readonly lines: number;
        readonly bytes: number;
        readonly side: 'older' | 'newer';
        readonly earlierCursor?: string;
      }
    | undefined;
  readonly cutLines: number;
  readonly lineCapBytes: number;
  /** Cursor: the bounded read ended before reaching the cursor (the log grows faster than one read covers). */
  readonly cursorOutOfReach?: boolean | undefined;
  /** e.g. "in the last 300 s"; set when since_seconds or since_time narrowed the read. */
  readonly since?: string | undefined;
  readonly nextCursor?: string | undefined;
}

/** Plain-language notes: what was left out and the exact call that gets it. */
export function logNotes(facts: LogWindowFacts): string[] {
  const notes: string[] = [];
  const since = facts.since ? ` ${facts.since}` : '';
  if (facts.grep) {
    notes.push(`grep matched ${facts.grep.matched} of ${facts.scanned} line(s) read${since}.`);
    if (facts.grep.stoppedEarly) {
      notes.push(
        'grep stopped early (its time budget ran out on long lines); simplify the pattern to search them all.',
      );
    }
  } else if (facts.cursorOutOfReach) {
    notes.push(
      'The log grows faster than one bounded read reaches past this cursor; read the newest lines without cursor, or narrow with since_seconds.',
    );
  } else if (facts.returned === 0) {
    notes.push(
      facts.mode === 'cursor'
        ? 'No new lines after the cursor yet; call again later with the same cursor.'
        : `The log has no lines${since}.`,
    );
  }
  const omitted = facts.omitted;
  if (omitted && omitted.lines > 0) {
    if (omitted.side === 'older') {
      notes.push(
        `${omitted.lines} older line(s) (${omitted.bytes} bytes) left out to fit max_bytes${
          omitted.earlierCursor ? `; to read them oldest-first pass cursor "${omitted.earlierCursor}"` : ''
        }, or narrow with grep or since_seconds.`,
      );
    } else {
      notes.push(
        `${omitted.lines} later line(s) (${omitted.bytes} bytes) left out to fit max_bytes; call again with cursor "${facts.nextCursor}" to continue.`,
      );
    }
  }
  if (facts.mode === 'tail' && facts.olderNotRead) {
    notes.push(
      facts.grep
        ? `grep searched only the last ${facts.scanned} line(s); raise tail_lines (max ${MAX_TAIL_LINES}) or use since_seconds to search further back.`
        : `Older lines exist before these; raise tail_lines (max ${MAX_TAIL_LINES}) or use since_seconds.`,
    );
  }
  if (facts.newerNotRead && facts.nextCursor && !(omitted && omitted.side === 'newer' && omitted.lines > 0)) {
    notes.push(`More lines follow; call again with cursor "${facts.nextCursor}".`);
  }
  if (facts.cutLines > 0) {
    notes.push(`${facts.cutLines} line(s) longer than ${facts.lineCapBytes} bytes were cut.`);
  }
  return notes;
}

/** What the API returned for one answer, and which part of it is in range. */
export interface LogRead {
  /** Every line the API returned; cursor positions count within it. */
  readonly lines: readonly LogLine[];
  /** The lines in range: after the cursor or since_time, at most tail_lines of them. */
  readonly window: readonly LogLine[];
  readonly olderNotRead: boolean;
  readonly newerNotRead: boolean;
  readonly cursorOutOfReach?: boolean | undefined;
}

export interface LogAnswerOptions {
  /** Set when reading forward from a cursor; otherwise the answer is a tail. */
  readonly cursor?: LogPosition | undefined;
  readonly grep?: RegExp | undefined;
  readonly maxBytes: number;
  readonly timestamps: boolean;
  readonly lineCapBytes: number;
  readonly since?: string | undefined;
  /** The sidecar's full text redactor; the shape rules alone when not given. */
  readonly redact?: RedactText | undefined;
}

export interface LogAnswer {
  readonly lines: string[];
  readonly scanned_lines: number;
  readonly matched_lines?: number | undefined;
  readonly more_before: boolean;
  readonly more_after: boolean;
  readonly truncated?:
    | {
        readonly omitted_lines: number;
        readonly omitted_bytes: number;
        readonly side: 'older' | 'newer';
        readonly earlier_cursor?: string | undefined;
      }
    | undefined;
  readonly long_lines_cut?: number | undefined;
  readonly next_cursor?: string | undefined;
  readonly notes: string[];
}

/**
 * The whole read redacted as one text, so a secret whose first line lies before the window (since, cursor)
 * is still seen whole; the window keeps its lines, now redacted.
 */
function redactRead(read: LogRead, redact: RedactText | undefined): { lines: LogLine[]; window: LogLine[] } {
  const lines = redactLogLines(read.lines, redact);
  const redactedOf = new Map(read.lines.map((line, index) => [line, lines[index] as LogLine]));
  if (read.window.every((line) => redactedOf.has(line))) {
    return { lines, window: read.window.map((line) => redactedOf.get(line) as LogLine) };
  }
  return { lines, window: redactLogLines(read.window, redact) };
}

/**
 * Greps and cuts a read to the budget, and works out the cursors: next_cursor continues after the last line
 * returned (or examined, when nothing was left out), earlier_cursor re-reads a tail's left-out older lines
 * from the start of its window.
 */
export function buildLogAnswer(read: LogRead, options: LogAnswerOptions): LogAnswer {
  const { lines, window } = redactRead(read, options.redact);
  const { cursor } = options;
  const grepped = options.grep
    ? grepLines(window, options.grep, !cursor, GREP_TIME_BUDGET_MS, options.redact)
    : undefined;
  const selection = selectLines(grepped ? grepped.matched : window, {
    maxBytes: options.maxBytes,
    keep: cursor ? 'oldest' : 'newest',
    lineCapBytes: options.lineCapBytes,
    timestamps: options.timestamps,
  });
  const indexInRead = new Map(lines.map((line, index) => [line, index]));
  const after = (line: LogLine | undefined) =>
    line === undefined ? undefined : positionAt(lines, indexInRead.get(line) ?? -1);
  const grepStoppedEarly = grepped !== undefined && grepped.scanned < window.length;
  const scanned = grepped ? grepped.scanned : window.length;
  let olderNotRead = read.olderNotRead;
  let newerNotRead = read.newerNotRead;
  let next: LogPosition | undefined;
  if (cursor) {
    const lastExamined = grepStoppedEarly ? window[scanned - 1] : window.at(-1);
    next = selection.omittedLines > 0 ? after(selection.kept.at(-1)) : (after(lastExamined) ?? cursor);
    newerNotRead ||= grepStoppedEarly;
  } else {
    // A tail examined everything up to the newest line read, matched or not.
    next = after(lines.at(-1));
    olderNotRead ||= grepStoppedEarly;
  }
  const nextCursor = next ? encodeLogCursor(next) : undefined;
  const first = window[0];
  const earlier =
    !cursor && selection.omittedLines > 0 && first ? positionAt(lines, indexInRead.get(first) ?? 0, true) : undefined;
  const truncated =
    selection.omittedLines > 0
      ? {
          omitted_lines: selection.omittedLines,
          omitted_bytes: selection.omittedBytes,
          side: cursor ? ('newer' as const) : ('older' as const),
          earlier_cursor: earlier ? encodeLogCursor(earlier) : undefined,
        }
      : undefined;
  const notes = logNotes({
    mode: cursor ? 'cursor' : 'tail',
    returned: selection.kept.length,
    scanned,
    grep: grepped ? { matched: grepped.matched.length, stoppedEarly: grepStoppedEarly } : undefined,
    olderNotRead,
    newerNotRead,
    omitted: truncated && {
      lines: truncated.omitted_lines,
      bytes: truncated.omitted_bytes,
      side: truncated.side,
      earlierCursor: truncated.earlier_cursor,
    },
    cutLines: selection.cutLines,
    lineCapBytes: options.lineCapBytes,
    since: options.since,
    nextCursor,
    cursorOutOfReach: read.cursorOutOfReach,
  });
  return {
    lines: selection.texts,
    scanned_lines: scanned,
    matched_lines: grepped?.matched.length,
    more_before: olderNotRead || (!cursor && selection.omittedLines > 0),
    more_after: newerNotRead || (cursor !== undefined && selection.omittedLines > 0),
    truncated,
    long_lines_cut: selection.cutLines > 0 ? selection.cutLines : undefined,
    next_cursor: nextCursor,
    notes,
  };
}
