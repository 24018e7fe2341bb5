/**
 * Reads certificates and keys out of PEM text into facts the plan can decide on. Synchronous and free of
 * I/O (node:crypto parses X.509 natively), so the plan stays a plain function of its inputs. Anything that
 * does not parse becomes a sentence saying what is wrong, never an exception.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The CERTIFICATE blocks of a PEM bundle, each normalised (LF line ends, no surrounding space). */
export function pemCertificates(text: string | undefined): string[] {
  return [...(text ?? '').replace(/\r\n/g, '\n').matchAll(CERTIFICATE_BLOCK)].map((match) => match[0].trim());
}

/** Joins certificates into a bundle the way they are stored: one block per line group, newline-terminated. */
export function joinCertificates(pems: readonly string[]): string {
  return pems.map((pem) => `${pem.trim()}\n`).join('');
}

export function parseCertificates(text: string | undefined, what: string): Parsed<X509Certificate[]> {
  if (text === undefined || text.trim() === '') return { ok: false, problem: `${what} is missing` };
  const blocks = pemCertificates(text);
  if (blocks.length === 0) return { ok: false, problem: `${what} holds no PEM certificate` };
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (error) {
      return { ok: false, problem: `${what}: certificate ${index + 1} does not parse (${(error as Error).message})` };
    }
  }
  return { ok: true, value: certificates };
}

export function parsePrivateKey(text: string | undefined, what: string): Parsed<KeyObject> {
  if (text === undefined || text.trim() === '') return { ok: false, problem: `${what} is missing` };
  try {
    return { ok: true, value: createPrivateKey(text) };
  } catch (error) {
    return { ok: false, problem: `${what} is not a PEM private key (${(error as Error).message})` };
  }
}

export function keyMatches(certificate: X509Certificate, key: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(key);
  } catch {
    // A key of another algorithm than the certificate's throws rather than answering false.
    return false;
  }
}

export function issuedBy(certificate: X509Certificate, authority: X509Certificate): boolean {
  try {
    return certificate.checkIssued(authority) && certificate.verify(authority.publicKey);
  } catch {
    return false;
  }
}

export function dnsNamesOf(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
}
