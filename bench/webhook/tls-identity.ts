/** A throwaway CA and a serving certificate for 127.0.0.1, minted per run so nothing is read from disk. */
import { createCertificateAuthority, issueServingCertificate } from '../../packages/injector/src/certificates.ts';

export interface TlsIdentity {
  /** What the load generator trusts. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

export async function mintTlsIdentity(): Promise<TlsIdentity> {
  const authority = await createCertificateAuthority('podmcp-bench-ca', 1);
  const serving = await issueServingCertificate(authority, { ip: ['127.0.0.1'] }, 1);
  return { caPem: authority.certPem, ...serving };
}
