/**
 * Values that span lines, which no one-line pattern can hold: the lines of a YAML block scalar or of a
 * pretty-printed JSON array under a credential name, and the tail of a private key whose BEGIN line was cut
 * off. Both work on plain text and on
 * text inside a JSON string (lines joined by an escaped `\n`), and walk each line once.
 */
import { isSecretName, REDACTED } from './secret-names.ts';

const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const PEM_BODY = /[A-Za-z0-9+/=\\\s]/;

/** The tail of a key whose beginning was cut off (a log read from the middle): base64 lines up to an END line. */
export function redactKeyTails(text: string): string {
  let output = '';
  let from = 0;
  for (let at = text.indexOf('-----END ', 0); at >= 0; at = text.indexOf('-----END ', at + 1)) {
    PEM_END.lastIndex = at;
    const end = PEM_END.exec(text);
    if (!end || at < from) continue;
    let start = at;
    while (start > from && PEM_BODY.test(text[start - 1] ?? '')) start--;
    // The walk takes indentation and the space after a label (`tls.key: MIIE…`); those stay.
    while (start < at && /\s/.test(text[start] ?? '')) start++;
    output += `${text.slice(from, start)}${REDACTED}`;
    from = at + end[0].length;
  }
  return output + text.slice(from);
}

// A YAML block scalar under a credential name (`password: |` then indented lines), in a file or inside a JSON
// string (lines joined by an escaped `\n`, which is not part of the name after it).
const BLOCK_KEY =
  /(?:(?<![A-Za-z0-9_.\\-])|(?<=\\[nrt]))(["']?)([A-Za-z0-9_.-]+)\1:[ \t]*[|>][-+1-9]{0,2}[ \t]*(?=\r?\n|\\+n)/g;

/**
 * The indentation of the line `index` is on. A line starts after a newline, an escaped newline, or a quote
 * (the first line of a JSON string). Walks back over that line only, so the cost stays linear.
 */
function indentationAt(text: string, index: number): number {
  let start = index;
  while (start > 0) {
    const previous = text[start - 1];
    if (previous === '\n' || previous === '"' || (previous === 'n' && text[start - 2] === '\\')) break;
    start--;
  }
  return (/^[ \t]*/.exec(text.slice(start, index))?.[0] ?? '').length;
}

/** The lines below a key that belong to it: those indented more than the key's line (blank ones too). */
interface OwnedLines {
  readonly newline: string;
  readonly lines: readonly string[];
  readonly end: number;
}

/**
 * `firstAlways`: the line right after the key belongs to it even when it is not indented (malformed YAML);
 * after a blank line, an unindented line is the next thing in the text, not the value.
 */
function ownedLines(text: string, keyIndex: number, keyEnd: number, firstAlways: boolean): OwnedLines {
  // The line break as this text writes it: a newline, or `\n` escaped once or more (JSON inside JSON).
  const newline = /^(?:\r?\n|\\+n)/.exec(text.slice(keyEnd, keyEnd + 16))?.[0] ?? '\n';
  const escapes = newline.length - 1;
  const indent = indentationAt(text, keyIndex);
  const lines: string[] = [];
  let taken = false;
  let at = keyEnd;
  while (text.startsWith(newline, at)) {
    const start = at + newline.length;
    const lineEnd = lineEndFrom(text, start, newline, escapes);
    const line = text.slice(start, lineEnd);
    const blank = line.trim() === '';
    if (!blank && leadingSpace(line).length <= indent && (taken || !firstAlways || lines.length > 0)) break;
    taken ||= !blank;
    lines.push(line);
    at = lineEnd;
  }
  return { newline, lines, end: at };
}

const leadingSpace = (line: string): string => /^[ \t]*/.exec(line)?.[0] ?? '';

/** Replaces, after each key of `pattern` named like a credential, the lines the key owns. */
function redactBelow(
  text: string,
  pattern: RegExp,
  firstAlways: boolean,
  render: (owned: OwnedLines, key: RegExpExecArray) => string,
): string {
  let output = '';
  let from = 0;
  for (const key of text.matchAll(pattern)) {
    const keyIndex = key.index ?? 0;
    if (keyIndex < from || !isSecretName(key[2] ?? '')) continue;
    const keyEnd = keyIndex + key[0].length;
    const owned = ownedLines(text, keyIndex, keyEnd, firstAlways);
    output += text.slice(from, keyEnd) + render(owned, key as RegExpExecArray);
    from = owned.end;
  }
  return output + text.slice(from);
}

/** The lines of a block scalar after its key, each replaced by REDACTED at its own indentation. */
export function redactBlockScalars(text: string): string {
  return redactBelow(text, BLOCK_KEY, true, ({ newline, lines }) =>
    lines.map((line) => `${newline}${line.trim() === '' ? line : `${leadingSpace(line)}${REDACTED}`}`).join(''),
  );
}

// A JSON array (or YAML flow sequence) under a credential name, opened at the end of its line: pretty-printed
// JSON puts each item on a line of its own, where no name stands beside it.
const ARRAY_KEY =
  /(?:(?<![A-Za-z0-9_.\\-])|(?<=\\[nrt]))((?<!\\)\\*["']|)([A-Za-z0-9_.-]+)\1[ \t]*:[ \t]*\[[ \t]*(?=\r?\n|\\+n)/g;

/** The items of an open array, as one quoted REDACTED item, so JSON stays JSON. */
export function redactOpenArrays(text: string): string {
  return redactBelow(text, ARRAY_KEY, false, ({ newline, lines }, key) => {
    const first = lines.find((line) => line.trim() !== '');
    if (first === undefined) return lines.map((line) => `${newline}${line}`).join('');
    const quote = key[1] ?? '';
    return `${newline}${leadingSpace(first)}${quote}${REDACTED}${quote}`;
  });
}

/**
 * Where a line ends: at the next line break, or — inside a JSON string escaped `escapes` times — at the quote
 * that closes the string (one with fewer backslashes before it than the line break has).
 */
function lineEndFrom(text: string, start: number, newline: string, escapes: number): number {
  const next = text.indexOf(newline, start);
  const end = next < 0 ? text.length : next;
  if (newline.startsWith('\\')) {
    // Searched within the line only, so a text without quotes costs one pass, not one per line.
    const line = text.slice(start, end);
    for (let at = line.indexOf('"'); at >= 0; at = line.indexOf('"', at + 1)) {
      let backslashes = 0;
      while (text[start + at - 1 - backslashes] === '\\') backslashes++;
      if (backslashes < escapes) return start + at;
    }
  }
  return end;
}
