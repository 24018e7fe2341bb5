/**
 * What the leader must do to the TLS Secret, decided from what is there now: nothing, make a CA, rotate the
 * CA, issue a serving certificate, or drop CAs that can no longer matter. Pure: the caller reads the Secret
 * and the webhook configuration, and carries the answer out (see issue.ts and manager.ts).
 *
 * The Secret holds `tls.crt`/`tls.key` (the serving pair), `ca.crt` (the bundle the webhooks trust: the
 * signing CA first, then previous CAs still needed) and `ca.key` (the signing CA's key, so whichever replica
 * leads next can renew without starting a new CA).
 *
 * A CA rotation takes two rounds so that no replica ever serves a certificate the API server cannot verify:
 * first the new CA joins the bundle (Secret, then webhooks) while the old serving certificate stays; only
 * once every webhook trusts the new CA is the serving certificate switched to it.
 */
import type { X509Certificate } from 'node:crypto';
import {
  dnsNamesOf,
  issuedBy,
  keyMatches,
  type Parsed,
  parseCertificates,
  parsePrivateKey,
  pemCertificates,
} from './inspect.ts';

export const SECRET_KEYS = ['tls.crt', 'tls.key', 'ca.crt', 'ca.key'] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
/** The Secret's entries as text (decoded from the Secret's base64). */
export type SecretFiles = Partial<Record<SecretKey, string>>;

export interface Validity {
  /** Fractional days are allowed (tests use lifetimes of seconds). */
  readonly servingDays: number;
  readonly caDays: number;
}

export const DEFAULT_VALIDITY: Validity = { servingDays: 30, caDays: 5 * 365 };

/** One entry of the MutatingWebhookConfiguration, with its caBundle decoded to PEM text. */
export interface WebhookTrust {
  readonly name: string;
  readonly caBundle: string | undefined;
}

export interface PlanInput {
  /** Undefined when the Secret does not exist. */
  readonly secret: SecretFiles | undefined;
  readonly webhooks: readonly WebhookTrust[];
  readonly dnsNames: readonly string[];
  readonly validity: Validity;
  readonly now: Date;
}

export type SecretChangeKind = 'create-authority' | 'rotate-authority' | 'issue-serving-certificate' | 'prune-bundle';

export interface SecretChange {
  readonly kind: SecretChangeKind;
  /** Why, in words fit for a log line. */
  readonly reason: string;
  /** Make a new CA, which signs from now on and heads ca.crt. */
  readonly newAuthority: boolean;
  /** Issue a new serving certificate from the CA that signs from now on; otherwise keep tls.crt/tls.key. */
  readonly newServingCertificate: boolean;
  /** CA certificates (PEM) kept in ca.crt behind the signing one, newest first. */
  readonly previousAuthorities: readonly string[];
}

export type SecretPlan = { readonly kind: 'keep' } | SecretChange;

/** A webhook entry whose caBundle is not the wanted one, by its position in `webhooks`. */
export interface CaBundleDrift {
  readonly index: number;
  readonly name: string;
}

const DAY_MS = 86_400_000;
/** Renew (or rotate) once less than this share of the lifetime remains: 30-day certificates at day 20. */
const RENEWAL_SHARE = 1 / 3;
/**
 * Room for clocks that disagree between replicas, and for the few minutes certificates.ts backdates
 * notBefore by. Used where a comparison decides that a certificate can no longer matter, so erring long is
 * the safe side.
 */
const CLOCK_SLACK_MS = 60 * 60_000;
/** A certificate valid longer than the configured validity plus this was issued under a longer setting. */
const LONGER_THAN_CONFIGURED_SLACK_MS = 60_000;

/** The names the API server may use for the webhook's Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

interface Authority {
  readonly pem: string;
  readonly certificate: X509Certificate;
}

export function planSecret(input: PlanInput): SecretPlan {
  const { secret, now } = input;
  if (secret === undefined) {
    return change('create-authority', 'the Secret does not exist yet', true, true, []);
  }

  const bundle = parseAuthorities(secret['ca.crt']);
  if (!bundle.ok) return change('create-authority', `${bundle.problem}; making a new CA`, true, true, []);
  const authorityProblem = signingAuthorityProblem(bundle.value, secret['ca.key'], now);
  if (authorityProblem !== undefined) {
    // Old CAs that still parse stay trusted for a while, so certificates they signed keep working until the
    // replicas have loaded the new one.
    const survivors = bundle.value.filter(
      (authority) => authority.certificate.ca && !expired(authority.certificate, now),
    );
    return change(
      'create-authority',
      `${authorityProblem}; making a new CA`,
      true,
      true,
      survivors.map((authority) => authority.pem),
    );
  }

  const authorities = bundle.value;
  const [signing, ...previous] = authorities as [Authority, ...Authority[]];
  const serving = parseServing(secret, authorities, input);
  const leaf = serving.ok ? serving.value : undefined;
  const stillNeeded = previous.filter((authority, index) =>
    // authorities[index] is the CA that replaced previous[index] (the bundle is newest first).
    previousAuthorityNeeded(authority, authorities[index] as Authority, leaf, input),
  );
  const keptPems = stillNeeded.map((authority) => authority.pem);

  if (!serving.ok) {
    return change('issue-serving-certificate', serving.problem, false, true, keptPems);
  }

  const caRenewal = renewalReason(signing.certificate, input.validity.caDays, now);
  if (caRenewal !== undefined) {
    return change('rotate-authority', `the CA ${caRenewal}`, true, false, [signing.pem, ...keptPems]);
  }

  if (!issuedBy(serving.value, signing.certificate)) {
    const untrusting = input.webhooks.filter((webhook) => !trusts(webhook, signing));
    // Switching now would break TLS for the API server; the caBundle patch comes first, then a later round.
    if (untrusting.length > 0) return { kind: 'keep' };
    return change(
      'issue-serving-certificate',
      'tls.crt was issued by a previous CA, and every webhook now trusts the new one',
      false,
      true,
      keptPems,
    );
  }

  const servingRenewal = renewalReason(serving.value, input.validity.servingDays, now);
  if (servingRenewal !== undefined) {
    return change('issue-serving-certificate', `the serving certificate ${servingRenewal}`, false, true, keptPems);
  }

  if (stillNeeded.length < previous.length) {
    const dropped = previous.length - stillNeeded.length;
    return change(
      'prune-bundle',
      `${dropped} previous CA${dropped === 1 ? '' : 's'} in ca.crt can no longer have a valid certificate`,
      false,
      false,
      keptPems,
    );
  }
  return { kind: 'keep' };
}

/** The webhook entries whose caBundle differs from `bundle` (the Secret's ca.crt). */
export function planCaBundle(bundle: string, webhooks: readonly WebhookTrust[]): CaBundleDrift[] {
  return webhooks.flatMap((webhook, index) => (webhook.caBundle === bundle ? [] : [{ index, name: webhook.name }]));
}

