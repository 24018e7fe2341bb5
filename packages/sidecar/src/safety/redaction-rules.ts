/**
 * The redaction rules, as data: each rule says what it removes and why, and carries its own table of cases
 * (input → output) that the test suite runs. Rules are applied in order to any text — log lines, event
 * messages, rendered manifests, JSON inside a string, escaped JSON, YAML, base64 of text — and the order
 * matters: a private key goes whole before its lines could be read as anything else, shapes that need no name
 * (tokens, URLs, headers) go before the name rules, and base64 is decoded last, through all of them again.
 *
 * Every pattern is written so that a failed match costs time linear in what it scanned (character classes that
 * cannot overlap what follows them, names read once through a lookahead capture): the rules run over megabytes
 * of logs written by whoever runs in the namespace.
 */
import { flagValueReplacement } from './redact-argv.ts';
import { redactBlockScalars, redactKeyTails, redactOpenArrays } from './redact-blocks.ts';
import { redactBase64, redactPercentEncoded, wrap } from './redact-encodings.ts';
import {
  endsInSecretWord,
  IMAGE_TAG,
  isProseHeading,
  isSecretName,
  looksLikeCredential,
  REDACTED,
  SECRET_WORD,
  STORED_CREDENTIAL,
} from './secret-names.ts';

export interface RedactionRule {
  readonly name: string;
  readonly why: string;
  /** `depth` counts decoded layers (base64 inside base64), so nesting is bounded. */
  apply(text: string, depth: number): string;
  /** What the rule does to whole texts; the test suite asserts each, through the whole rule set. */
  readonly cases: ReadonlyArray<readonly [input: string, output: string]>;
  /** Something every text the rule could change contains: a cheap test that skips the rule's full pass. */
  readonly hint?: RegExp;
}

type Replacer = (match: string, ...groups: string[]) => string;

function regexRule(
  name: string,
  why: string,
  pattern: RegExp,
  replacement: string | Replacer,
  cases: RedactionRule['cases'],
): RedactionRule {
  const apply =
    typeof replacement === 'string'
      ? (text: string) => text.replace(pattern, replacement)
      : (text: string) => text.replace(pattern, replacement);
  return { name, why, apply, cases };
}

/** Characters that end a value inside a URL: space, the next parameter or part, quotes, an escape. */
const URL_VALUE = String.raw`[^\s&#"'<>\\]+`;

// A private key is removed from its BEGIN line through its body and END line. The body may be cut (no END: it
// runs to the first character a key body cannot hold), and may sit in escaped JSON (`\n` between lines). Encrypted PEM headers
// (`Proc-Type: 4,ENCRYPTED`) are part of it; a run of dashes is not, so the END line stops the body.
const PEM_BEGIN =
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=:, \t\r\n\\]|-(?!----))*(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/g;
const PRIVATE_KEYS: RedactionRule[] = [
  regexRule(
    'private-key',
    'PEM private keys (RSA, EC, OpenSSH, PGP, encrypted), whole or cut',
    PEM_BEGIN,
    // A cut key keeps the line breaks after its body, so the line that follows stays a line of its own.
    (match) => `${REDACTED}${match.includes('-----END ') ? '' : match.slice(match.trimEnd().length)}`,
    [
      [
        'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nVTLw7o\n-----END RSA PRIVATE KEY-----\ndone',
        `key:\n${REDACTED}\ndone`,
      ],
      [
        '"tls.key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"',
        `"tls.key": "${REDACTED}\\n"`,
      ],
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r', REDACTED],
      ['-----BEGIN PRIVATE KEY-----\nMIIE\n\n<<<end>>>', `${REDACTED}\n\n<<<end>>>`],
      [
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      ],
    ],
  ),
  {
    name: 'private-key-tail',
    why: 'the end of a private key whose BEGIN line was cut off',
    apply: redactKeyTails,
    cases: [
      ['tail: MIIEow\nVTLw7o==\n-----END EC PRIVATE KEY-----\nnext', `tail: ${REDACTED}\nnext`],
      ['key: |\n    MIIEow\n    -----END PRIVATE KEY-----', `key: |\n    ${REDACTED}`],
    ],
  },
];

const TOKENS: RedactionRule[] = [
  regexRule(
    'jwt',
    'JSON Web Tokens (service-account tokens are JWTs)',
    /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    REDACTED,
    [['id eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.c2lnbmF0dXJl ok', `id ${REDACTED} ok`]],
  ),
  regexRule(
    'vendor-token',
    'tokens whose prefix names their issuer: GitHub, GitLab, Slack, Google, Stripe, npm, model APIs',
    /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}|whsec_[A-Za-z0-9]{20,}|npm_[A-Za-z0-9]{36,}|sk-[A-Za-z0-9_-]{32,})/g,
    REDACTED,
    [
      ['push with ghp_0123456789abcdefghijABCDEFGHIJ0123 done', `push with ${REDACTED} done`],
      ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', REDACTED],
      ['slack xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp', `slack ${REDACTED}`],
      ['maps AIzaSyA-0123456789abcdefghijklmnopqrstu', `maps ${REDACTED}`],
      ['stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc', `stripe ${REDACTED}`],
      ['glpat-0123456789abcdefghij', REDACTED],
      ['sk-learn and ghp_short stay', 'sk-learn and ghp_short stay'],
    ],
  ),
  regexRule('cloud-key-id', 'cloud access key ids', /(?:\b|(?<=\\[nrt]))(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED, [
    ['key AKIAIOSFODNN7EXAMPLE used', `key ${REDACTED} used`],
  ]),
];

