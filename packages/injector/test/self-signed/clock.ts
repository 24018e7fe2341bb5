/**
 * Certificates made at a chosen moment: certificates.ts reads the clock, so the clock is mocked while they
 * are made. Lets a test build a CA years old and a serving certificate issued by it last week.
 */
import { mock } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../src/certificates.ts';

export const DAY = 86_400_000;
export const YEAR = 365 * DAY;
/** An arbitrary fixed start, so the tests never depend on today's date. */
export const T0 = Date.UTC(2030, 0, 1);

export async function at<T>(time: number, make: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['Date'], now: time });
  try {
    return await make();
  } finally {
    mock.timers.reset();
  }
}

export interface Pair {
  readonly certPem: string;
  readonly keyPem: string;
}

export function authorityAt(time: number, days: number, name = 'test CA'): Promise<Pair> {
  return at(time, () => createCertificateAuthority(name, days));
}

export function servingAt(time: number, authority: Pair, dns: readonly string[], days: number): Promise<Pair> {
  return at(time, () => issueServingCertificate(authority, { dns }, days));
}
