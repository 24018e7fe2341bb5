/**
 * A small CA and the serving certificates it signs (ECDSA P-256), for the self-signed install mode and for
 * tests. PEM in, PEM out, so the results can live in a Secret and be read back by any TLS stack.
 */
// @peculiar/x509 resolves its ASN.1 classes through tsyringe, which needs the reflect polyfill loaded first.
import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

x509.cryptoProvider.set(globalThis.crypto);

export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = await globalThis.crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

// Backdated a little, so a node whose clock runs slightly behind still accepts a fresh certificate.
const CLOCK_SKEW_MS = 5 * 60_000;

export async function createCertificateAuthority(commonName: string, validDays: number): Promise<CertificatePair> {
  const keys = await newKeys();
  const now = Date.now();
  const notAfter = new Date(now + validDays * DAY_MS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await keyToPem(keys.privateKey), notAfter };
}

export async function issueServingCertificate(
  authority: Pick<CertificatePair, 'certPem' | 'keyPem'>,
  names: { dns?: readonly string[]; ip?: readonly string[] },
  validDays: number,
): Promise<CertificatePair> {
  const alternativeNames = [
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  return issueCertificate(
    authority,
    `CN=${names.dns?.[0] ?? names.ip?.[0] ?? 'podmcp'}`,
    [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(alternativeNames),
    ],
    validDays,
  );
}

/** A client certificate for `subject`, an X.500 name ("CN=user, O=group"): the user and groups it stands for. */
export async function issueClientCertificate(
  authority: Pick<CertificatePair, 'certPem' | 'keyPem'>,
  subject: string,
  validDays: number,
): Promise<CertificatePair> {
  return issueCertificate(
    authority,
    subject,
    [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    validDays,
  );
}

async function issueCertificate(
  authority: Pick<CertificatePair, 'certPem' | 'keyPem'>,
  subject: string,
  usage: readonly x509.Extension[],
  validDays: number,
): Promise<CertificatePair> {
  const caCertificate = new x509.X509Certificate(authority.certPem);
  const caKey = await globalThis.crypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(authority.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await newKeys();
  const now = Date.now();
  const notAfter = new Date(now + validDays * DAY_MS);
  const certificate = await x509.X509CertificateGenerator.create({
    subject,
    issuer: caCertificate.subject,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...usage,
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await keyToPem(keys.privateKey), notAfter };
}

/** Expiry of the first certificate in a PEM bundle. */
export function certificateNotAfter(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}
