import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createCertificateAuthority, issueClientCertificate, issueServingCertificate } from '../src/certificates.ts';

test('a serving certificate is for server auth, names its DNS and IP, and is signed by the CA', async () => {
  const ca = await createCertificateAuthority('test-ca', 1);
  const leaf = new X509Certificate(
    (await issueServingCertificate(ca, { dns: ['svc.ns.svc'], ip: ['127.0.0.1'] }, 1)).certPem,
  );
  assert.equal(leaf.subject, 'CN=svc.ns.svc');
  assert.equal(leaf.subjectAltName, 'DNS:svc.ns.svc, IP Address:127.0.0.1');
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(leaf.verify(new X509Certificate(ca.certPem).publicKey), true);
  assert.equal(leaf.ca, false);
});

test('a client certificate is for client auth only, carries the subject it was given, and is signed by the CA', async () => {
  const ca = await createCertificateAuthority('test-ca', 1);
  const issued = await issueClientCertificate(ca, 'CN=someone, O=some-group', 2);
  const leaf = new X509Certificate(issued.certPem);
  assert.equal(leaf.subject, 'CN=someone\nO=some-group');
  assert.equal(leaf.subjectAltName, undefined);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(leaf.verify(new X509Certificate(ca.certPem).publicKey), true);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.checkPrivateKey(createPrivateKey(issued.keyPem)), true);
});
