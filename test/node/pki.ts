/**
 * How the API server authenticates to the real node's kubelet (logs, exec, port-forward): a CA of the node's
 * own, which the kubelet trusts for client certificates, and a client certificate it signs for the API
 * server. The API server is in `system:masters` through it, so the kubelet's webhook authorization allows it.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority } from '../../packages/injector/src/certificates.ts';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KubeletClientPki {
  readonly clientCaFile: string;
  readonly apiserverClientCertFile: string;
  readonly apiserverClientKeyFile: string;
}

export async function writeKubeletClientPki(directory: string): Promise<KubeletClientPki> {
  x509.cryptoProvider.set(globalThis.crypto);
  const ca = await createCertificateAuthority('podmcp-test-kubelet-client-ca', 2);
  const caCertificate = new x509.X509Certificate(ca.certPem);
  const caKey = await globalThis.crypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: 'CN=kube-apiserver-kubelet-client, O=system:masters',
    issuer: caCertificate.subject,
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 2 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  const key = x509.PemConverter.encode(
    await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  const files = {
    clientCaFile: join(directory, 'kubelet-client-ca.crt'),
    apiserverClientCertFile: join(directory, 'apiserver-kubelet-client.crt'),
    apiserverClientKeyFile: join(directory, 'apiserver-kubelet-client.key'),
  };
  writeFileSync(files.clientCaFile, ca.certPem);
  writeFileSync(files.apiserverClientCertFile, certificate.toString('pem'));
  writeFileSync(files.apiserverClientKeyFile, key, { mode: 0o600 });
  return files;
}
