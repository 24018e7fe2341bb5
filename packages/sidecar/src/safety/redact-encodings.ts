/**
 * Secrets hidden by an encoding the other rules cannot read through: base64 (also wrapped onto lines, as
 * `base64 -w` and PEM writers lay it out) and percent-encoding. The decoded text goes through every rule again
 * (`inner`, passed in so this module does not import the rule table that lists it), up to a few layers deep.
 */
import { REDACTED } from './secret-names.ts';

/** Every rule applied to decoded text, one layer deeper. */
export type InnerRedaction = (text: string, depth: number) => string;

const BASE64 = /(?:(?<![A-Za-z0-9+/_\\-])|(?<=\\[nrt]))[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: binary after decoding is what this looks for.
const NOT_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]/;
/** Base64 inside base64 inside … is followed this many layers deep. */
const MAX_DEPTH = 3;

/** Whether base64 decodes to text the rules would redact (`password=…`, a private key). */
function revealsSecret(base64: string, depth: number, inner: InnerRedaction): boolean {
  const decoded = Buffer.from(base64, 'base64').toString('utf8');
  if (NOT_TEXT.test(decoded)) return false;
  return inner(decoded, depth + 1) !== decoded;
}

/** Shorter lines are words, not a wrapping width. */
const MIN_WRAP = 16;
const BASE64_CHAR = /[A-Za-z0-9+/]/;

/** Where a line's content ends: before trailing spaces, tabs and a CR. */
function contentEnd(line: string): number {
  let end = line.length;
  while (end > 0 && /[ \t\r]/.test(line[end - 1] ?? '')) end--;
  return end;
}

/** The base64 at the start of a line, after its indentation: [start, end) and whether padding ends it. */
function leadingChunk(line: string): { start: number; end: number; padded: boolean } {
  let start = 0;
  while (start < line.length && /[ \t]/.test(line[start] ?? '')) start++;
  let end = start;
  while (end < line.length && BASE64_CHAR.test(line[end] ?? '')) end++;
  const unpadded = end;
  while (end < line.length && end - unpadded < 2 && line[end] === '=') end++;
  return { start, end, padded: end > unpadded };
}

/**
 * Base64 wrapped onto lines of equal width (the last may be shorter) is decoded as one: a line on its own
 * decodes to a piece of the secret no rule recognises. The run may begin after text on its first line and end
 * before text on its last. A run that reveals a secret loses its base64 on every line, each replaced by
 * REDACTED where it stood (as the block rules keep lines). Each line is walked a bounded number of times.
 */
function redactWrappedBase64(text: string, depth: number, inner: InnerRedaction): string {
  if (!text.includes('\n')) return text;
  const lines = text.split('\n');
  let changed = false;
  let index = 0;
  while (index < lines.length) {
    const first = lines[index] ?? '';
    const firstEnd = contentEnd(first);
    let firstStart = firstEnd;
    while (firstStart > 0 && BASE64_CHAR.test(first[firstStart - 1] ?? '')) firstStart--;
    const width = firstEnd - firstStart;
    if (width < MIN_WRAP || width % 4 !== 0) {
      index++;
      continue;
    }
    const spans: Array<readonly [line: number, start: number, end: number]> = [[index, firstStart, firstEnd]];
    let body = first.slice(firstStart, firstEnd);
    let next = index + 1;
    while (next < lines.length) {
      const line = lines[next] ?? '';
      const chunk = leadingChunk(line);
      const length = chunk.end - chunk.start;
      if (length === 0 || length > width) break;
      spans.push([next, chunk.start, chunk.end]);
      body += line.slice(chunk.start, chunk.end);
      next++;
      if (length < width || chunk.padded || contentEnd(line) !== chunk.end) break;
    }
    // A short last line may be the run's end or unrelated text that happens to be base64 characters (`/+`).
    const [, lastStart, lastEnd] = spans.at(-1) as readonly [number, number, number];
    const withoutLast = body.slice(0, body.length - (lastEnd - lastStart));
    const run =
      spans.length >= 2 && revealsSecret(body, depth, inner)
        ? spans
        : spans.length >= 3 && lastEnd - lastStart < width && revealsSecret(withoutLast, depth, inner)
          ? spans.slice(0, -1)
          : [];
    if (run.length > 0) {
      for (const [line, start, end] of run) {
        const content = lines[line] ?? '';
        lines[line] = `${content.slice(0, start)}${REDACTED}${content.slice(end)}`;
      }
      changed = true;
    }
    // The last line of a run may end in the first line of another (text after the padding, then base64).
    index = Math.max(index + 1, next - 1);
  }
  return changed ? lines.join('\n') : text;
}

/** Base64 that decodes to text the rules would redact goes whole; wrapped base64 is joined first. */
export function redactBase64(text: string, depth: number, inner: InnerRedaction): string {
  if (depth >= MAX_DEPTH) return text;
  return redactWrappedBase64(text, depth, inner).replace(BASE64, (candidate) =>
    revealsSecret(candidate, depth, inner) ? REDACTED : candidate,
  );
}

/** Characters a percent-encoded value is made of (RFC 3986 unreserved, `%`, and `/` `+` `'` often left as is). */
const PERCENT_RUN = /[A-Za-z0-9%._~!*()/+'-]+/g;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/** Decodes %XX escapes; malformed UTF-8 falls back to one character per byte rather than failing. */
function percentDecode(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    return run.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/**
 * A percent-encoded value (a redirect URL in a query parameter, form data, a config in a URL) that decodes to
 * text the rules would redact goes whole. Runs never overlap, so each character is decoded once per layer.
 */
export function redactPercentEncoded(text: string, depth: number, inner: InnerRedaction): string {
  if (depth >= MAX_DEPTH) return text;
  return text.replace(PERCENT_RUN, (run) => {
    if (!PERCENT_ESCAPE.test(run)) return run;
    const decoded = percentDecode(run);
    if (NOT_TEXT.test(decoded)) return run;
    return inner(decoded, depth + 1) === decoded ? run : REDACTED;
  });
}

/** Base64 as `base64 -w` and PEM writers lay it out. */
export function wrap(base64: string, width: number): string {
  return base64.match(new RegExp(`.{1,${width}}`, 'g'))?.join('\n') ?? base64;
}