function change(
  kind: SecretChangeKind,
  reason: string,
  newAuthority: boolean,
  newServingCertificate: boolean,
  previousAuthorities: readonly string[],
): SecretChange {
  return { kind, reason, newAuthority, newServingCertificate, previousAuthorities };
}

function parseAuthorities(text: string | undefined): Parsed<Authority[]> {
  const parsed = parseCertificates(text, 'ca.crt');
  if (!parsed.ok) return parsed;
  const pems = pemCertificates(text);
  return { ok: true, value: parsed.value.map((certificate, index) => ({ certificate, pem: pems[index] as string })) };
}

function signingAuthorityProblem(
  authorities: readonly Authority[],
  keyText: string | undefined,
  now: Date,
): string | undefined {
  const signing = (authorities[0] as Authority).certificate;
  if (!signing.ca) return 'the first certificate in ca.crt is not a CA certificate';
  const key = parsePrivateKey(keyText, 'ca.key');
  if (!key.ok) return key.problem;
  if (!keyMatches(signing, key.value)) return 'ca.key does not belong to the first certificate in ca.crt';
  if (expired(signing, now)) return `the CA expired at ${signing.validToDate.toISOString()}`;
  return undefined;
}

function parseServing(
  secret: SecretFiles,
  authorities: readonly Authority[],
  input: PlanInput,
): Parsed<X509Certificate> {
  const certificates = parseCertificates(secret['tls.crt'], 'tls.crt');
  if (!certificates.ok) return certificates;
  const key = parsePrivateKey(secret['tls.key'], 'tls.key');
  if (!key.ok) return key;
  const leaf = certificates.value[0] as X509Certificate;
  if (!keyMatches(leaf, key.value)) return { ok: false, problem: 'tls.key does not belong to tls.crt' };
  if (expired(leaf, input.now)) {
    return { ok: false, problem: `tls.crt expired at ${leaf.validToDate.toISOString()}` };
  }
  const names = dnsNamesOf(leaf);
  if (!sameSet(names, input.dnsNames)) {
    const actual = names.length > 0 ? names.join(', ') : 'no DNS names';
    return { ok: false, problem: `tls.crt is for ${actual}, not ${input.dnsNames.join(', ')}` };
  }
  if (!authorities.some((authority) => issuedBy(leaf, authority.certificate))) {
    return { ok: false, problem: 'tls.crt was not issued by any CA in ca.crt' };
  }
  return { ok: true, value: leaf };
}

/**
 * A previous CA stays in the bundle while a certificate it signed may still be in use: the current
 * tls.crt, or any serving certificate issued before its successor was made (those expire at most one
 * serving validity after that).
 */
function previousAuthorityNeeded(
  authority: Authority,
  successor: Authority,
  leaf: X509Certificate | undefined,
  input: PlanInput,
): boolean {
  if (expired(authority.certificate, input.now)) return false;
  if (leaf !== undefined && issuedBy(leaf, authority.certificate)) return true;
  const lastSignature = successor.certificate.validFromDate.getTime() + CLOCK_SLACK_MS;
  return input.now.getTime() < lastSignature + input.validity.servingDays * DAY_MS;
}

/** Why a certificate is due for renewal, or undefined when it is not. */
function renewalReason(certificate: X509Certificate, configuredDays: number, now: Date): string | undefined {
  const notBefore = certificate.validFromDate.getTime();
  const notAfter = certificate.validToDate.getTime();
  const configuredMs = configuredDays * DAY_MS;
  const lifetime = Math.min(notAfter - notBefore, configuredMs);
  const expiry = certificate.validToDate.toISOString();
  if (notAfter - now.getTime() < lifetime * RENEWAL_SHARE) {
    return `expires at ${expiry}, with less than a third of its lifetime left`;
  }
  // A validity setting that was shortened takes effect now rather than at the old renewal date.
  if (notAfter > now.getTime() + configuredMs + LONGER_THAN_CONFIGURED_SLACK_MS) {
    return `is valid until ${expiry}, longer than the configured ${describeDays(configuredDays)}`;
  }
  return undefined;
}

function describeDays(days: number): string {
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  return `${Math.round(days * 86_400)} seconds`;
}

function trusts(webhook: WebhookTrust, authority: Authority): boolean {
  return pemCertificates(webhook.caBundle).includes(authority.pem);
}

function expired(certificate: X509Certificate, now: Date): boolean {
  return certificate.validToDate.getTime() <= now.getTime();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}
