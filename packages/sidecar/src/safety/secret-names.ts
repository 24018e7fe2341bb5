/**
 * Which names hold a credential. A value is redacted by the name it is stored under (an env var, a ConfigMap
 * key, a JSON or YAML key, a flag, a query parameter) as well as by its shape; this module decides the names.
 */

export const REDACTED = '[REDACTED]';

// Words that make a name a credential's: DB_PASSWORD, api-key, clientSecret, auth_token, … — but not `passed`,
// `passport`, `author` or `authority`.
export const SECRET_WORD =
  'pass(?:word|wd|phrase)?(?!ed|es|ing|ive|age|port)|pwd|secret|token|api[-_.]?key|apikey|private[-_.]?key|credential|access[-_.]?key|signing[-_.]?key|encryption[-_.]?key|session[-_.]?(?:id|key)|cookie|auth(?!or(?!ization))';
const SECRET_NAME = new RegExp(SECRET_WORD, 'i');
const SECRET_NAME_END = new RegExp(`(?:${SECRET_WORD})s?$`, 'i');
// Keys that name or point at a secret without holding one (`secretName: tls`, `tokenAudience`), or that only
// count tokens (`tokenBucketSize`).
const REFERENCE_NAME = /(name|ref|audience|path|file|expirationseconds|bucket|bucketsize)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name.replace(/[-_.'"\\]/g, ''));
}

/** The name ends in the credential word (`api-key`, `DB_PASSWORD`), so what follows it is its value. */
export function endsInSecretWord(name: string): boolean {
  return isSecretName(name) && SECRET_NAME_END.test(name);
}

/** Base64 and opaque tokens have digits, symbols or inner capitals; English words after "basic" do not. */
export function looksLikeCredential(candidate: string): boolean {
  return /[0-9+/=_~]/.test(candidate) || /[A-Z]/.test(candidate.slice(1));
}

/**
 * An image tag right after a repository named like `auth` or `token` (`auth:v2`, `ghcr.io/acme/token:1.27`):
 * a version, not a credential. Short numbers only, so a numeric one-time code after `token:` still goes.
 */
export const IMAGE_TAG = /^(?:v?\d{1,4}(?:\.\d{1,4}){0,3}(?:[-+][A-Za-z0-9.]{1,32})?|latest)$/;
/** Names that only ever hold a credential, never name an image: their value goes whatever it looks like. */
export const STORED_CREDENTIAL = /pass|pwd|secret|key|credential|cookie|session/i;

/**
 * A plural heading followed by a sentence — "Secrets: they are not a kind here", "tokens: 3 issued" — is
 * prose, not an assignment. `rest` is the text after the candidate value.
 */
export function isProseHeading(name: string, separator: string, value: string, rest: string): boolean {
  return (
    /^:[ \t]+$/.test(separator) &&
    /[a-z]s$/i.test(name) &&
    endsInSecretWord(name) &&
    /^(?:[a-z]+|\d{1,6})$/.test(value) &&
    /^[ \t]+[a-z]/.test(rest)
  );
}
