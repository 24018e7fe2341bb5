import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseInjectorConfig } from '../src/config.ts';
import { injectManifests } from '../src/manifests.ts';

const config = parseInjectorConfig('sidecar:\n  image: ghcr.io/podmcp/podmcp:0.1.0\n');

describe('offline injection of YAML with anchors and aliases', () => {
  test('labels shared through an alias stay labels in the selector and the injected template', () => {
    const source = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  labels: &labels',
      '    app: web',
      'spec:',
      '  selector:',
      '    matchLabels: *labels',
      '  template:',
      '    metadata:',
      '      labels: *labels',
      '      annotations:',
      '        podmcp.dev/inject: "true"',
      '    spec:',
      '      containers:',
      '        - name: app',
      '          image: web:1',
      '',
    ].join('\n');
    const { output, reports } = injectManifests(source, config, { nativeSidecars: true });
    assert.equal(reports[0]?.action, 'inject');
    const injected = parse(output);
    assert.deepEqual(injected.spec.selector.matchLabels, { app: 'web' });
    assert.deepEqual(injected.metadata.labels, { app: 'web' });
    assert.deepEqual(injected.spec.template.metadata.labels, { app: 'web', 'podmcp.dev/injected': 'true' });
    assert.doesNotMatch(output, /[&*]labels/);
    assert.equal(injectManifests(output, config, { nativeSidecars: true }).output, output, 'idempotent');
  });
});
