/**
 * Secrets never reach the model. There is no Secret-reading tool and the namespace guard refuses Secret paths;
 * this pass is the net under everything else: it runs over every tool result, resource and prompt, logs
 * included, and removes values that look like credentials — by the name they are stored under and by shape —
 * plus the exact values the sidecar knows are secret (its own token).
 */
import { mapStrings } from './sanitize.ts';

export const REDACTED = '[REDACTED]';

// Words that make a name a credential's: DB_PASSWORD, api-key, clientSecret, auth_token, … — but not `passed`,
// `passport`, `author` or `authority`.
const SECRET_WORD =
  'pass(?:word|wd|phrase)?(?!ed|es|ing|ive|age|port)|pwd|secret|token|api[-_.]?key|apikey|private[-_.]?key|credential|access[-_.]?key|signing[-_.]?key|encryption[-_.]?key|session[-_.]?(?:id|key)|cookie|auth(?!or(?!ization))';
const SECRET_NAME = new RegExp(SECRET_WORD, 'i');
const SECRET_NAME_END = new RegExp(`(?:${SECRET_WORD})s?$`, 'i');
// Keys that name or point at a secret without holding one (`secretName: tls`, `tokenAudience`), or that only
// count tokens (`tokenBucketSize`).
const REFERENCE_NAME = /(name|ref|audience|path|file|expirationseconds|bucket|bucketsize)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name.replace(/[-_.'"]/g, ''));
}

/** Base64 and opaque tokens have digits, symbols or inner capitals; English words after "basic" do not. */
function looksLikeCredential(candidate: string): boolean {
  return /[0-9+/=_~]/.test(candidate) || /[A-Z]/.test(candidate.slice(1));
}

/**
 * An image tag right after a repository named like `auth` or `token` (`auth:v2`, `ghcr.io/acme/token:1.27`):
 * a version, not a credential. Short numbers only, so a numeric one-time code after `token:` still goes.
 */
const IMAGE_TAG = /^(?:v?\d{1,4}(?:\.\d{1,4}){0,3}(?:[-+][A-Za-z0-9.]{1,32})?|latest)$/;
/** Names that only ever hold a credential, never name an image: their value goes whatever it looks like. */
const STORED_CREDENTIAL = /pass|pwd|secret|key|credential|cookie|session/i;

type Replacement = string | ((match: string, ...groups: string[]) => string);

const SHAPES: ReadonlyArray<readonly [RegExp, Replacement]> = [
  // PEM private keys, whole block.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // JSON Web Tokens (service-account tokens are JWTs).
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Authorization headers and bearer tokens.
  [
    /\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})/gi,
    (match, scheme = '', credential = '') => (looksLikeCredential(credential) ? `${scheme} ${REDACTED}` : match),
  ],
  // Credentials inside URLs: scheme://user:password@host (the user may be empty: redis://:password@host).
  [/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi, `$1:${REDACTED}@`],
  // Cloud access key ids.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // name=value, name: value, "name": "value" where the name looks like a credential, on one line (a YAML key
  // that opens a nested mapping has no value of its own). A bare colon counts only
  // after a name that ends in the word, so `auth-proxy:v1.2` and `token-service:8080` (image tags, host:port)
  // are not assignments; quotes are kept so JSON stays JSON; `Authorization: Bearer …` is left to the rule above.
  // The name is matched from its first character only and whole (a lookahead capture, as regexes have no atomic
  // groups), so a long run of name characters costs linear time, not quadratic or worse.
  [
    new RegExp(
      `(?<![A-Za-z0-9_.-])(["']?)(?=[A-Za-z0-9_.-]*?(?:${SECRET_WORD}))(?=([A-Za-z0-9_.-]+))\\2\\1([ \\t]*[:=][ \\t]*)(?!(?:bearer|basic)\\s)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s,;&"'}]+)`,
      'gi',
    ),
    (match, quote = '', name = '', separator = '', value = '') => {
      if (!isSecretName(name)) return match;
      if (separator.trim() === ':' && quote === '' && !/^["']/.test(value) && !SECRET_NAME_END.test(name)) return match;
      if (separator === ':' && quote === '' && IMAGE_TAG.test(value) && !STORED_CREDENTIAL.test(name)) return match;
      const kept = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${quote}${name}${quote}${separator}${kept}${REDACTED}${kept}`;
    },
  ],
];

export interface Redactor {
  text(text: string): string;
  value<T>(value: T): T;
}

/** `knownSecrets` returns exact values to remove wherever they appear (read lazily: tokens rotate). */
export function createRedactor(knownSecrets: () => readonly string[] = () => []): Redactor {
  return {
    text: (input: string): string => redactText(input, knownSecrets()),
    value<T>(value: T): T {
      // Read once per pass, not once per string: a tool result holds thousands of strings.
      const secrets = knownSecrets();
      return redactEnvPairs(
        mapStrings(value, (item, key) =>
          key !== undefined && isSecretName(key) && item !== '' ? REDACTED : redactText(item, secrets),
        ),
      );
    },
  };
}

function redactText(input: string, secrets: readonly string[]): string {
  let output = input;
  for (const secret of secrets) {
    if (secret.length >= 8) output = output.replaceAll(secret, REDACTED);
  }
  for (const [pattern, replacement] of SHAPES) {
    output =
      typeof replacement === 'string' ? output.replace(pattern, replacement) : output.replace(pattern, replacement);
  }
  return output;
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
