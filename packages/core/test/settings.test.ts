import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAnnotations } from '../src/annotations.ts';
import { parseQuantity } from '../src/quantity.ts';
import { BUILTIN_DEFAULTS, decodeSidecarEnv, encodeSidecarEnv, resolveSettings } from '../src/settings.ts';
import { ACTION_TOOLS, READ_TOOLS } from '../src/tools.ts';

function resolve(annotations: Record<string, string>) {
  return resolveSettings(parseAnnotations(annotations).values);
}

describe('resolveSettings', () => {
  test('defaults: read-only tools, loopback, cluster resources', () => {
    const result = resolve({});
    assert.ok(result.ok);
    assert.deepEqual(result.settings.sidecar.tools, READ_TOOLS);
    assert.equal(result.settings.sidecar.expose, false);
    assert.equal(result.settings.sidecar.port, BUILTIN_DEFAULTS.port);
    assert.deepEqual(result.settings.resources, { ...BUILTIN_DEFAULTS.resources, cpuLimit: undefined });
    assert.equal(result.settings.nativeSidecar, 'auto');
  });

  test('read-write without an allow-list offers the actions too', () => {
    const result = resolve({ 'podmcp.dev/mode': 'read-write' });
    assert.ok(result.ok);
    assert.deepEqual(result.settings.sidecar.tools, [...READ_TOOLS, ...ACTION_TOOLS]);
  });

  test('an action tool in read-only mode is refused with the fix', () => {
    const result = resolve({ 'podmcp.dev/tools': 'list_pods,restart_deployment,delete_pod' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      result.errors[0]?.message,
      'podmcp.dev/tools: restart_deployment, delete_pod are action tools; set podmcp.dev/mode: read-write to allow actions',
    );
  });

  test('the same port twice is refused', () => {
    const result = resolve({ 'podmcp.dev/port': '9811' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.match(result.errors[0]?.message ?? '', /health-port: 9811 is also the MCP port/);
  });

  test('a request above its limit is refused for cpu and memory', () => {
    const result = resolve({
      'podmcp.dev/cpu-request': '2',
      'podmcp.dev/cpu-limit': '500m',
      'podmcp.dev/memory-request': '1Gi',
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.errors.map((error) => error.message),
      [
        'podmcp.dev/cpu-request: 2 is above the cpu limit 500m; a request must not exceed its limit',
        'podmcp.dev/memory-request: 1Gi is above the memory limit 160Mi; a request must not exceed its limit',
      ],
    );
  });

  test('app endpoints get their default paths', () => {
    const result = resolve({ 'podmcp.dev/app-metrics-port': '9090', 'podmcp.dev/app-health-port': '8080' });
    assert.ok(result.ok);
    assert.deepEqual(result.settings.sidecar.appMetrics, { port: 9090, path: '/metrics' });
    assert.deepEqual(result.settings.sidecar.appHealth, { port: 8080, path: '/healthz' });
  });
});

describe('sidecar environment', () => {
  test('encode then decode gives the same settings', () => {
    const result = resolve({
      'podmcp.dev/mode': 'read-write',
      'podmcp.dev/tools': 'diagnose,scale_workload',
      'podmcp.dev/expose': 'true',
      'podmcp.dev/runbooks': 'rb',
      'podmcp.dev/app-metrics-port': '9090',
      'podmcp.dev/action-cooldown': '2m',
      'podmcp.dev/token-audience': 'podmcp',
    });
    assert.ok(result.ok);
    const env = Object.fromEntries(encodeSidecarEnv(result.settings.sidecar).map(({ name, value }) => [name, value]));
    assert.equal(env.PODMCP_ACTION_COOLDOWN, '120');
    assert.deepEqual(decodeSidecarEnv(env), { ok: true, settings: result.settings.sidecar });
  });

  test('an empty environment gives the read-only defaults', () => {
    const decoded = decodeSidecarEnv({});
    assert.ok(decoded.ok);
    assert.equal(decoded.settings.mode, 'read-only');
  });

  test('a bad variable is named with its allowed values', () => {
    assert.deepEqual(decodeSidecarEnv({ PODMCP_MODE: 'admin', PODMCP_PORT: '22' }), {
      ok: false,
      errors: [
        'PODMCP_MODE: "admin" is not valid; allowed: read-only, read-write',
        'PODMCP_PORT: "22" is not valid; allowed: 1024-65535',
      ],
    });
  });
});

test('quantities', () => {
  assert.equal(parseQuantity('250m'), 0.25);
  assert.equal(parseQuantity('64Mi'), 64 * 2 ** 20);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('1.5G'), 1.5e9);
  assert.equal(parseQuantity('abc'), undefined);
});
