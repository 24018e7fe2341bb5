/**
 * Secrets never reach the model. There is no Secret-reading tool and the namespace guard refuses Secret paths;
 * this pass is the net under everything else: it runs over every tool result, resource and prompt, logs
 * included, and removes values that look like credentials — by the name they are stored under and by shape
 * (the rules and their cases are in redaction-rules.ts) — plus the exact values the sidecar knows are secret
 * (its own token).
 *
 * Redaction runs before anything is cut to length: a cut can fall inside a credential and leave a fragment no
 * rule recognises, while cutting redacted text only shortens it. Redacting twice gives the same text as once.
 */
import { redactArgv } from './redact-argv.ts';
import { redactShapes } from './redaction-rules.ts';
import { isSecretName, REDACTED } from './secret-names.ts';

export { redactArgv } from './redact-argv.ts';
/**
 * For code that must cut cluster text before the answer's exit (format/ capping long strings): the rules
 * without the known secrets, so a cut cannot fall inside a credential. The exit still redacts everything.
 */
export { redactShapes, redactUrl } from './redaction-rules.ts';
export { isSecretName, REDACTED } from './secret-names.ts';

export interface Redactor {
  text(text: string): string;
  value<T>(value: T): T;
}

/** `knownSecrets` returns exact values to remove wherever they appear (read lazily: tokens rotate). */
export function createRedactor(knownSecrets: () => readonly string[] = () => []): Redactor {
  return {
    text: (input: string): string => redactText(input, knownSecrets()),
    // Known secrets are read once per pass, not once per string: a tool result holds thousands of strings.
    value: <T>(value: T): T => redactValue(value, undefined, knownSecrets()) as T,
  };
}

function redactText(input: string, secrets: readonly string[]): string {
  let output = input;
  for (const secret of secrets) {
    if (secret.length >= 8) output = output.replaceAll(secret, REDACTED);
  }
  return redactShapes(output);
}

/**
 * Strings under a credential key go whole; arrays of strings are read as argv (a flag's value is the next
 * item); `{name: DB_PASSWORD, value: hunter2}` pairs (env vars, config entries) lose the value by the name;
 * every other string goes through the text rules. The input is not changed.
 */
function redactValue(value: unknown, key: string | undefined, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    return key !== undefined && isSecretName(key) && value !== '' ? REDACTED : redactText(value, secrets);
  }
  if (Array.isArray(value)) {
    const items = value.every((item) => typeof item === 'string') ? redactArgv(value) : value;
    return items.map((item) => redactValue(item, key, secrets));
  }
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(record)) result[name] = redactValue(item, name, secrets);
  if (typeof record.name === 'string' && typeof record.value === 'string' && isSecretName(record.name)) {
    result.value = REDACTED;
  }
  return result;
}
