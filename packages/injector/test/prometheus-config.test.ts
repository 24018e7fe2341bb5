import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultInjectorConfig, parseInjectorConfig, settingsDefaults } from '../src/config.ts';

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
  });
});
