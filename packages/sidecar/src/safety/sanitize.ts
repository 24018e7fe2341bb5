/**
 * Cluster data (logs, event messages, annotations) is written by whoever runs in the namespace, so it is
 * untrusted: terminal escapes and invisible control characters are removed, and long free text is framed so
 * the model can tell data from instructions.
 */
import { defuseMarkers, endMarker, startMarker } from './frame-markers.ts';

// CSI (7- and 8-bit) and OSC escape sequences, then any other escape with its intermediates and final byte
// (`ESC ( B` from tput, `ESC 7`), then the remaining C0/C1 controls except tab and newline, then the Unicode
// bidirectional overrides that can make text read differently from how it is stored.
const ESCAPE_SEQUENCES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

export function stripControl(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(CONTROL_CHARACTERS, '');
}

/**
 * Frames free text from the cluster between markers that carry the answer's nonce (a placeholder here; the
 * gate's exit puts the nonce in): nothing inside the text or its label can read as a marker.
 */
export function frameUntrusted(label: string, text: string): string {
  const body = defuseMarkers(stripControl(text));
  const title = defuseMarkers(stripControl(label.replace(/\s+/g, ' ')).replace(/[<>]/g, ''));
  const newline = body.endsWith('\n') || body === '' ? '' : '\n';
  return `${startMarker(title)}\n${body}${newline}${endMarker()}`;
}

/** Applies stripControl to every string inside a JSON-like value. */
export function stripControlDeep<T>(value: T): T {
  return mapStrings(value, stripControl);
}

export function mapStrings<T>(value: T, transform: (text: string, key: string | undefined) => string, key?: string): T {
  if (typeof value === 'string') return transform(value, key) as T;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, transform, key)) as T;
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) result[name] = mapStrings(item, transform, name);
    return result as T;
  }
  return value;
}
