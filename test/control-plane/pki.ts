/**
 * The control plane's key material: a CA, the API server's serving certificate for 127.0.0.1, and the key
 * pair that signs service-account tokens. Generated per control plane and thrown away with it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority, issueServingCertificate } from '../../packages/injector/src/certificates.ts';

export interface ControlPlanePki {
  readonly caFile: string;
  readonly caPem: string;
  readonly caKeyFile: string;
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
  readonly serviceAccountPrivateKeyFile: string;
}

/** `extraIps`: more addresses the API server is reached at (a real node's link address, the Service ClusterIP). */
export async function writePki(directory: string, extraIps: readonly string[] = []): Promise<ControlPlanePki> {
  const ca = await createCertificateAuthority('podmcp-test-control-plane-ca', 2);
  const serving = await issueServingCertificate(
    ca,
    {
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ip: ['127.0.0.1', ...extraIps],
    },
    2,
  );
  const serviceAccount = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const files = {
    caFile: join(directory, 'ca.crt'),
    caKeyFile: join(directory, 'ca.key'),
    servingCertFile: join(directory, 'apiserver.crt'),
    servingKeyFile: join(directory, 'apiserver.key'),
    serviceAccountPublicKeyFile: join(directory, 'sa.pub'),
    serviceAccountPrivateKeyFile: join(directory, 'sa.key'),
  };
  writeFileSync(files.caFile, ca.certPem);
  writeFileSync(files.caKeyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(files.servingCertFile, serving.certPem);
  writeFileSync(files.servingKeyFile, serving.keyPem, { mode: 0o600 });
  writeFileSync(files.serviceAccountPublicKeyFile, serviceAccount.publicKey);
  writeFileSync(files.serviceAccountPrivateKeyFile, serviceAccount.privateKey, { mode: 0o600 });
  return { ...files, caPem: ca.certPem };
}
