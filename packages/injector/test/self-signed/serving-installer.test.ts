import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createCertificateAuthority, issueServingCertificate } from '../../src/certificates.ts';
import { createInjectorMetrics } from '../../src/metrics.ts';
import { createServingInstaller } from '../../src/self-signed/serving-installer.ts';
import type { LoadedCertificate } from '../../src/serving-certificate.ts';

async function pair() {
  const authority = await createCertificateAuthority('installer test CA', 1);
  return issueServingCertificate(authority, { dns: ['localhost'] }, 1);
}

describe('serving installer', () => {
  test('installs each new pair once, refuses a broken one once, and keeps the last good one', async () => {
    const installed: LoadedCertificate[] = [];
    const refused: Error[] = [];
    const metrics = createInjectorMetrics();
    const installer = createServingInstaller({
      onCertificate: (loaded) => installed.push(loaded),
      onRefused: (error) => refused.push(error),
      logger: pino({ level: 'silent' }),
      metrics,
    });
    const first = await pair();
    const second = await pair();

    assert.equal(installer.offer(undefined), false, 'no Secret yet');
    assert.equal(installer.offer({ 'ca.crt': 'x' }), false, 'no serving pair yet');
    assert.equal(installer.offer({ 'tls.crt': first.certPem, 'tls.key': first.keyPem }), true);
    assert.equal(installer.offer({ 'tls.crt': first.certPem, 'tls.key': first.keyPem }), false, 'unchanged');

    const mismatched = { 'tls.crt': second.certPem, 'tls.key': first.keyPem };
    assert.equal(installer.offer(mismatched), false);
    assert.equal(installer.offer(mismatched), false);
    assert.equal(installer.offer({ 'tls.crt': 'garbage', 'tls.key': 'garbage' }), false);
    assert.equal(refused.length, 2, 'reported once per distinct broken content');
    assert.match(refused[0]?.message ?? '', /serving pair that cannot be used/);
    assert.equal(installer.installed()?.certPem, first.certPem, 'the last good pair stays');

    assert.equal(installer.offer({ 'tls.crt': second.certPem, 'tls.key': second.keyPem }), true);
    assert.deepEqual(
      installed.map((loaded) => loaded.certPem),
      [first.certPem, second.certPem],
    );
    // X.509 times have whole seconds.
    assert.equal(installed[1]?.notAfter.getTime(), Math.floor(second.notAfter.getTime() / 1000) * 1000);

    const text = await metrics.registry.metrics();
    assert.match(text, /podmcp_injector_certificate_reloads_total\{result="ok"\} 1/, 'the first install is no reload');
    assert.match(text, /podmcp_injector_certificate_reloads_total\{result="error"\} 2/);
    const expiry = Math.floor(second.notAfter.getTime() / 1000);
    assert.match(text, new RegExp(`podmcp_injector_serving_cert_expiry_timestamp_seconds ${expiry}`));
  });
});
