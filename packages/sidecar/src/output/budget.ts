/** Byte budgets for answers: an agent's context is the scarce resource, so every result has a ceiling. */

/** Ceiling for a tool's text rendering and, separately, for its structured content. */
export const RESULT_BUDGET_BYTES = 24 * 1024;

export interface Truncated {
  readonly text: string;
  readonly truncated: boolean;
  /** Bytes left out. */
  readonly omittedBytes: number;
}

/** Keeps the head of `text` within `maxBytes` of UTF-8, never splitting a character. */
export function truncateHead(text: string, maxBytes: number): Truncated {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { text, truncated: false, omittedBytes: 0 };
  const buffer = Buffer.from(text);
  let end = Math.max(0, maxBytes);
  while (end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: buffer.subarray(0, end).toString(), truncated: true, omittedBytes: bytes - end };
}

/** Keeps the tail of `text` within `maxBytes` (logs: the newest lines matter), starting at a line boundary. */
export function truncateTail(text: string, maxBytes: number): Truncated {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { text, truncated: false, omittedBytes: 0 };
  const buffer = Buffer.from(text);
  let start = bytes - maxBytes;
  while (start < bytes && ((buffer[start] ?? 0) & 0xc0) === 0x80) start += 1;
  let kept = buffer.subarray(start).toString();
  // Drop the partial first line, unless the cut already fell on a line start.
  const newline = buffer[start - 1] === 0x0a ? -1 : kept.indexOf('\n');
  if (newline >= 0 && newline < kept.length - 1) kept = kept.slice(newline + 1);
  return { text: kept, truncated: true, omittedBytes: bytes - Buffer.byteLength(kept) };
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
}
