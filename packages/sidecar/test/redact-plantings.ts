/**
 * Secrets planted in the places and encodings a cluster hides them in, as fast-check arbitraries, and the one
 * assertion every output path must pass: no fragment of 8 characters or more of a planted secret survives.
 *
 * redact-property.test.ts runs them through the redactor alone. The end-to-end property (plant these in Pods,
 * workloads, ConfigMaps, Events, annotations and logs; run every tool, resource and prompt with budgets small
 * enough to force truncation) reuses `textPlanting`, `structuredPlanting`, `plantedWorld` (the objects to
 * create, the log lines to append) and `assertNoSecretFragment` as they are.
 */
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import fc from 'fast-check';

export const FRAGMENT = 8;

/** Letters and digits, at least one of each: what a generated password or API key looks like. */
export const alphanumericSecret: fc.Arbitrary<string> = fc
  .stringMatching(/^[A-Za-z0-9]{16,40}$/)
  .filter((secret) => /[0-9]/.test(secret) && /[A-Za-z]/.test(secret));
/** With the symbols people put in passwords (not quotes, backslashes, separators, nor a leading dash). */
const symbolicSecret: fc.Arbitrary<string> = fc
  .stringMatching(/^[A-Za-z0-9!@#$%^*+/=_.~][A-Za-z0-9!@#$%^*+/=_.~-]{15,39}$/)
  .filter((secret) => /[0-9]/.test(secret) && /[A-Za-z]/.test(secret));

const SECRET_NAMES = [
  'password',
  'DB_PASSWORD',
  'api_key',
  'apiKey',
  'x-api-key',
  'client-secret',
  'clientSecret',
  'auth_token',
  'access_token',
  'token',
  'secret',
  'AWS_SECRET_ACCESS_KEY',
  'passwd',
  'private_key',
  'session_id',
  'credentials',
] as const;
const secretName = fc.constantFrom(...SECRET_NAMES);

/** A secret as it appears in text: `secret` is the part that must not survive. */
export interface TextPlanting {
  readonly kind: string;
  readonly secret: string;
  readonly text: string;
}

const NOTATIONS: ReadonlyArray<(name: string, secret: string) => string> = [
  (name, secret) => `${name}=${secret}`,
  (name, secret) => `${name}: ${secret}`,
  (name, secret) => `"${name}": "${secret}"`,
  (name, secret) => `${name}='${secret}'`,
  (name, secret) => `${name} = "${secret}"`,
  (name, secret) => `--${name}=${secret}`,
  (name, secret) => `export ${name}=${secret}`,
  (name, secret) => `{"level":"info","${name}":"${secret}","msg":"connected"}`,
  (name, secret) => `db:\n  host: db\n  ${name}: ${secret}\n  port: 5432`,
  (name, secret) => `${name}: |\n  ${secret}\n`,
  (name, secret) => JSON.stringify({ [name]: [secret, 'second'] }),
  (name, secret) => JSON.stringify({ settings: { [name]: ['first', secret] } }, null, 2),
  (name, secret) => `db:\n  ${name}: >-\n    ${secret}\n    ${secret}\n  port: 5432`,
];

const named = fc
  .tuple(secretName, symbolicSecret, fc.constantFrom(...NOTATIONS))
  .map(([name, secret, notation]): TextPlanting => ({ kind: 'named', secret, text: notation(name, secret) }));

const URL_FORMS: ReadonlyArray<(secret: string) => string> = [
  (secret) => `https://deploy:${secret}@git.example.com/team/app.git`,
  (secret) => `postgres://app:${secret}@db.shop.svc:5432/orders?sslmode=require`,
  (secret) => `redis://:${secret}@cache:6379/0`,
  (secret) => `https://api.example.com/v1/items?page=2&access_token=${secret}&x=1`,
  (secret) => `https://bucket.s3.amazonaws.com/o.tgz?X-Amz-Expires=300&X-Amz-Signature=${secret}`,
  (secret) => `https://prod-01.westus.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sp=%2F&sig=${secret}`,
  (secret) => `https://hooks.slack.com/services/T0AAA0AAA/B0BBB0BBB/${secret}`,
  (secret) => `https://discord.com/api/webhooks/123456789012345678/${secret}`,
  (secret) => `https://acme.webhook.office.com/webhookb2/a-b@c-d/IncomingWebhook/${secret}/e-f`,
  (secret) => `https://chat.example.com/hooks/${secret}`,
];

const url = fc
  .tuple(alphanumericSecret, fc.constantFrom(...URL_FORMS))
  .map(([secret, form]): TextPlanting => ({ kind: 'url', secret, text: form(secret) }));

/** Token shapes recognised wherever they are; `secret` is the planted token body. */
const TOKEN_FORMS: ReadonlyArray<(secret: string) => readonly [string, string]> = [
  (secret) => {
    const body = secret.repeat(3).slice(0, 36);
    return [body, `ghp_${body}`];
  },
  (secret) => [secret, `github_pat_11AAAAAAA0${secret.repeat(2)}`],
  (secret) => [secret, `xoxb-1234567890-${secret}`],
  (secret) => {
    const body = secret.repeat(3).slice(0, 35);
    return [body, `AIza${body}`];
  },
  (secret) => [secret, `sk_live_${secret}`],
  (secret) => [secret, `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.${secret}`],
  (secret) => [secret, `Authorization: Bearer ${secret}`],
  (secret) => [secret, `-H 'Authorization: token ${secret}'`],
  (secret) => [
    secret,
    `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA${secret}\nVTLw7onLRnrq0\n-----END RSA PRIVATE KEY-----`,
  ],
  (secret) => [secret, `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg${secret}`],
  (secret) => [secret, `${secret}\n-----END EC PRIVATE KEY-----`],
];

const token = fc.tuple(alphanumericSecret, fc.constantFrom(...TOKEN_FORMS)).map(([secret, form]): TextPlanting => {
  const [planted, text] = form(secret);
  return { kind: 'token', secret: planted, text };
});

const FLAGS = ['--api-key', '--password', '--token', '--client-secret', '--db-password'] as const;
const flagText = fc
  .tuple(fc.constantFrom(...FLAGS), alphanumericSecret)
  .map(([flag, secret]): TextPlanting => ({ kind: 'flag', secret, text: `exec app ${flag} ${secret} --verbose` }));

/** Base64 as `base64` (76 characters a line) and PEM-like tools (64) wrap it. */
function wrapped(text: string, width: number): string {
  return (
    Buffer.from(text)
      .toString('base64')
      .match(new RegExp(`.{1,${width}}`, 'g'))
      ?.join('\n') ?? ''
  );
}

/**
 * A planting in one of the ways text is wrapped: as is, in a JSON string (once or twice), as YAML, as base64
 * (on one line or wrapped), percent-encoded in a query parameter.
 */
const ENCODINGS: ReadonlyArray<readonly [string, (text: string) => string]> = [
  ['plain', (text) => text],
  ['json-string', (text) => JSON.stringify({ 'config.json': text })],
  ['escaped-json', (text) => JSON.stringify(JSON.stringify({ 'config.json': text }))],
  [
    'yaml-in-json',
    (text) => JSON.stringify({ 'app.yaml': `app:\n  settings: |\n    ${text.replaceAll('\n', '\n    ')}\n` }),
  ],
  ['base64', (text) => Buffer.from(text).toString('base64')],
  ['base64-in-json', (text) => JSON.stringify({ blob: Buffer.from(text).toString('base64') })],
  ['base64-wrapped-64', (text) => `data:\n${wrapped(`# written by the operator\n${text}\n`, 64)}\nend`],
  ['base64-wrapped-76', (text) => wrapped(`${'x'.repeat(40)}\n${text}\n`, 76)],
  ['percent-encoded', (text) => `GET /cb?next=${encodeURIComponent(text)}&page=2 HTTP/1.1`],
];

export const textPlanting: fc.Arbitrary<TextPlanting & { readonly encoding: string }> = fc
  .tuple(fc.oneof(named, url, token, flagText), fc.constantFrom(...ENCODINGS))
  .map(([planting, [encoding, encode]]) => ({ ...planting, encoding, text: encode(planting.text) }));

/** A secret in a Kubernetes object's structure: an env pair, an argv pair, a credential-named data key. */
export interface StructuredPlanting {
  readonly kind: string;
  readonly secret: string;
  readonly container: { readonly command?: string[]; readonly args?: string[]; readonly env?: object[] };
  readonly data: Record<string, string>;
}

const ARGV_FORMS: ReadonlyArray<(secret: string) => string[]> = [
  (secret) => ['--api-key', secret],
  (secret) => ['--password', secret],
  (secret) => ['--token', secret],
  (secret) => ['-p', secret],
  (secret) => ['-u', `admin:${secret}`],
  (secret) => [`--client-secret=${secret}`],
];
const argument = fc.constantFrom('--verbose', '--port', '8080', 'serve', '-v', '--log-level=debug', '/etc/app');

export const structuredPlanting: fc.Arbitrary<StructuredPlanting> = fc.oneof(
  fc
    .tuple(alphanumericSecret, fc.constantFrom(...ARGV_FORMS), fc.array(argument, { maxLength: 3 }), fc.boolean())
    .map(([secret, form, around, inCommand]): StructuredPlanting => {
      const argv = [...around, ...form(secret), ...around.slice().reverse()];
      return { kind: 'argv', secret, container: inCommand ? { command: ['app', ...argv] } : { args: argv }, data: {} };
    }),
  fc.tuple(secretName, symbolicSecret).map(
    ([name, secret]): StructuredPlanting => ({
      kind: 'env',
      secret,
      container: {
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name, value: secret },
        ],
      },
      data: {},
    }),
  ),
  fc
    .tuple(secretName, symbolicSecret)
    .map(([name, secret]): StructuredPlanting => ({ kind: 'data', secret, container: {}, data: { [name]: secret } })),
);

/** Ordinary text around a planting: words, numbers, punctuation, other scripts. */
export const filler: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'level=info',
        'GET /healthz 200',
        'pod web-7d9c8b5f6-x2x4z',
        'image: ghcr.io/acme/app:v1.2',
        '—',
        '{}',
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    { maxLength: 6 },
  )
  .map((words) => words.join(' '));

