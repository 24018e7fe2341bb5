import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSidecarEnv } from '@podmcp/core';
import { defaultInjectorConfig, parseInjectorConfig, settingsDefaults } from '../src/config.ts';
import { decide } from '../src/decide.ts';
import { renderSidecar } from '../src/sidecar.ts';
import { podWith } from './fixtures.ts';

describe('the injector configuration of the metric history', () => {
  test('absent: no Prometheus in the defaults', () => {
    assert.equal(settingsDefaults(defaultInjectorConfig()).prometheus, undefined);
  });

  test('present: URL, auth and timeout reach the defaults the annotations resolve against', () => {
    const config = parseInjectorConfig(
      'sidecar: {image: x}\nprometheus:\n  url: https://prometheus.monitoring:9091\n  auth: service-account\n',
    );
    assert.deepEqual(settingsDefaults(config).prometheus, {
      url: 'https://prometheus.monitoring:9091',
      auth: 'service-account',
      timeoutSeconds: 10,
    });
  });

  test('a bad URL or auth is a configuration error with its path', () => {
    assert.throws(
      () => parseInjectorConfig('sidecar: {image: x}\nprometheus: {url: "http://u:p@x"}\n'),
      /prometheus\.url: .*credentials/,
    );
    assert.throws(
      () => parseInjectorConfig('sidecar: {image: x}\nprometheus: {url: "http://x", auth: basic}\n'),
      /prometheus\.auth/,
    );
    assert.throws(
      () => parseInjectorConfig('sidecar: {image: x}\nprometheus: {url: "http://x", auth: service-account}\n'),
      /prometheus\.auth: .*needs an https URL/,
    );
  });
});

describe('what the injector writes for the metric history', () => {
  const config = parseInjectorConfig(
    'sidecar: {image: ghcr.io/podmcp/podmcp:0.1.0}\nprometheus: {url: "http://prometheus.monitoring:9090", timeoutSeconds: 5}\n',
  );
  const envOf = (annotations: Record<string, string>, injectorConfig = config) => {
    const decision = decide(podWith(annotations), injectorConfig, { nativeSidecars: true });
    assert.equal(decision.action, 'inject');
    if (decision.action !== 'inject') return {};
    const env = renderSidecar(decision.plan, injectorConfig).container.env ?? [];
    return Object.fromEntries(env.filter((item) => item.value !== undefined).map((item) => [item.name, item.value]));
  };

  test('configured: the PODMCP_PROMETHEUS_* variables, and query_metrics on the allow-list the sidecar decodes', () => {
    const env = envOf({});
    assert.equal(env.PODMCP_PROMETHEUS_URL, 'http://prometheus.monitoring:9090');
    assert.equal(env.PODMCP_PROMETHEUS_AUTH, 'none');
    assert.equal(env.PODMCP_PROMETHEUS_TIMEOUT_SECONDS, '5');
    const decoded = decodeSidecarEnv(env);
    assert.ok(decoded.ok);
    assert.ok(decoded.settings.tools.includes('query_metrics'));
    assert.equal(decoded.settings.prometheus?.url, 'http://prometheus.monitoring:9090');
  });

  test('turned off by the annotation, or not configured: no variable, no tool', () => {
    for (const env of [envOf({ 'podmcp.dev/metrics-history': 'false' }), envOf({}, defaultInjectorConfig())]) {
      assert.deepEqual(
        Object.keys(env).filter((name) => name.startsWith('PODMCP_PROMETHEUS')),
        [],
      );
      assert.ok(!String(env.PODMCP_TOOLS).includes('query_metrics'));
    }
  });
});
