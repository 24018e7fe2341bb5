/**
 * Carries a planned Secret change out: makes the keys and certificates it calls for and assembles the
 * Secret's new contents. Nothing is written here; the caller stores the result.
 */
import { createCertificateAuthority, issueServingCertificate } from '../certificates.ts';
import { joinCertificates, pemCertificates } from './inspect.ts';
import type { SecretChange, SecretFiles, Validity } from './plan.ts';

export type CompleteSecretFiles = Required<SecretFiles>;

export interface IssueRequest {
  readonly dnsNames: readonly string[];
  readonly validity: Validity;
  /** Common name of a new CA; a timestamp is appended, so consecutive CAs are told apart in logs and tools. */
  readonly authorityName: string;
}

export async function carryOut(
  change: SecretChange,
  current: SecretFiles | undefined,
  request: IssueRequest,
): Promise<CompleteSecretFiles> {
  const signing = change.newAuthority
    ? await createCertificateAuthority(`${request.authorityName} ${new Date().toISOString()}`, request.validity.caDays)
    : { certPem: pemCertificates(current?.['ca.crt'])[0], keyPem: current?.['ca.key'] };
  if (signing.certPem === undefined || signing.keyPem === undefined) {
    throw new Error(`cannot ${change.kind}: the Secret has no CA to sign with (the plan should have made one)`);
  }
  const authority = { certPem: signing.certPem, keyPem: signing.keyPem };

  let servingCert = current?.['tls.crt'];
  let servingKey = current?.['tls.key'];
  if (change.newServingCertificate) {
    const issued = await issueServingCertificate(authority, { dns: request.dnsNames }, request.validity.servingDays);
    servingCert = issued.certPem;
    servingKey = issued.keyPem;
  }
  if (servingCert === undefined || servingKey === undefined) {
    throw new Error(`cannot ${change.kind}: the Secret has no serving certificate to keep (the plan should issue one)`);
  }

  return {
    'tls.crt': servingCert,
    'tls.key': servingKey,
    'ca.crt': joinCertificates([authority.certPem, ...change.previousAuthorities]),
    'ca.key': authority.keyPem,
  };
}