/**
 * No fragment of `secret` of FRAGMENT characters or more is in `output`, unless the same fragment is in
 * `innocent` (the text around the secret, which could contain it by chance).
 */
export function assertNoSecretFragment(output: string, secret: string, innocent = '', context = ''): void {
  for (let start = 0; start + FRAGMENT <= secret.length; start++) {
    const fragment = secret.slice(start, start + FRAGMENT);
    if (innocent.includes(fragment)) continue;
    assert.ok(!output.includes(fragment), `"${fragment}" of the secret survived ${context}:\n${output}`);
  }
}

/** Where the end-to-end property puts the two plantings: one of each object a tool, resource or prompt reads. */
export interface PlantedWorld {
  readonly deployment: V1Deployment;
  readonly configMap: V1ConfigMap;
  /** The message of a Warning event about the deployment's pod. */
  readonly eventMessage: string;
  /** Lines for the app container's log (the current one and the previous one). */
  readonly logLines: readonly string[];
  /** Every secret planted, for assertNoSecretFragment over each answer. */
  readonly secrets: readonly string[];
}

export function plantedWorld(text: TextPlanting, structured: StructuredPlanting, name = 'planted'): PlantedWorld {
  const labels = { app: name };
  return {
    deployment: {
      metadata: { name, labels, annotations: { 'example.com/notify': text.text } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            // A credential-named annotation key (`example.com/api-token`), as the issue's annotation canary was.
            annotations: {
              'example.com/config': text.text,
              ...Object.fromEntries(
                Object.entries(structured.data).map(([key, value]) => [`example.com/${key}`, value]),
              ),
            },
          },
          spec: {
            containers: [
              { name: 'app', image: 'registry.example/app:1', ...structured.container, env: structured.container.env },
            ],
          },
        },
      },
    } as V1Deployment,
    configMap: { metadata: { name: `${name}-config` }, data: { 'app.conf': text.text, ...structured.data } },
    eventMessage: `Back-off restarting failed container app: ${text.text}`,
    logLines: [`level=error msg="startup failed" detail=${JSON.stringify(text.text)}`, text.text],
    secrets: [text.secret, structured.secret],
  };
}
