import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSidecarEnv, PROMETHEUS_TOKEN_VOLUME } from '@podmcp/core';
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
      tokenAudience: 'prometheus',
    });
    const named = parseInjectorConfig(
      'sidecar: {image: x}\nprometheus: {url: "https://p:9091", auth: service-account, tokenAudience: kube-rbac-proxy}\n',
    );
    assert.equal(settingsDefaults(named).prometheus?.tokenAudience, 'kube-rbac-proxy');
    const none = parseInjectorConfig('sidecar: {image: x}\nprometheus: {url: "http://p:9090"}\n');
    assert.deepEqual(settingsDefaults(none).prometheus, { url: 'http://p:9090', auth: 'none', timeoutSeconds: 10 });
  });

  test("tokenAudience: only with service-account, one word, never the API server's audience", () => {
    assert.throws(
      () => parseInjectorConfig('sidecar: {image: x}\nprometheus: {url: "http://x", tokenAudience: prometheus}\n'),
      /prometheus\.tokenAudience: only with auth: service-account/,
    );
    for (const audience of ['https://kubernetes.default.svc.cluster.local', 'kubernetes.default.svc']) {
      assert.throws(
        () =>
          parseInjectorConfig(
            `sidecar: {image: x}\nprometheus: {url: "https://x", auth: service-account, tokenAudience: "${audience}"}\n`,
          ),
        /prometheus\.tokenAudience: .*is the API server's audience/,
      );
    }
    assert.throws(
      () =>
        parseInjectorConfig(
          'sidecar: {image: x}\nprometheus: {url: "https://x", auth: service-account, tokenAudience: ""}\n',
        ),
      /prometheus\.tokenAudience: "" is not an audience/,
    );
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

  describe('with service-account auth', () => {
    const bearerConfig = parseInjectorConfig(
      'sidecar: {image: ghcr.io/podmcp/podmcp:0.1.0}\nprometheus: {url: "https://prometheus.monitoring:9091", auth: service-account, tokenAudience: prometheus.monitoring}\n',
    );
    const render = (annotations: Record<string, string>, pod = podWith(annotations)) => {
      const decision = decide(pod, bearerConfig, { nativeSidecars: true });
      assert.equal(decision.action, 'inject');
      if (decision.action !== 'inject') throw new Error('not injected');
      return renderSidecar(decision.plan, bearerConfig);
    };

    test('a second projected token for the Prometheus audience, short-lived, mounted apart, its path in the env', () => {
      const { container, volumes } = render({});
      assert.deepEqual(
        volumes.find((volume) => volume.name === PROMETHEUS_TOKEN_VOLUME),
        {
          name: 'podmcp-prometheus-token',
          projected: {
            defaultMode: 0o444,
            sources: [
              { serviceAccountToken: { audience: 'prometheus.monitoring', path: 'token', expirationSeconds: 3600 } },
            ],
          },
        },
      );
      assert.deepEqual(
        container.volumeMounts?.find((mount) => mount.name === PROMETHEUS_TOKEN_VOLUME),
        { name: 'podmcp-prometheus-token', mountPath: '/var/run/secrets/podmcp.dev/prometheus-token', readOnly: true },
      );
      const env = Object.fromEntries((container.env ?? []).map((item) => [item.name, item.value]));
      assert.equal(env.PODMCP_PROMETHEUS_AUTH, 'service-account');
      assert.equal(env.PODMCP_PROMETHEUS_TOKEN_AUDIENCE, 'prometheus.monitoring');
      assert.equal(env.PODMCP_PROMETHEUS_TOKEN_FILE, '/var/run/secrets/podmcp.dev/prometheus-token/token');
      const decoded = decodeSidecarEnv(env);
      assert.ok(decoded.ok, JSON.stringify(decoded));
      assert.equal(decoded.settings.prometheus?.tokenFile, '/var/run/secrets/podmcp.dev/prometheus-token/token');
      assert.equal(decoded.settings.prometheus?.tokenAudience, 'prometheus.monitoring');
    });

    test("the sidecar's API token volume is unchanged and separate, when the injector mounts one", () => {
      const { container, volumes } = render({}, podWith({}, { automountServiceAccountToken: false }));
      assert.deepEqual(
        volumes.map((volume) => volume.name),
        ['podmcp-tmp', 'podmcp-token', 'podmcp-prometheus-token'],
      );
      const api = volumes.find((volume) => volume.name === 'podmcp-token');
      assert.equal(api?.projected?.sources?.[0]?.serviceAccountToken?.audience, undefined);
      const env = Object.fromEntries((container.env ?? []).map((item) => [item.name, item.value]));
      assert.notEqual(env.PODMCP_PROMETHEUS_TOKEN_FILE, env.PODMCP_TOKEN_FILE);
    });

    test('turned off by the annotation, or auth none: no Prometheus token volume', () => {
      const off = render({ 'podmcp.dev/metrics-history': 'false' });
      assert.ok(!off.volumes.some((volume) => volume.name === PROMETHEUS_TOKEN_VOLUME));
      const decision = decide(podWith({}), config, { nativeSidecars: true });
      assert.equal(decision.action, 'inject');
      if (decision.action !== 'inject') return;
      const plain = renderSidecar(decision.plan, config);
      assert.ok(!plain.volumes.some((volume) => volume.name === PROMETHEUS_TOKEN_VOLUME));
      assert.ok(!plain.container.volumeMounts?.some((mount) => mount.name === PROMETHEUS_TOKEN_VOLUME));
    });

    test('a pod that already has a volume of that name is refused, like the other sidecar volumes', () => {
      const pod = podWith({}, { volumes: [{ name: PROMETHEUS_TOKEN_VOLUME, emptyDir: {} }] });
      const decision = decide(pod, bearerConfig, { nativeSidecars: true });
      assert.notEqual(decision.action, 'inject');
      assert.match(JSON.stringify(decision), /already has a volume named \\"podmcp-prometheus-token\\"/);
    });
  });
});
