import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAnnotations } from '../src/annotations.ts';
import {
  BUILTIN_DEFAULTS,
  checkPrometheusTokenAudience,
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

  test("a workload's caller audience may not be the audience of the token sent to Prometheus", () => {
    const bearer: SettingsDefaults = {
      ...BUILTIN_DEFAULTS,
      prometheus: { ...prometheus, auth: 'service-account', tokenAudience: 'prometheus' },
    };
    const clash = resolveSettings(parseAnnotations({ 'podmcp.dev/token-audience': 'prometheus' }).values, bearer);
    assert.equal(clash.ok, false);
    assert.match(
      clash.ok ? '' : (clash.errors[0]?.message ?? ''),
      /podmcp\.dev\/token-audience: prometheus is also the audience of the token the sidecar sends to Prometheus/,
    );
    assert.ok(resolveSettings(parseAnnotations({ 'podmcp.dev/token-audience': 'podmcp' }).values, bearer).ok);
    assert.ok(resolve({ 'podmcp.dev/token-audience': 'prometheus' }), 'no token is sent without service-account');
  });

  test('round trip through the environment', () => {
    const settings = resolve({});
    const env = Object.fromEntries(encodeSidecarEnv(settings).map(({ name, value }) => [name, value]));
    const decoded = decodeSidecarEnv(env);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.settings, settings);

    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const bearer: PrometheusSettings = {
      url: 'https://prometheus.monitoring:9091/prom',
      auth: 'service-account',
      caBundle: pem,
      timeoutSeconds: 3,
      tokenAudience: 'prometheus.monitoring',
      tokenFile: '/var/run/secrets/podmcp.dev/prometheus-token/token',
    };
    const bearerSettings = resolve({}, { ...BUILTIN_DEFAULTS, prometheus: bearer });
    const bearerEnv = Object.fromEntries(encodeSidecarEnv(bearerSettings).map(({ name, value }) => [name, value]));
    assert.equal(bearerEnv.PODMCP_PROMETHEUS_TOKEN_AUDIENCE, 'prometheus.monitoring');
    assert.equal(bearerEnv.PODMCP_PROMETHEUS_TOKEN_FILE, '/var/run/secrets/podmcp.dev/prometheus-token/token');
    const decodedBearer = decodeSidecarEnv(bearerEnv);
    assert.ok(decodedBearer.ok);
    assert.deepEqual(decodedBearer.settings.prometheus, bearer);
  });

  test('service-account: a token file of its own is required, the API token is never it, the audience defaults', () => {
    const base = { PODMCP_PROMETHEUS_URL: 'https://p:9091', PODMCP_PROMETHEUS_AUTH: 'service-account' };
    const missing = decodeSidecarEnv(base);
    assert.ok(!missing.ok);
    assert.match(missing.errors.join('\n'), /PODMCP_PROMETHEUS_TOKEN_FILE: required with service-account/);
    for (const env of [
      { ...base, PODMCP_PROMETHEUS_TOKEN_FILE: DEFAULT_SERVICE_ACCOUNT_TOKEN },
      {
        ...base,
        PODMCP_TOKEN_FILE: '/var/run/secrets/podmcp.dev/token/token',
        PODMCP_PROMETHEUS_TOKEN_FILE: '/var/run/secrets/podmcp.dev/token/token',
      },
    ]) {
      const decoded = decodeSidecarEnv(env);
      assert.ok(!decoded.ok);
      assert.match(decoded.errors.join('\n'), /is the sidecar's API token, which must not reach Prometheus/);
    }
    const own = decodeSidecarEnv({ ...base, PODMCP_PROMETHEUS_TOKEN_FILE: '/run/prometheus-token' });
    assert.ok(own.ok);
    assert.equal(own.settings.prometheus?.tokenFile, '/run/prometheus-token');
    assert.equal(own.settings.prometheus?.tokenAudience, 'prometheus');
    const apiAudience = decodeSidecarEnv({
      ...base,
      PODMCP_PROMETHEUS_TOKEN_FILE: '/run/prometheus-token',
      PODMCP_PROMETHEUS_TOKEN_AUDIENCE: 'https://kubernetes.default.svc.cluster.local',
    });
    assert.ok(!apiAudience.ok);
    assert.match(apiAudience.errors.join('\n'), /PODMCP_PROMETHEUS_TOKEN_AUDIENCE: .*the API server's audience/);
  });

  test("an audience is one word and not the API server's", () => {
    for (const audience of ['prometheus', 'https://prometheus.monitoring.svc', 'kubernetes-prometheus']) {
      assert.equal(checkPrometheusTokenAudience(audience), undefined, audience);
    }
    for (const audience of [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'https://kubernetes.default.svc',
      'https://kubernetes.default.svc.cluster.local',
    ]) {
      assert.match(checkPrometheusTokenAudience(audience) ?? '', /the API server's audience/, audience);
    }
    assert.match(checkPrometheusTokenAudience('') ?? '', /not an audience/);
    assert.match(checkPrometheusTokenAudience('a b') ?? '', /not an audience/);
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
