/**
 * The opaque page cursor of list answers: a small JSON value as base64url, so an agent passes it back unchanged
 * and never edits it by hand. Each user says which values it accepts (`read`) and words its own refusal.
 */

export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The value `read` makes of the cursor, or undefined when it is not base64url JSON or `read` refuses it. */
export function decodeCursor<T>(cursor: string, read: (parsed: unknown) => T | undefined): T | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    return undefined;
  }
  return read(parsed);
}
