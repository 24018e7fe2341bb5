import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAnnotations } from '../src/annotations.ts';
import {
  BUILTIN_DEFAULTS,
  DEFAULT_SERVICE_ACCOUNT_TOKEN,
  decodeSidecarEnv,
  encodeSidecarEnv,
  type PrometheusSettings,
  resolveSettings,
  type SettingsDefaults,
} from '../src/settings.ts';
import { ACTION_TOOLS, READ_TOOLS } from '../src/tools.ts';

const prometheus: PrometheusSettings = { url: 'http://prometheus.monitoring:9090', auth: 'none', timeoutSeconds: 10 };
const withPrometheus: SettingsDefaults = { ...BUILTIN_DEFAULTS, prometheus };

function resolve(annotations: Record<string, string>, defaults = withPrometheus) {
  const result = resolveSettings(parseAnnotations(annotations).values, defaults);
  assert.ok(result.ok);
  return result.settings.sidecar;
}

describe('the metric history settings', () => {
  test('without a configured Prometheus: no query_metrics, no settings, no variables', () => {
    const settings = resolve({}, BUILTIN_DEFAULTS);
    assert.deepEqual(settings.tools, READ_TOOLS);
    assert.equal(settings.prometheus, undefined);
    assert.ok(!encodeSidecarEnv(settings).some((variable) => variable.name.startsWith('PODMCP_PROMETHEUS')));
  });

  test('with one: query_metrics is in the default allow-list of both modes, and the settings travel', () => {
    assert.deepEqual(resolve({}).tools, [...READ_TOOLS, 'query_metrics']);
    assert.deepEqual(resolve({ 'podmcp.dev/mode': 'read-write' }).tools, [
      ...READ_TOOLS,
      'query_metrics',
      ...ACTION_TOOLS,
    ]);
    assert.deepEqual(resolve({}).prometheus, prometheus);
  });

  test('the annotation turns it off for one workload; an allow-list without it leaves it out', () => {
    const off = resolve({ 'podmcp.dev/metrics-history': 'false' });
    assert.equal(off.prometheus, undefined);
    assert.deepEqual(off.tools, READ_TOOLS);
    assert.deepEqual(resolve({ 'podmcp.dev/tools': 'diagnose' }).tools, ['diagnose']);
  });

  test('round trip through the environment, the token file chosen by the sidecar', () => {
    const settings = resolve({});
    const env = Object.fromEntries(encodeSidecarEnv(settings).map(({ name, value }) => [name, value]));
    const decoded = decodeSidecarEnv(env);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.settings, settings);

    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const bearer = decodeSidecarEnv({
      PODMCP_PROMETHEUS_URL: 'https://prometheus.monitoring:9091/prom',
      PODMCP_PROMETHEUS_AUTH: 'service-account',
      PODMCP_PROMETHEUS_CA: pem,
      PODMCP_PROMETHEUS_TIMEOUT_SECONDS: '3',
    });
    assert.ok(bearer.ok);
    assert.deepEqual(bearer.settings.prometheus, {
      url: 'https://prometheus.monitoring:9091/prom',
      auth: 'service-account',
      caBundle: pem,
      timeoutSeconds: 3,
      tokenFile: DEFAULT_SERVICE_ACCOUNT_TOKEN,
    });
    const ownToken = decodeSidecarEnv({
      PODMCP_PROMETHEUS_URL: 'https://p:9091',
      PODMCP_PROMETHEUS_AUTH: 'service-account',
      PODMCP_TOKEN_FILE: '/var/run/secrets/podmcp.dev/token/token',
    });
    assert.ok(ownToken.ok);
    assert.equal(ownToken.settings.prometheus?.tokenFile, '/var/run/secrets/podmcp.dev/token/token');
  });

  test('bad values name the variable', () => {
    for (const [env, pattern] of [
      [{ PODMCP_PROMETHEUS_URL: 'ftp://x' }, /PODMCP_PROMETHEUS_URL: .*http and https/],
      [{ PODMCP_PROMETHEUS_URL: 'http://user:pw@x' }, /credentials/],
      [{ PODMCP_PROMETHEUS_URL: 'http://x?a=b' }, /no query/],
      [{ PODMCP_PROMETHEUS_URL: 'http://x', PODMCP_PROMETHEUS_AUTH: 'basic' }, /PODMCP_PROMETHEUS_AUTH/],
      [{ PODMCP_PROMETHEUS_URL: 'http://x', PODMCP_PROMETHEUS_AUTH: 'service-account' }, /needs an https URL/],
      [{ PODMCP_PROMETHEUS_URL: 'http://x', PODMCP_PROMETHEUS_TIMEOUT_SECONDS: '0' }, /TIMEOUT_SECONDS/],
      [{ PODMCP_PROMETHEUS_URL: 'http://x', PODMCP_PROMETHEUS_CA: 'nope' }, /PEM/],
    ] as const) {
      const decoded = decodeSidecarEnv(env);
      assert.ok(!decoded.ok);
      assert.match(decoded.errors.join('\n'), pattern);
    }
  });
});
