import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fastJsonPatch from 'fast-json-patch';
import { caBundlePatch, webhookTrusts } from '../../src/self-signed/ca-bundle.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');

function configuration() {
  return {
    metadata: { name: 'podmcp-injector' },
    webhooks: [
      { name: 'a.podmcp.dev', clientConfig: { service: { name: 'svc', namespace: 'ns' } }, sideEffects: 'None' },
      {
        name: 'b.podmcp.dev',
        clientConfig: { caBundle: base64('OLD'), service: { name: 'svc' } },
        sideEffects: 'None',
      },
    ],
  };
}

describe('webhookTrusts', () => {
  test('every entry, caBundle decoded to text or undefined when absent', () => {
    assert.deepEqual(webhookTrusts(configuration() as never), [
      { name: 'a.podmcp.dev', caBundle: undefined },
      { name: 'b.podmcp.dev', caBundle: 'OLD' },
    ]);
  });
});

describe('caBundlePatch', () => {
  test('sets caBundle on the drifted entries only, adding it where absent, and changes nothing else', () => {
    const drift = [
      { index: 0, name: 'a.podmcp.dev' },
      { index: 1, name: 'b.podmcp.dev' },
    ];
    const operations = caBundlePatch('NEW', drift);
    assert.deepEqual(operations, [
      { op: 'test', path: '/webhooks/0/name', value: 'a.podmcp.dev' },
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: base64('NEW') },
      { op: 'test', path: '/webhooks/1/name', value: 'b.podmcp.dev' },
      { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: base64('NEW') },
    ]);
    const before = configuration();
    const after = fastJsonPatch.applyPatch(structuredClone(before), operations as never).newDocument;
    const expected = structuredClone(before);
    for (const webhook of expected.webhooks) (webhook.clientConfig as { caBundle?: string }).caBundle = base64('NEW');
    assert.deepEqual(after, expected);
  });

  test('fails as a whole when an entry moved since it was read', () => {
    const reordered = configuration();
    reordered.webhooks.reverse();
    const operations = caBundlePatch('NEW', [{ index: 0, name: 'a.podmcp.dev' }]);
    assert.throws(() => fastJsonPatch.applyPatch(reordered, operations as never), /Test operation failed/);
    assert.equal(reordered.webhooks[0]?.clientConfig.caBundle, base64('OLD'), 'nothing written');
  });
});