const URLS: RedactionRule[] = [
  regexRule(
    'webhook-path',
    'incoming-webhook URLs carry their secret in the path (Slack, Discord, Microsoft Teams / Office 365)',
    /((?:hooks\.slack\.com\/(?:services|workflows|triggers)|discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/\d+|\.webhook\.office\.com\/webhookb2|outlook\.office(?:365)?\.com\/webhook)\/)[^\s?#"'<>\\]+/gi,
    `$1${REDACTED}`,
    [
      [
        'notify https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx now',
        `notify https://hooks.slack.com/services/${REDACTED} now`,
      ],
      [
        'https://discord.com/api/webhooks/123456789012345678/AbCdEf-0123456789_abcdef',
        `https://discord.com/api/webhooks/123456789012345678/${REDACTED}`,
      ],
      [
        '"https://acme.webhook.office.com/webhookb2/1f2e@3d4c/IncomingWebhook/abc123/5e6f"',
        `"https://acme.webhook.office.com/webhookb2/${REDACTED}"`,
      ],
    ],
  ),
  regexRule(
    'hook-token-path',
    'a long token as a path segment after /hooks/ or /webhook(s)/ (Mattermost, Rocket.Chat, CI triggers)',
    /(\/(?:hooks?|webhooks?)\/)([^\s?#"'<>\\]+)/gi,
    (match, prefix = '', path = '') =>
      path.split('/').some((segment) => segment.length >= 16 && /[A-Za-z]/.test(segment))
        ? `${prefix}${REDACTED}`
        : match,
    [
      [
        'POST https://chat.example.com/hooks/x8k2m4p6q9r1t3v5w7y9z0a2b4 200',
        `POST https://chat.example.com/hooks/${REDACTED} 200`,
      ],
      ['POST /hooks/github 200', 'POST /hooks/github 200'],
    ],
  ),
  regexRule(
    'url-userinfo',
    'a password in a URL (scheme://user:password@host; the user may be empty)',
    /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'<>\\]*):[^\s/?#"'<>\\]+@/gi,
    `$1:${REDACTED}@`,
    [
      ['postgres://app:s3cr3t-pw@db.team.svc:5432/orders', `postgres://app:${REDACTED}@db.team.svc:5432/orders`],
      ['redis://:p@ss@cache:6379/0', `redis://:${REDACTED}@cache:6379/0`],
      ['https://example.com:8443/path', 'https://example.com:8443/path'],
    ],
  ),
  regexRule(
    'url-user-token',
    'a token as the whole user part of a URL (https://TOKEN@host: git remotes, webhooks)',
    /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^\s:/@"'<>\\]{20,})@/gi,
    (match, scheme = '', user = '') => (/[0-9]/.test(user) && /[A-Za-z]/.test(user) ? `${scheme}${REDACTED}@` : match),
    [
      [
        'git clone https://0123456789abcdef0123456789abcdef01234567@github.com/acme/app',
        `git clone https://${REDACTED}@github.com/acme/app`,
      ],
      ['ssh://git@github.com/acme/app.git', 'ssh://git@github.com/acme/app.git'],
    ],
  ),
  regexRule(
    'url-signature',
    'signatures and keys in a query string (pre-signed S3 / GCS URLs, Azure SAS and Logic Apps, API keys)',
    new RegExp(`([?&;](?:sig|signature|hmac|x-amz-signature|x-goog-signature|key)=)(${URL_VALUE})`, 'gi'),
    (match, prefix = '', value = '') =>
      /^[?&;]key=$/i.test(prefix) && value.length < 16 ? match : `${prefix}${REDACTED}`,
    [
      [
        'GET /b/o?X-Amz-Credential=AKID%2F20240101&X-Amz-Signature=0a1b2c3d4e5f&x=1',
        `GET /b/o?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&x=1`,
      ],
      [
        'invoke?api-version=2016-06-01&sp=%2Ftriggers&sig=AbC-123_xyz',
        `invoke?api-version=2016-06-01&sp=%2Ftriggers&sig=${REDACTED}`,
      ],
      ['/v1/items?key=page-2', '/v1/items?key=page-2'],
    ],
  ),
];

/** `Authorization:` is always followed by a credential, whatever it looks like. */
const AUTHORIZATION =
  /(authorization\\*["']?[ \t]*[:=][ \t]*\\*["']?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+|(?!(?:bearer|basic|token|digest|negotiate)[ \t])))([^\s"'\\,;[]+)/gi;

const HEADERS: RedactionRule[] = [
  regexRule('authorization-header', 'the value of an Authorization header', AUTHORIZATION, `$1${REDACTED}`, [
    ['Authorization: Bearer abcdefghijkl', `Authorization: Bearer ${REDACTED}`],
    ['authorization: token hunter', `authorization: token ${REDACTED}`],
  ]),
  regexRule(
    'bearer-token',
    'bearer and basic credentials anywhere (only when they look like one: "basic authentication" stays)',
    /(?:\b|(?<=\\[nrt]))(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})/gi,
    (match, scheme = '', credential = '') => (looksLikeCredential(credential) ? `${scheme} ${REDACTED}` : match),
    [
      ['curl -H "X-Auth: Bearer abc123DEF456ghi"', `curl -H "X-Auth: Bearer ${REDACTED}"`],
      ['The HTTP server uses basic authentication', 'The HTTP server uses basic authentication'],
    ],
  ),
];

// A value: a JSON string, a string inside escaped JSON (any depth: \"…\", \\\"…\\\"), a single-quoted string,
// a one-line array, or a bare word. A quoted value that is never closed runs to the end of its line, so a cut
// value still goes.
// A bare value stops at an escape (`\n` in a JSON-encoded YAML file) so the text around it stays intact.
const VALUE = String.raw`"(?:[^"\\\n]|\\.)*"?|(\\+)"(?:[^"\\\n]|\\+(?![\\"])|\5\\+")*(?:\5")?|'[^'\n]*'?|\[[^[\]\n]*\]?|(?:[^\s,;&"'}\\]|\\(?![nrt"\\]))+`;

// name=value, name: value, "name": "value", \"name\": \"value\" where the name looks like a credential, on one
// line (a YAML key that opens a nested mapping has no value of its own). A bare colon counts only after a name
// that ends in the word, so `auth-proxy:v1.2` and `token-service:8080` (image tags, host:port) are not
// assignments; quotes are kept so JSON stays JSON; `Authorization: Bearer …` is left to the rules above.
// The name is matched from its first character only and whole (a lookahead capture, as regexes have no atomic
// groups), so a long run of name characters costs linear time, not quadratic or worse.
const ASSIGNMENT = new RegExp(
  String.raw`(?:(?<![A-Za-z0-9_.-])|(?=\\))((?<!\\)\\*["']|)(?=[A-Za-z0-9_.-]*?(?:${SECRET_WORD}))(?=([A-Za-z0-9_.-]+))\2\1([ \t]*[:=][ \t]*)(?!(?:bearer|basic|token|digest|negotiate)\s)(${VALUE})`,
  'gi',
);

function redactAssignment(match: string, ...groups: unknown[]): string {
  // The replacer's arguments: the five groups of ASSIGNMENT, then the offset and the whole input.
  const [quote = '', name = '', separator = '', value = ''] = groups as string[];
  const offset = groups[5] as number;
  const input = groups[6] as string;
  if (!isSecretName(name)) return match;
  const valueQuoted = /^\\*["']/.test(value);
  const bareColon = separator.trim() === ':' && quote === '' && !valueQuoted;
  if (bareColon && !endsInSecretWord(name)) return match;
  // A quoted name, a space, then a colon is a message (`volume "db-password" : secret "db" not found`): JSON
  // and YAML put the colon right after the key.
  if (quote !== '' && /^[ \t]+:/.test(separator)) return match;
  // `password: |` opens a block scalar, `"tokens": [` an array: the lines below are the yaml-block and
  // json-array rules'.
  if (
    (/^[|>][-+1-9]{0,2}$/.test(value) ? bareColon : value === '[') &&
    /^[ \t]*(?:\r?\n|\\+n)/.test(input.slice(offset + match.length, offset + match.length + 24))
  ) {
    return match;
  }
  if (separator === ':' && quote === '' && IMAGE_TAG.test(value) && !STORED_CREDENTIAL.test(name)) return match;
  if (
    bareColon &&
    isProseHeading(name, separator, value, input.slice(offset + match.length, offset + match.length + 8))
  ) {
    return match;
  }
  // An array becomes one string (in the key's quotes), so JSON stays JSON and a second pass finds the same.
  const redacted = value.startsWith('[') ? `${quote}${REDACTED}${quote}` : redactedLike(value);
  return `${quote}${name}${quote}${separator}${redacted}`;
}

// A quoted key with a prefix, as annotation and label keys have (`"example.com/api-token": "…"` in a manifest
// rendered as JSON): the assignment rule reads a name from the quote on, and a `/` is no name character there
// (in a URL path it is not one). The last segment decides; a value the quote does not open is left alone.
const PREFIXED_KEY = new RegExp(
  String.raw`(?<!\\)(\\*)"((?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]+)\1"([ \t]*:[ \t]*)(${VALUE})`,
  'g',
);

function redactPrefixedKey(match: string, escapes: string, key: string, separator: string, value: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (!isSecretName(name) || !/^\\*["'[]/.test(value)) return match;
  const quote = `${escapes}"`;
  const redacted = value.startsWith('[') ? `${quote}${REDACTED}${quote}` : redactedLike(value);
  return `${quote}${key}${quote}${separator}${redacted}`;
}

/** REDACTED in the quotes (escaped or not) of the value it replaces, so JSON stays JSON. */
function redactedLike(value: string): string {
  const opener = /^\\*["']/.exec(value)?.[0] ?? '';
  const closer = opener !== '' && value.length > opener.length && value.endsWith(opener) ? opener : '';
  return `${opener}${REDACTED}${closer}`;
}

// `{"name": "DB_PASSWORD", "value": "hunter2"}` (an env var or a config entry rendered as JSON, at any escape
// depth) and `- name: DB_PASSWORD\n  value: hunter2` (the same as YAML): the value goes by the name beside it.
const JSON_NAME_VALUE = new RegExp(
  String.raw`((?<!\\)(\\*)"name\2"[ \t]*:[ \t]*\2"([A-Za-z0-9_.-]+)\2"[ \t]*,(?:\s|\\+[nrt])*\2"value\2"[ \t]*:[ \t]*)(${VALUE})`,
  'g',
);
const YAML_NAME_VALUE =
  /((?<=^|[\s"'{,-]|\\n)name:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:\r?\n|\\+n)[ \t]*value:[ \t]*)("[^"\n]*"?|'[^'\n]*'?|(?:[^\n\\]|\\(?![nrt"\\]))+)/g;

function redactNameValue(match: string, prefix: string, name: string, value: string): string {
  return isSecretName(name) && value !== REDACTED ? `${prefix}${redactedLike(value)}` : match;
}

// A credential flag followed by its value as the next word of a command line, the next item of a JSON array
// (plain or escaped, one line or pretty-printed) or the next item of a YAML list.
const FLAG_PAIR =
  /(?:(?<![A-Za-z0-9_.-])|(?<=\\[nrt]))(--?)(?=([A-Za-z0-9][A-Za-z0-9_.-]*))\2([ \t]+|(\\*)"[ \t]*,(?:\s|\\+[nrt])*\4"|["']?[ \t]*(?:\r?\n|\\+n)[ \t]*-[ \t]+["']?)(?!-)((?:[^\s"'\\,;]|\\(?![nrt"\\]))+)/g;

const NAMED_VALUES: RedactionRule[] = [
  regexRule(
    'json-name-value',
    'a value beside a credential name in a JSON {name, value} pair',
    JSON_NAME_VALUE,
    (match, prefix = '', _escapes, name = '', value = '') => redactNameValue(match, prefix, name, value),
    [
      ['{"name":"DB_PASSWORD","value":"a b"}', `{"name":"DB_PASSWORD","value":"${REDACTED}"}`],
      [
        String.raw`{\"name\": \"api-key\",\n \"value\": \"k\"}`,
        String.raw`{\"name\": \"api-key\",\n \"value\": \"${REDACTED}\"}`,
      ],
      ['{"name":"LOG_LEVEL","value":"debug"}', '{"name":"LOG_LEVEL","value":"debug"}'],
    ],
  ),
  regexRule(
    'yaml-name-value',
    'a value beside a credential name in a YAML name/value pair',
    YAML_NAME_VALUE,
    (match, prefix = '', name = '', value = '') => redactNameValue(match, prefix, name, value),
    [
      [
        'env:\n- name: DB_PASSWORD\n  value: hunter 2\n- name: X',
        `env:\n- name: DB_PASSWORD\n  value: ${REDACTED}\n- name: X`,
      ],
      ['- name: LOG_LEVEL\n  value: debug', '- name: LOG_LEVEL\n  value: debug'],
    ],
  ),
  {
    name: 'yaml-block',
    why: 'a YAML block scalar (| or >) under a credential name: the value is on the lines below',
    apply: redactBlockScalars,
    cases: [
      [
        'tls:\n  private_key: |\n    line one\n    line two\n  cert: x',
        `tls:\n  private_key: |\n    ${REDACTED}\n    ${REDACTED}\n  cert: x`,
      ],
      [
        String.raw`{"app.yaml": "password: >-\n  hunter2\nuser: bob"}`,
        String.raw`{"app.yaml": "password: >-\n  ${REDACTED}\nuser: bob"}`,
      ],
      [String.raw`{"a": "token: |\n  abc"}`, String.raw`{"a": "token: |\n  ${REDACTED}"}`],
      ['notes: |\n  ordinary', 'notes: |\n  ordinary'],
      ['password: |\n\n<<<end>>>', 'password: |\n\n<<<end>>>'],
      [
        String.raw`{"f": "a:\n    b: 1\npassword: |\n  one\n  two\nuser: x"}`,
        String.raw`{"f": "a:\n    b: 1\npassword: |\n  ${REDACTED}\n  ${REDACTED}\nuser: x"}`,
      ],
    ],
  },
  {
    name: 'json-array',
    why: 'the items of a JSON array under a credential name, one per line below it',
    apply: redactOpenArrays,
    cases: [
      [
        '{\n  "tokens": [\n    "abc",\n    "def"\n  ],\n  "user": "bob"\n}',
        `{\n  "tokens": [\n    "${REDACTED}"\n  ],\n  "user": "bob"\n}`,
      ],
      ['"tokens": [\n]', '"tokens": [\n]'],
      ['"replicas": [\n  1\n]', '"replicas": [\n  1\n]'],
    ],
  },
  regexRule('assignment', 'a value stored under a credential name, in any notation', ASSIGNMENT, redactAssignment, [
    ['level=info password=hunter2 user=bob', `level=info password=${REDACTED} user=bob`],
    ['{"token": "abc.def", "user": "bob"}', `{"token": "${REDACTED}", "user": "bob"}`],
    [String.raw`"{\"db\":{\"password\":\"hunter2\"}}"`, String.raw`"{\"db\":{\"password\":\"${REDACTED}\"}}"`],
    [String.raw`"{\\\"api_key\\\": \\\"k-123\\\"}"`, String.raw`"{\\\"api_key\\\": \\\"${REDACTED}\\\"}"`],
    [
      String.raw`"app.yaml": "db:\n  password: hunter2\n  user: bob"`,
      String.raw`"app.yaml": "db:\n  password: ${REDACTED}\n  user: bob"`,
    ],
    ['password="cut off', `password="${REDACTED}`],
    ['{"tokens": ["a", "b"], "n": 1} passwords: [a, b]', `{"tokens": "${REDACTED}", "n": 1} passwords: ${REDACTED}`],
    ['podmcp never reads Secrets: they are not a kind here', 'podmcp never reads Secrets: they are not a kind here'],
    ['ghcr.io/acme/auth-proxy:v1.4.2 token-service:8080', 'ghcr.io/acme/auth-proxy:v1.4.2 token-service:8080'],
  ]),
  regexRule(
    'prefixed-key',
    'a quoted key with a prefix (annotation and label keys) whose last segment names a credential',
    PREFIXED_KEY,
    redactPrefixedKey as Replacer,
    [
      ['{"example.com/api-token": "abc123", "a": 1}', `{"example.com/api-token": "${REDACTED}", "a": 1}`],
      [String.raw`{\"acme.io/db-password\":\"hunter2\"}`, String.raw`{\"acme.io/db-password\":\"${REDACTED}\"}`],
      [
        '{"app.kubernetes.io/secret-name": "db", "example.com/token-count": 3}',
        '{"app.kubernetes.io/secret-name": "db", "example.com/token-count": 3}',
      ],
      ['GET "/v1/token": done', 'GET "/v1/token": done'],
    ],
  ),
  regexRule(
    'flag-pair',
    'a credential flag and its value as separate arguments',
    FLAG_PAIR,
    (match, dashes = '', name = '', separator = '', _escapes, value = '') => {
      // Items of a JSON or YAML list are an argv; words of a line may be prose (`mkdir -p data`).
      const listItems = separator.trim() !== '';
      const replacement = flagValueReplacement(dashes, name, value, listItems);
      return replacement === undefined ? match : `${dashes}${name}${separator}${replacement}`;
    },
    [
      ['app --api-key k-0123 --port 8080', `app --api-key ${REDACTED} --port 8080`],
      ['"args": ["--token", "t0k3n", "-v"]', `"args": ["--token", "${REDACTED}", "-v"]`],
      ['args:\n- --db-password\n- hunter2\n- --verbose', `args:\n- --db-password\n- ${REDACTED}\n- --verbose`],
      ['curl -u admin:hunter2 -p 8080 --token-file /t', `curl -u admin:${REDACTED} -p 8080 --token-file /t`],
      [
        '["sshpass", "-p", "hunter2", "ssh"] and mkdir -p data',
        `["sshpass", "-p", "${REDACTED}", "ssh"] and mkdir -p data`,
      ],
    ],
  ),
];

const ENCODED: RedactionRule[] = [
  {
    name: 'percent-encoded-secret',
    why: 'percent-encoding (a URL inside a query parameter, form data) hides `token=` and `"password":` from every other rule',
    apply: (text, depth) => redactPercentEncoded(text, depth, redactAll),
    cases: [
      ['https://h/cb?next=https%3A%2F%2Fx%2F%3Ftoken%3DSup3rS3cretValue', `https://h/cb?next=${REDACTED}`],
      ['cfg%3D%7B%22password%22%3A%22Sup3rS3cretValue%22%7D', REDACTED],
      ['q=password%3Dhunter2&page=2', `q=${REDACTED}&page=2`],
      // A quote left unencoded inside the value (found by the property test) does not end the run.
      ["GET /cb?next=password%3D'%25%5E-.%40a0%40!__aaaaa'&page=2", `GET /cb?next=${REDACTED}&page=2`],
      ['GET /files/My%20Report%202024.pdf?sort=name%2Casc', 'GET /files/My%20Report%202024.pdf?sort=name%2Casc'],
      ['https://h/cb?next=https%3A%2F%2Fx%2Fhome 100%', 'https://h/cb?next=https%3A%2F%2Fx%2Fhome 100%'],
    ],
  },
  {
    name: 'base64-secret',
    why: 'base64 of text that holds a credential (an env file, a key, a config) hides it from every other rule',
    apply: (text, depth) => redactBase64(text, depth, redactAll),
    cases: [
      [`data ${Buffer.from('password=hunter2').toString('base64')} end`, `data ${REDACTED} end`],
      [`k ${Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE').toString('base64')}`, `k ${REDACTED}`],
      [
        `.dockerconfigjson: ${Buffer.from('{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}').toString('base64')}`,
        `.dockerconfigjson: ${REDACTED}`,
      ],
      [
        `c ${Buffer.from('just some ordinary text').toString('base64')}`,
        `c ${Buffer.from('just some ordinary text').toString('base64')}`,
      ],
      // `base64` wraps at 76 characters, PEM-like tools at 64: a line alone decodes to a piece of the secret.
      [
        `env:\n${wrap(Buffer.from(`A=${'x'.repeat(28)}\nDB_PASSWORD=Sup3rS3cretValue99\n`).toString('base64'), 64)}\nend`,
        `env:\n${REDACTED}\n${REDACTED}\nend`,
      ],
      [
        `  ${wrap(Buffer.from(`# settings for the app\nuser=bob\napi_key=k-0123456789abcdef0123\n${'y'.repeat(60)}`).toString('base64'), 76).replaceAll('\n', '\r\n  ')}\r\nok`,
        `  ${REDACTED}\r\n  ${REDACTED}\r\n  ${REDACTED}\r\nok`,
      ],
      // A short line after the run that happens to be base64 characters is not part of it (found by the property).
      [
        `${wrap(Buffer.from(`${'x'.repeat(57)}\nexec app --client-secret Aa0aaaaaaaaaaaaaaaaa --verbose\n`).toString('base64'), 76)}\n/+`,
        `${REDACTED}\n${REDACTED}\n/+`,
      ],
      [
        wrap(Buffer.from(`just some ordinary text, ${'long '.repeat(20)}`).toString('base64'), 64),
        wrap(Buffer.from(`just some ordinary text, ${'long '.repeat(20)}`).toString('base64'), 64),
      ],
    ],
  },
];

// Hints are never narrower than their rule (same case sensitivity, a part every match must contain): a text
// without the hint cannot be changed by the rule. Most log lines and manifests hold none of them.
const HINTS: Readonly<Record<string, RegExp>> = {
  'private-key': /PRIVATE KEY/,
  'private-key-tail': /-----END /,
  jwt: /eyJ/,
  'vendor-token': /gh[pousr]_|github_pat_|glpat-|xox[abposre]-|xapp-|AIza|_(?:live|test)_|whsec_|npm_|sk-/,
  'cloud-key-id': /AKIA|ASIA/,
  'webhook-path': /hooks\.slack\.com|discord(?:app)?\.com|\.webhook\.office\.com|outlook\.office/i,
  'hook-token-path': /\/(?:hooks?|webhooks?)\//i,
  'url-userinfo': /@/,
  'url-user-token': /@/,
  'url-signature': /[?&;](?:sig|signature|hmac|x-amz-signature|x-goog-signature|key)=/i,
  'authorization-header': /authorization/i,
  'bearer-token': /bearer|basic/i,
  'json-name-value': /"value/,
  'yaml-name-value': /value:/,
  'yaml-block': /:[ \t]*[|>]/,
  'json-array': /:[ \t]*\[/,
  assignment: new RegExp(SECRET_WORD, 'i'),
  'prefixed-key': /\/[A-Za-z0-9_.-]+\\*"[ \t]*:/,
  'percent-encoded-secret': /%[0-9A-Fa-f]{2}/,
};

/** Every rule, in the order they run. */
export const REDACTION_RULES: readonly RedactionRule[] = [
  ...PRIVATE_KEYS,
  ...TOKENS,
  ...URLS,
  ...HEADERS,
  ...NAMED_VALUES,
  ...ENCODED,
].map((rule) => ({ ...rule, hint: HINTS[rule.name] }));
const URL_RULES: readonly RedactionRule[] = [...URLS, ...TOKENS];

/** Decoded text (base64, percent-encoding) goes through every rule again. */
function redactAll(text: string, depth: number): string {
  return redactWith(REDACTION_RULES, text, depth);
}

function redactWith(rules: readonly RedactionRule[], text: string, depth: number): string {
  let output = text;
  for (const rule of rules) if (!rule.hint || rule.hint.test(output)) output = rule.apply(output, depth);
  return output;
}

/** Applies every rule to a text. */
export function redactShapes(text: string): string {
  return redactWith(REDACTION_RULES, text, 0);
}

/**
 * Only the URL rules (user info, signed query strings, webhook paths, tokens): for a URL shown on its own,
 * where a name rule could take a path segment for a key.
 */
export function redactUrl(url: string): string {
  return redactWith(URL_RULES, url, 0);
}
