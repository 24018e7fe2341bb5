import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANNOTATION_NAMES, parseAnnotation, parseAnnotations, renderAnnotationTable } from '../src/annotations.ts';

/** For every annotation: a value that must parse (with its parsed form) and values that must be refused. */
const CASES: Record<string, { good: Array<[string, unknown]>; bad: string[] }> = {
  inject: {
    good: [
      ['true', true],
      ['false', false],
    ],
    bad: ['yes', 'True', '1', ''],
  },
  mode: { good: [['read-write', 'read-write']], bad: ['readonly', 'rw', ''] },
  tools: {
    good: [
      ['list_pods, get_pod_logs', ['list_pods', 'get_pod_logs']],
      ['diagnose', ['diagnose']],
    ],
    bad: ['list_pods,kubectl', '', ' , '],
  },
  port: { good: [['9000', 9000]], bad: ['80', '70000', '90a', '-1', '8080.5'] },
  'health-port': { good: [['1024', 1024]], bad: ['1023', '65536'] },
  expose: { good: [['true', true]], bad: ['on'] },
  'unattended-actions': {
    good: [
      ['true', true],
      ['false', false],
    ],
    bad: ['yes'],
  },
  'cpu-request': { good: [['250m', '250m']], bad: ['250 m', 'lots'] },
  'cpu-limit': { good: [['1.5', '1.5']], bad: ['1.5cores'] },
  'memory-request': { good: [['64Mi', '64Mi']], bad: ['64MB'] },
  'memory-limit': { good: [['1e9', '1e9']], bad: ['1Gb'] },
  'log-level': { good: [['debug', 'debug']], bad: ['trace', 'INFO'] },
  'native-sidecar': { good: [['auto', 'auto']], bad: ['yes'] },
  'token-audience': { good: [['podmcp', 'podmcp']], bad: ['two words', ''] },
  runbooks: { good: [['payments-runbooks', 'payments-runbooks']], bad: ['Runbooks', '-x', 'a_b'] },
  'app-metrics-port': { good: [['80', 80]], bad: ['0', 'http'] },
  'app-metrics-path': { good: [['/stats/prometheus', '/stats/prometheus']], bad: ['metrics', '/a b'] },
  'app-health-port': { good: [['8080', 8080]], bad: ['99999'] },
  'app-health-path': { good: [['/health/ready', '/health/ready']], bad: ['health'] },
  'metrics-history': { good: [['false', false]], bad: ['off'] },
  'rate-limit': { good: [['60', 60]], bad: ['0', '6001', 'fast'] },
  'max-replicas': { good: [['0', 0]], bad: ['1001', '-2'] },
  'action-cooldown': {
    good: [
      ['30', 30],
      ['30s', 30],
      ['5m', 300],
      ['2h', 7200],
    ],
    bad: ['25h', '5d', '1.5m'],
  },
  image: { good: [['ghcr.io/podmcp/podmcp:0.2.0', 'ghcr.io/podmcp/podmcp:0.2.0']], bad: ['Not An Image', ''] },
};

describe('annotation values', () => {
  test('every declared annotation has a table case', () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...ANNOTATION_NAMES].sort());
  });

  for (const name of ANNOTATION_NAMES) {
    const { good, bad } = CASES[name] ?? { good: [], bad: [] };
    for (const [value, parsed] of good) {
      test(`${name}: ${JSON.stringify(value)} parses`, () => {
        assert.deepEqual(parseAnnotation(name, value), { ok: true, value: parsed });
      });
    }
    for (const value of bad) {
      test(`${name}: ${JSON.stringify(value)} is refused naming key, value and allowed values`, () => {
        const result = parseAnnotation(name, value);
        assert.equal(result.ok, false);
        if (result.ok) return;
        assert.match(
          result.message,
          new RegExp(`^podmcp\\.dev/${name}: ${escapeRegExp(JSON.stringify(value))} is not valid; allowed: .+`),
        );
      });
    }
  }
});

describe('parseAnnotations', () => {
  test('collects values, ignores foreign and written keys', () => {
    const parsed = parseAnnotations({
      'podmcp.dev/inject': 'true',
      'podmcp.dev/mode': 'read-write',
      'podmcp.dev/status': '{"version":"x"}',
      'prometheus.io/scrape': 'true',
    });
    assert.deepEqual(parsed.values, { inject: true, mode: 'read-write' });
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.warnings, []);
  });

  test('an unknown key under the prefix is a warning with a suggestion, not an error', () => {
    const parsed = parseAnnotations({ 'podmcp.dev/memory-requests': '64Mi', 'podmcp.dev/zzzzzzzzzzzzzz': '1' });
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(
      parsed.warnings.map((warning) => warning.message),
      [
        'unknown annotation podmcp.dev/memory-requests is ignored; did you mean podmcp.dev/memory-request?',
        'unknown annotation podmcp.dev/zzzzzzzzzzzzzz is ignored',
      ],
    );
  });

  test('every invalid value is reported, not only the first', () => {
    const parsed = parseAnnotations({ 'podmcp.dev/mode': 'rw', 'podmcp.dev/port': '80' });
    assert.deepEqual(
      parsed.errors.map((error) => error.key),
      ['podmcp.dev/mode', 'podmcp.dev/port'],
    );
  });

  test('absent annotations give no values', () => {
    assert.deepEqual(parseAnnotations(undefined), { values: {}, errors: [], warnings: [] });
  });
});

test('the annotation table has one row per annotation', () => {
  const rows = renderAnnotationTable()
    .split('\n')
    .filter((line) => line.startsWith('| `podmcp.dev/'));
  assert.equal(rows.length, ANNOTATION_NAMES.length);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
