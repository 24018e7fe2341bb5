/**
 * Secrets never reach the model. There is no Secret-reading tool and the namespace guard refuses Secret paths;
 * this pass is the net under everything else: it runs over every tool result, resource and prompt, logs
 * included, and removes values that look like credentials — by the name they are stored under and by shape —
 * plus the exact values the sidecar knows are secret (its own token).
 */
import { mapStrings } from './sanitize.ts';

export const REDACTED = '[REDACTED]';

// Names under which values are credentials: DB_PASSWORD, api-key, clientSecret, auth_token, …
const SECRET_NAME =
  /(pass(word|wd|phrase)?|pwd|secret|token|api[-_.]?key|apikey|private[-_.]?key|credential|access[-_.]?key|signing[-_.]?key|encryption[-_.]?key|session[-_.]?(id|key)|cookie|auth)/i;
// Keys that name or point at a secret without holding one (`secretName: tls`, `tokenAudience`).
const REFERENCE_NAME = /(name|ref|audience|path|file|expirationseconds)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name.replace(/[-_.]/g, ''));
}

const SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  // PEM private keys, whole block.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // JSON Web Tokens (service-account tokens are JWTs).
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Authorization headers and bearer tokens.
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // Credentials inside URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${REDACTED}@`],
  // Cloud access key ids.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // name=value, name: value, "name": "value" where the name looks like a credential.
  [
    /((?:["']?)[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_.]?key|apikey|private[-_.]?key|credential|access[-_.]?key|auth)[A-Za-z0-9_.-]*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}]+)/gi,
    `$1${REDACTED}`,
  ],
];

export interface Redactor {
  text(text: string): string;
  value<T>(value: T): T;
}

/** `knownSecrets` returns exact values to remove wherever they appear (read lazily: tokens rotate). */
export function createRedactor(knownSecrets: () => readonly string[] = () => []): Redactor {
  const text = (input: string): string => {
    let output = input;
    for (const secret of knownSecrets()) {
      if (secret.length >= 8) output = output.replaceAll(secret, REDACTED);
    }
    for (const [pattern, replacement] of SHAPES) output = output.replace(pattern, replacement);
    return output;
  };
  return {
    text,
    value<T>(value: T): T {
      return redactEnvPairs(
        mapStrings(value, (item, key) =>
          key !== undefined && isSecretName(key) && item !== '' ? REDACTED : text(item),
        ),
      );
    },
  };
}

/** `{name: DB_PASSWORD, value: hunter2}` pairs (env vars, config entries): the value goes by the name. */
function redactEnvPairs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactEnvPairs) as T;
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) result[key] = redactEnvPairs(item);
  if (typeof record.name === 'string' && typeof record.value === 'string' && isSecretName(record.name)) {
    result.value = REDACTED;
  }
  return result as T;
}
