import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { V1Deployment } from '@kubernetes/client-node';
import { deploymentRow } from '../src/format/workloads.ts';
import { lookupKind } from '../src/kube/resource-kinds.ts';
import { createRedactor, isSecretName, REDACTED, redactArgv, redactUrl } from '../src/safety/redact.ts';
import { REDACTION_RULES } from '../src/safety/redaction-rules.ts';
import { listDeployments } from '../src/tools/list-deployments.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

const redactor = createRedactor();
const text = (input: string) => redactor.text(input);

describe('isSecretName', () => {
  test('names under which credentials are stored', () => {
    for (const name of [
      'DB_PASSWORD',
      'password',
      'passwd',
      'PASSPHRASE',
      'api-key',
      'API_KEY',
      'apikey',
      'x-api-key',
      'clientSecret',
      'client_secret',
      'auth_token',
      'access_token',
      'accessKey',
      'AWS_SECRET_ACCESS_KEY',
      'private_key',
      'credentials',
      'session_id',
      'cookie',
      'Authorization',
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
  });

  test('names that point at a secret without holding one', () => {
    for (const name of [
      'secretName',
      'secret_name',
      'secretKeyRef',
      'secretRef',
      'tokenAudience',
      'token-audience',
      'tokenPath',
      'passwordFile',
      'DB_PASSWORD_FILE',
      'expirationSeconds',
    ]) {
      assert.equal(isSecretName(name), false, name);
    }
  });

  test('ordinary names', () => {
    for (const name of [
      'name',
      'image',
      'log-level',
      'replicas',
      'namespace',
      'author',
      'authority',
      'passed',
      'passport',
      'tokenBucketSize',
    ]) {
      assert.equal(isSecretName(name), false, name);
    }
  });
});

describe('redactor.text: shapes', () => {
  test('JSON Web Tokens', () => {
    assert.equal(text(`token was ${JWT} ok`), `token was ${REDACTED} ok`);
  });

  test('bearer and basic authorization headers', () => {
    assert.equal(text('Authorization: Bearer abc123DEF456ghi'), `Authorization: Bearer ${REDACTED}`);
    assert.equal(text('authorization: basic dXNlcjpwYXNzd29yZA=='), `authorization: basic ${REDACTED}`);
    assert.equal(text('-H "Authorization: Bearer sk_live_0123456789"'), `-H "Authorization: Bearer ${REDACTED}"`);
  });

  test('PEM private keys, whole block, and a truncated one to the end', () => {
    assert.equal(text(`key:\n${PEM}\ndone`), `key:\n${REDACTED}\ndone`);
    assert.equal(text(`-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC`), REDACTED);
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    assert.equal(text(certificate), certificate, 'certificates are public');
  });

  test('credentials inside URLs keep the user and host', () => {
    assert.equal(
      text('connecting to postgres://app:s3cr3t-pw@db.team.svc:5432/orders'),
      `connecting to postgres://app:${REDACTED}@db.team.svc:5432/orders`,
    );
    assert.equal(text('https://user:pass@example.com/x'), `https://user:${REDACTED}@example.com/x`);
    assert.equal(text('redis://:hunter2@cache:6379/0'), `redis://:${REDACTED}@cache:6379/0`);
    assert.equal(text('https://example.com:8443/path'), 'https://example.com:8443/path');
  });

  test('AWS access key ids', () => {
    assert.equal(text('key AKIAIOSFODNN7EXAMPLE used'), `key ${REDACTED} used`);
    assert.equal(text('ASIAY34FZKBOKMUTVV7A'), REDACTED);
  });

  test('credential assignments inside log lines', () => {
    assert.equal(text('level=info password=hunter2 user=bob'), `level=info password=${REDACTED} user=bob`);
    assert.equal(text('DB_PASSWORD=hunter2'), `DB_PASSWORD=${REDACTED}`);
    assert.equal(text('export API_KEY="abc def"'), `export API_KEY="${REDACTED}"`);
    assert.equal(text("client_secret='xyz'"), `client_secret='${REDACTED}'`);
    assert.equal(text('GET /cb?code=1&access_token=abc123&state=x'), `GET /cb?code=1&access_token=${REDACTED}&state=x`);
    assert.equal(text('clientSecret: s3cr3t'), `clientSecret: ${REDACTED}`);
    assert.equal(text('auth_token = t0k3n, next'), `auth_token = ${REDACTED}, next`);
    assert.equal(text('password:hunter2 next'), `password:${REDACTED} next`);
    assert.equal(text('DB_PASSWORD_PROD=hunter2'), `DB_PASSWORD_PROD=${REDACTED}`);
    assert.equal(text('redis-password: x'), `redis-password: ${REDACTED}`);
  });

  test('JSON log lines stay JSON', () => {
    const line = '{"level":"info","token": "abc.def","password":"p@ss \\"w0rd","user":"bob"}';
    const redacted = text(line);
    assert.deepEqual(JSON.parse(redacted), { level: 'info', token: REDACTED, password: REDACTED, user: 'bob' });
  });
});

describe('redactor.text: known secret values', () => {
  test('removed wherever they appear, read each time', () => {
    let secrets = ['first-secret-value'];
    const known = createRedactor(() => secrets);
    assert.equal(known.text('a first-secret-value b first-secret-value'), `a ${REDACTED} b ${REDACTED}`);
    secrets = ['second-secret-value'];
    assert.equal(known.text('first-secret-value second-secret-value'), `first-secret-value ${REDACTED}`);
  });

  test('too short to be safe to replace everywhere', () => {
    assert.equal(createRedactor(() => ['abc', '']).text('abc abc'), 'abc abc');
  });
});

describe('redactor.text: ordinary text is left alone', () => {
  for (const line of [
    'web-7d9c8b5f6-x2x4z',
    'auth-service-7d9c8b5f6-x2x4z',
    'pod token-service-5f7d-x2x4z restarted 3 times',
    'Back-off restarting failed container secret-sync in pod secret-sync-0_team(0d1f)',
    'ghcr.io/acme/auth-proxy:v1.4.2',
    'Pulling image "registry.example.com/team/token-service:2024.05.01"',
    'upstream=auth-service:8080 status=200',
    'the token bucket refills at 2 tokens per second',
    'token bucket: full',
    'rate limited by token bucket',
    'log-level: debug',
    'The HTTP server uses basic authentication',
    'the bearer authentication scheme is described in RFC 6750',
    'secretName: tls-cert',
    'tokenAudience: vault',
    'tests passed: 10, failed: 0',
    'author: Jane Doe',
    'Created container token-refresher',
    '2024-05-01T10:00:00Z INFO listening on :8080',
    'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'kubectl logs web-1 --previous --tail 100',
    'mkdir -p /var/cache/app && exec app --port 8080',
    'POST /hooks/github 200 12ms',
    'GET https://api.example.com/v1/items?page=2&sort=name',
    'pod uid 3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
    'Readiness probe failed: Get "http://10.0.0.5:8080/healthz": dial tcp 10.0.0.5:8080: connect: connection refused',
    'checksum/config: 5f2b9c8e1d7a6b3c4e5f60718293a4b5c6d7e8f9',
    'the key "password" is missing from ConfigMap app-config',
    'MountVolume.SetUp failed for volume "db-password" : secret "db" not found',
    'GET /api/v1/namespaces/shop/pods/web-7d9c8b5f6-x2x4z/log?container=app&tailLines=100',
    'level=info msg="token refreshed" expires_in=3600',
    'use --token-file or the TOKEN env var',
    'env: [{"name":"LOG_LEVEL","value":"debug"},{"name":"TOKEN_FILE","value":"/var/run/token"}]',
    'QmFzZTY0IGlzIGp1c3QgYW4gZW5jb2Rpbmc=',
    'tokens: 3 issued, 0 revoked',
    'Passwords: see the runbook',
  ]) {
    test(line, () => assert.equal(text(line), line));
  }
});

/** Image references, versions and digests are not credentials, even where a repository is named auth or token. */
const IMAGE_REFERENCES = [
  'ghcr.io/acme/auth-proxy:v1.4.2',
  'registry:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'auth:v2',
  'auth:1.27',
  'ghcr.io/acme/auth:v1.4.2-rc.1',
  'registry.example.com:5000/team/token:2024.05.01',
  'token-service:1.0',
  'docker.io/library/postgres:16',
  'quay.io/acme/auth@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'auth:latest',
];

describe('redactor: image references, versions and digests are kept', () => {
  for (const image of IMAGE_REFERENCES) {
    test(image, () => {
      assert.equal(text(image), image);
      assert.equal(text(`Pulling image "${image}"`), `Pulling image "${image}"`);
      assert.equal(text(`web   Running   1/1   ${image}`), `web   Running   1/1   ${image}`);
      assert.deepEqual(redactor.value({ containers: [{ name: 'app', image }] }), {
        containers: [{ name: 'app', image }],
      });
    });
  }
  test("the namespace_health prompt's workload rows keep their images", () => {
    const deployment: V1Deployment = {
      metadata: { name: 'auth', creationTimestamp: new Date('2026-01-01T00:00:00Z') },
      spec: {
        replicas: 1,
        selector: {},
        template: {
          spec: { containers: IMAGE_REFERENCES.slice(0, 4).map((image, index) => ({ name: `c${index}`, image })) },
        },
      },
      status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
    };
    const rows = listDeployments.render({
      namespace: 'shop',
      workloads: [deploymentRow(deployment, new Date('2026-01-02T00:00:00Z'))],
    } as Parameters<typeof listDeployments.render>[0]);
    for (const image of IMAGE_REFERENCES.slice(0, 4)) assert.ok(rows.includes(image), `${image} is in the row`);
    assert.equal(text(rows), rows);
  });
  test('a credential after a bare colon is still removed when it is not a version', () => {
    assert.equal(text('auth:hunter2'), `auth:${REDACTED}`);
    assert.equal(text('password:v2'), `password:${REDACTED}`);
    assert.equal(text('token:abc123def'), `token:${REDACTED}`);
  });
});

describe('redactor: idempotent', () => {
  for (const line of [
    `Bearer ${REDACTED}`,
    `password=${REDACTED}`,
    `{"token": "${REDACTED}"}`,
    `postgres://app:${REDACTED}@db:5432`,
    `value ${REDACTED} here`,
  ]) {
    test(line, () => assert.equal(text(line), line));
  }

  test('twice is once', () => {
    const input = `password=x ${JWT} Bearer abcdefgh1234 https://u:p@h/ AKIAIOSFODNN7EXAMPLE "token": "q"\n${PEM}`;
    const once = text(input);
    assert.equal(text(once), once);
    const value = { env: [{ name: 'DB_PASSWORD', value: 'x' }], apiKey: 'k', note: input };
    const redactedValue = redactor.value(value);
    assert.deepEqual(redactor.value(redactedValue), redactedValue);
  });
});

describe('redactor.value: structured', () => {
  test('secret keys, env pairs, shapes in nested strings; references keep their names', () => {
    const pod = {
      metadata: { name: 'web-1', labels: { app: 'web' }, annotations: { note: `Bearer abcdefgh12345678` } },
      spec: {
        serviceAccountName: 'web',
        containers: [
          {
            name: 'app',
            image: 'ghcr.io/acme/auth-proxy:v1.4.2',
            env: [
              { name: 'DB_PASSWORD', value: 'hunter2' },
              { name: 'api-key', value: 'k-123' },
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'DB_PASSWORD_FILE', value: '/etc/db/password' },
              { name: 'DB_USER_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } },
            ],
            args: ['--password=hunter2', '--port=8080'],
          },
        ],
        volumes: [{ name: 'tls', secret: { secretName: 'tls-cert' } }],
      },
      data: { 'log-level': 'debug', clientSecret: 'abc', auth_token: 'def', emptyToken: '' },
      projected: { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
      tokenAudience: 'vault',
    };
    const result = redactor.value(pod);
    assert.deepEqual(result, {
      metadata: { name: 'web-1', labels: { app: 'web' }, annotations: { note: `Bearer ${REDACTED}` } },
      spec: {
        serviceAccountName: 'web',
        containers: [
          {
            name: 'app',
            image: 'ghcr.io/acme/auth-proxy:v1.4.2',
            env: [
              { name: 'DB_PASSWORD', value: REDACTED },
              { name: 'api-key', value: REDACTED },
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'DB_PASSWORD_FILE', value: '/etc/db/password' },
              { name: 'DB_USER_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } },
            ],
            args: [`--password=${REDACTED}`, '--port=8080'],
          },
        ],
        volumes: [{ name: 'tls', secret: { secretName: 'tls-cert' } }],
      },
      data: { 'log-level': 'debug', clientSecret: REDACTED, auth_token: REDACTED, emptyToken: '' },
      projected: { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
      tokenAudience: 'vault',
    });
  });

  test('shape is kept: numbers, booleans, null, nested arrays, empty containers', () => {
    const value = { n: 1, b: false, z: null, list: [[1, 'a'], [], {}], deep: { deeper: { deepest: ['x', JWT] } } };
    assert.deepEqual(redactor.value(value), {
      n: 1,
      b: false,
      z: null,
      list: [[1, 'a'], [], {}],
      deep: { deeper: { deepest: ['x', REDACTED] } },
    });
    assert.equal(redactor.value('plain'), 'plain');
    assert.equal(redactor.value(42), 42);
    assert.equal(redactor.value(null), null);
    assert.deepEqual(redactor.value([JWT]), [REDACTED]);
  });

  test('does not mutate its input', () => {
    const input = { password: 'x', env: [{ name: 'TOKEN', value: 'y' }] };
    const copy = structuredClone(input);
    redactor.value(input);
    assert.deepEqual(input, copy);
  });
});

describe('a credential-named key that opens a nested block', () => {
  const redactor = createRedactor();
  test('keeps the nested YAML intact: the key has no value of its own', () => {
    assert.equal(
      redactor.text('serviceAccountToken:\n  expirationSeconds: 3607'),
      'serviceAccountToken:\n  expirationSeconds: 3607',
    );
    assert.equal(redactor.text('auth:\n  enabled: true'), 'auth:\n  enabled: true');
  });
  test('a status line after a name that merely contains a credential word is kept', () => {
    assert.equal(redactor.text('secret-sync-0: CrashLoopBackOff'), 'secret-sync-0: CrashLoopBackOff');
  });
  test('a value on the same line is still redacted, whatever the spacing', () => {
    assert.equal(redactor.text('DB_PASSWORD: hunter2'), `DB_PASSWORD: ${REDACTED}`);
    assert.equal(redactor.text('password:\thunter2'), `password:\t${REDACTED}`);
  });
});

describe('the rule table: every case of every rule', () => {
  for (const rule of REDACTION_RULES) {
    describe(`${rule.name}: ${rule.why}`, () => {
      assert.ok(rule.cases.length > 0, `${rule.name} has cases`);
      for (const [input, output] of rule.cases) {
        test(JSON.stringify(input), () => {
          assert.equal(text(input), output);
          assert.equal(text(output), output, 'redacting twice is redacting once');
        });
      }
    });
  }
});

test('a rule with a hint finds it in every case the rule changes (a hint never skips a match)', () => {
  for (const rule of REDACTION_RULES) {
    for (const [input] of rule.cases) {
      if (rule.hint && rule.apply(input, 0) !== input) assert.match(input, rule.hint, `${rule.name}: ${input}`);
    }
  }
  assert.ok(REDACTION_RULES.filter((rule) => rule.hint).length >= 10, 'the hints are attached to their rules');
});

describe("the sidecar's own text is not mangled", () => {
  test("get_resources' Secret refusal keeps its sentence", () => {
    const lookup = lookupKind('secrets', 'shop');
    assert.ok('failure' in lookup);
    const message = lookup.failure.message;
    assert.match(message, /never reads Secrets: they are not a kind here/);
    assert.equal(text(message), message);
  });

  test('every string of the catalogue (instructions, descriptions, schemas) passes unchanged', () => {
    const catalogue: unknown = JSON.parse(readFileSync(new URL('./golden/catalogue.json', import.meta.url), 'utf8'));
    const strings: string[] = [];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') strings.push(value);
      else if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
    };
    collect(catalogue);
    assert.ok(strings.length > 100);
    for (const line of strings) assert.equal(text(line), line);
  });
});

describe('nested encodings', () => {
  test('JSON inside a ConfigMap value, rendered as JSON (escaped quotes) and twice escaped', () => {
    const inner = JSON.stringify({ db: { host: 'db', password: 'hunter2-plain' }, api_key: 'k-0123456789' });
    const once = JSON.stringify({ data: { 'config.json': inner } });
    const twice = JSON.stringify({ annotation: once });
    for (const rendered of [once, twice, JSON.stringify(twice)]) {
      const redacted = text(rendered);
      assert.doesNotMatch(redacted, /hunter2-plain|k-0123456789/);
      assert.equal(text(redacted), redacted);
    }
    const parsed = JSON.parse(JSON.parse(text(once)).data['config.json']);
    assert.deepEqual(parsed, { db: { host: 'db', password: REDACTED }, api_key: REDACTED });
  });

  test('YAML inside a string value keeps its other lines', () => {
    const rendered = JSON.stringify({ 'app.yaml': 'db:\n  user: app\n  password: hunter2\n  port: 5432\n' });
    assert.deepEqual(JSON.parse(text(rendered)), {
      'app.yaml': `db:\n  user: app\n  password: ${REDACTED}\n  port: 5432\n`,
    });
  });

  test('base64 of a credential assignment or a private key; base64 of ordinary text stays', () => {
    const env = Buffer.from('DB_USER=app\nDB_PASSWORD=hunter2-in-base64\n').toString('base64');
    assert.equal(text(`env: ${env}`), `env: ${REDACTED}`);
    const key = Buffer.from(`${PEM}\n`).toString('base64');
    assert.deepEqual(redactor.value({ 'tls.b64': key }), { 'tls.b64': REDACTED });
    assert.equal(text(`"${key}"`), `"${REDACTED}"`);
    const twice = Buffer.from(Buffer.from('token=abcdef0123456789').toString('base64')).toString('base64');
    assert.equal(text(twice), REDACTED);
    const plain = Buffer.from('replicas scaled from two to three').toString('base64');
    assert.equal(text(plain), plain);
  });
});

describe('split flag/value pairs', () => {
  test('redactArgv: the value after a credential flag, -p and -u user:pass', () => {
    assert.deepEqual(redactArgv(['app', '--api-key', 'k-0123', '--port', '8080', '--token=abc']), [
      'app',
      '--api-key',
      REDACTED,
      '--port',
      '8080',
      '--token=abc',
    ]);
    assert.deepEqual(redactArgv(['sshpass', '-p', 'hunter2', 'ssh', '-p', '22', 'host']), [
      'sshpass',
      '-p',
      REDACTED,
      'ssh',
      '-p',
      '22',
      'host',
    ]);
    assert.deepEqual(redactArgv(['mkdir', '-p', '/data/cache']), ['mkdir', '-p', '/data/cache']);
    assert.deepEqual(redactArgv(['docker', 'run', '-p', '8080:80', '-u', '1000:1000']), [
      'docker',
      'run',
      '-p',
      '8080:80',
      '-u',
      '1000:1000',
    ]);
    assert.deepEqual(redactArgv(['curl', '-u', 'admin:hunter2', 'https://x']), [
      'curl',
      '-u',
      `admin:${REDACTED}`,
      'https://x',
    ]);
    assert.deepEqual(redactArgv(['--password', '--verbose']), ['--password', '--verbose'], 'a flag is not a value');
    assert.deepEqual(redactArgv(['--token-file', '/var/run/token']), ['--token-file', '/var/run/token']);
  });

  test('redactor.value reads every string array as argv (command, args, exec probes)', () => {
    const container = {
      command: ['app', '--db-password', 'hunter2'],
      args: ['--client-secret', 's3cr3t', '-v'],
      livenessProbe: { exec: { command: ['check', '--token', 'abc'] } },
    };
    assert.deepEqual(redactor.value(container), {
      command: ['app', '--db-password', REDACTED],
      args: ['--client-secret', REDACTED, '-v'],
      livenessProbe: { exec: { command: ['check', '--token', REDACTED] } },
    });
  });

  test('the same pairs rendered as text: a command line, a JSON array, a YAML list', () => {
    const args = ['--api-key', 'k-0123', '--port', '8080'];
    assert.equal(text(`command: app ${args.join(' ')}`), `command: app --api-key ${REDACTED} --port 8080`);
    assert.deepEqual(JSON.parse(text(JSON.stringify({ args }))), { args: redactArgv(args) });
    assert.deepEqual(JSON.parse(text(JSON.stringify({ args }, null, 2))), { args: redactArgv(args) });
    assert.equal(text(`args:\n  - --api-key\n  - k-0123\n`), `args:\n  - --api-key\n  - ${REDACTED}\n`);
    assert.equal(text('see the --password flag'), `see the --password ${REDACTED}`, 'over-redaction, on purpose');
  });
});

describe('credentials in URLs', () => {
  test('user info, signed query strings and webhook paths, also under an ordinary annotation key', () => {
    const annotations = {
      'example.com/notify': 'https://hooks.slack.com/services/T0AAA0AAA/B0BBB0BBB/abcdefghij0123456789ABCD',
      'example.com/discord': 'https://discord.com/api/webhooks/1234567890/Secret_Token-abcdefghij0123',
      'example.com/teams':
        'https://acme.webhook.office.com/webhookb2/aaaa-bbbb@cccc-dddd/IncomingWebhook/ffff0123/eeee',
      'example.com/backup': 'https://bucket.s3.amazonaws.com/db.tgz?X-Amz-Signature=deadbeefcafe0123&X-Amz-Expires=300',
      'example.com/db': 'postgres://app:hunter2@db:5432/app',
      'example.com/hook': 'https://ci.example.com/hooks/0123456789abcdefghijkl',
    };
    const redacted = redactor.value({ metadata: { annotations } }).metadata.annotations;
    for (const secret of [
      'abcdefghij0123456789ABCD',
      'Secret_Token',
      'ffff0123',
      'deadbeefcafe',
      'hunter2',
      '0123456789abcdefghijkl',
    ]) {
      assert.doesNotMatch(JSON.stringify(redacted), new RegExp(secret), secret);
    }
    assert.equal(redacted['example.com/db'], `postgres://app:${REDACTED}@db:5432/app`);
    assert.equal(
      redacted['example.com/backup'],
      `https://bucket.s3.amazonaws.com/db.tgz?X-Amz-Signature=${REDACTED}&X-Amz-Expires=300`,
    );
  });

  test('redactUrl applies the URL rules only', () => {
    assert.equal(
      redactUrl('https://u:p@h/hooks/0123456789abcdefghijkl?sig=x'),
      `https://u:${REDACTED}@h/hooks/${REDACTED}?sig=${REDACTED}`,
    );
    assert.equal(
      redactUrl('https://h/api/v1/namespaces/shop/pods/web-1'),
      'https://h/api/v1/namespaces/shop/pods/web-1',
    );
  });
});

describe('bounded on adversarial input', () => {
  // Each input is a megabyte built to make a backtracking pattern retry from every position; the assertion is
  // on the result only (no timing threshold): a catastrophic pattern simply never finishes the suite.
  const MB = 1 << 20;
  const repeat = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  for (const [label, input] of [
    ['name characters', repeat('a')],
    ['credential names without a value', repeat('password_')],
    ['escaped quotes that never close', `password: \\"${repeat('\\\\\\"x')}`],
    ['unclosed quotes', repeat('token="')],
    ['base64 runs', repeat('QUFB')],
    ['wrapped base64 lines', repeat('QUFBQUFBQUFBQUFB\n')],
    ['percent escapes', repeat('%41')],
    ['percent escapes of escapes', repeat('%2541')],
    ['key lines without an END', `-----BEGIN PRIVATE KEY-----\n${repeat('MIIE\n')}`],
    ['END lines without a BEGIN', repeat('MIIE\n-----END PRIVATE KEY-----\n')],
    ['URL schemes', repeat('a://a:')],
    ['flags', repeat('--token ')],
    ['hooks', repeat('/hooks/')],
    ['block scalar keys', repeat('password: |\n')],
    ['block scalar keys in escaped JSON', repeat('password: |\\n  x')],
    ['name/value pairs without a value', repeat('{"name":"token","value":')],
    ['YAML name lines', repeat('- name: token\n')],
    ['open arrays', repeat('"tokens": [\n')],
    ['prefixed keys without a value', repeat('"a.io/b/token": ')],
    ['prefixed key paths that never close', `"${repeat('a.io/')}`],
    ['a cut key of spaces', `-----BEGIN PRIVATE KEY-----${' '.repeat(MB)}A`],
    ['backslashes', `"password": \\${repeat('\\')}`],
  ] as const) {
    test(label, () => {
      const once = text(input);
      assert.equal(typeof once, 'string');
      assert.equal(text(once), once);
    });
  }
});
