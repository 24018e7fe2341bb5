import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { pemCertificates } from '../../src/self-signed/inspect.ts';
import { carryOut } from '../../src/self-signed/issue.ts';
import {
  DEFAULT_VALIDITY,
  type PlanInput,
  planCaBundle,
  planSecret,
  type SecretChange,
  type SecretFiles,
  type SecretPlan,
  serviceDnsNames,
  type WebhookTrust,
} from '../../src/self-signed/plan.ts';
import { at, authorityAt, DAY, type Pair, servingAt, T0, YEAR } from './clock.ts';

const NAMES = serviceDnsNames('podmcp-injector', 'podmcp-system');
const REQUEST = { dnsNames: NAMES, validity: DEFAULT_VALIDITY, authorityName: 'test CA' };

function secretOf(authority: Pair, serving: Pair, bundle = authority.certPem): SecretFiles {
  return { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem, 'ca.crt': bundle, 'ca.key': authority.keyPem };
}

function trustingAll(bundle: string | undefined): WebhookTrust[] {
  return [
    { name: 'inject.podmcp.dev', caBundle: bundle },
    { name: 'second.podmcp.dev', caBundle: bundle },
  ];
}

function plan(secret: SecretFiles | undefined, now: number, overrides: Partial<PlanInput> = {}): SecretPlan {
  return planSecret({
    secret,
    webhooks: trustingAll(secret?.['ca.crt']),
    dnsNames: NAMES,
    validity: DEFAULT_VALIDITY,
    now: new Date(now),
    ...overrides,
  });
}

function assertChange(result: SecretPlan, kind: SecretChange['kind'], reason?: RegExp): SecretChange {
  assert.equal(result.kind, kind, `expected ${kind}, got ${JSON.stringify(result)}`);
  const change = result as SecretChange;
  if (reason) assert.match(change.reason, reason);
  return change;
}

/** A healthy Secret made at T0 with the default validities. */
async function healthy(): Promise<{ authority: Pair; serving: Pair; secret: SecretFiles }> {
  const authority = await authorityAt(T0, DEFAULT_VALIDITY.caDays);
  const serving = await servingAt(T0, authority, NAMES, DEFAULT_VALIDITY.servingDays);
  return { authority, serving, secret: secretOf(authority, serving) };
}

describe('planSecret', () => {
  test('no Secret: a new CA and a serving certificate, nothing else kept', () => {
    const change = assertChange(plan(undefined, T0), 'create-authority', /does not exist/);
    assert.equal(change.newAuthority, true);
    assert.equal(change.newServingCertificate, true);
    assert.deepEqual(change.previousAuthorities, []);
  });

  test('what carryOut makes for a fresh install is healthy: serving certificate for the service, signed by ca.crt', async () => {
    const files = await at(T0, () =>
      carryOut(assertChange(plan(undefined, T0), 'create-authority'), undefined, REQUEST),
    );
    const leaf = new X509Certificate(files['tls.crt']);
    const authority = new X509Certificate(files['ca.crt']);
    assert.ok(leaf.checkIssued(authority) && leaf.verify(authority.publicKey));
    for (const name of NAMES) assert.equal(leaf.checkHost(name), name);
    assert.equal(pemCertificates(files['ca.crt']).length, 1);
    assert.deepEqual(plan(files, T0 + DAY), { kind: 'keep' });
  });

  test('a healthy Secret needs nothing', async () => {
    const { secret } = await healthy();
    assert.deepEqual(plan(secret, T0 + 19 * DAY), { kind: 'keep' });
  });

  test('the serving certificate is renewed once less than a third of its lifetime remains, keeping the CA', async () => {
    const { secret } = await healthy();
    assert.deepEqual(plan(secret, T0 + 19.9 * DAY), { kind: 'keep' });
    const change = assertChange(plan(secret, T0 + 20.1 * DAY), 'issue-serving-certificate', /less than a third/);
    assert.equal(change.newAuthority, false);
    assert.deepEqual(change.previousAuthorities, []);
  });

  test('an expired serving certificate is reissued', async () => {
    const { secret } = await healthy();
    assertChange(plan(secret, T0 + 31 * DAY), 'issue-serving-certificate', /tls\.crt expired at/);
  });

  test('a validity setting shortened below the certificate’s takes effect at once', async () => {
    const { secret } = await healthy();
    const shorter = { validity: { ...DEFAULT_VALIDITY, servingDays: 7 } };
    assertChange(plan(secret, T0 + DAY, shorter), 'issue-serving-certificate', /longer than the configured 7 days/);
  });

  test('a serving certificate for other DNS names is reissued (missing, extra or from another namespace)', async () => {
    const authority = await authorityAt(T0, DEFAULT_VALIDITY.caDays);
    const elsewhere = serviceDnsNames('podmcp-injector', 'platform-tools');
    for (const names of [elsewhere, NAMES.slice(0, 3), [...NAMES, 'extra.example']]) {
      const serving = await servingAt(T0, authority, names, 30);
      const change = assertChange(
        plan(secretOf(authority, serving), T0 + DAY),
        'issue-serving-certificate',
        /^tls\.crt is for .* not podmcp-injector, /,
      );
      assert.equal(change.newAuthority, false);
    }
  });

  test('a tls.key that does not belong to tls.crt is reissued', async () => {
    const { authority, serving } = await healthy();
    const other = await servingAt(T0, authority, NAMES, 30);
    const secret = { ...secretOf(authority, serving), 'tls.key': other.keyPem };
    assertChange(plan(secret, T0 + DAY), 'issue-serving-certificate', /tls\.key does not belong to tls\.crt/);
  });

  test('a serving certificate from a CA outside ca.crt is reissued', async () => {
    const { authority } = await healthy();
    const stranger = await authorityAt(T0, 365);
    const serving = await servingAt(T0, stranger, NAMES, 30);
    assertChange(plan(secretOf(authority, serving), T0 + DAY), 'issue-serving-certificate', /not issued by any CA/);
  });

  test('garbage in the serving entries: a clear reason, and a new serving certificate from the same CA', async () => {
    const { secret } = await healthy();
    const cases: [SecretFiles, RegExp][] = [
      [{ ...secret, 'tls.crt': 'garbage' }, /^tls\.crt holds no PEM certificate$/],
      [{ ...secret, 'tls.crt': undefined }, /^tls\.crt is missing$/],
      [
        { ...secret, 'tls.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        /^tls\.crt: certificate 1 does not parse/,
      ],
      [{ ...secret, 'tls.key': 'garbage' }, /^tls\.key is not a PEM private key/],
      [{ ...secret, 'tls.key': '' }, /^tls\.key is missing$/],
    ];
    for (const [broken, reason] of cases) {
      const change = assertChange(plan(broken, T0 + DAY), 'issue-serving-certificate', reason);
      assert.equal(change.newAuthority, false, 'the CA is fine, so it stays');
    }
  });

  test('garbage in the CA entries: a clear reason, a new CA and a new serving certificate', async () => {
    const { authority, secret } = await healthy();
    const stranger = await authorityAt(T0, 365);
    const leafAsCa = { ...secret, 'ca.crt': secret['tls.crt'], 'ca.key': secret['tls.key'] };
    const cases: [SecretFiles, RegExp][] = [
      [{ ...secret, 'ca.crt': 'garbage' }, /^ca\.crt holds no PEM certificate; making a new CA$/],
      [{ ...secret, 'ca.crt': undefined }, /^ca\.crt is missing; making a new CA$/],
      [{ ...secret, 'ca.key': 'garbage' }, /^ca\.key is not a PEM private key .*; making a new CA$/],
      [{ ...secret, 'ca.key': stranger.keyPem }, /^ca\.key does not belong to the first certificate in ca\.crt/],
      [leafAsCa, /^the first certificate in ca\.crt is not a CA certificate/],
    ];
    for (const [broken, reason] of cases) {
      const change = assertChange(plan(broken, T0 + DAY), 'create-authority', reason);
      assert.equal(change.newServingCertificate, true);
    }
    // A CA certificate that still parses stays trusted behind the new one, so its serving certificates keep
    // working until every replica has loaded the new pair.
    const lostKey = assertChange(plan({ ...secret, 'ca.key': 'garbage' }, T0 + DAY), 'create-authority');
    assert.deepEqual(lostKey.previousAuthorities, pemCertificates(authority.certPem));
    const unparsable = assertChange(plan({ ...secret, 'ca.crt': 'garbage' }, T0 + DAY), 'create-authority');
    assert.deepEqual(unparsable.previousAuthorities, []);
  });

  test('an expired CA is replaced outright', async () => {
    const authority = await authorityAt(T0, 10);
    const serving = await servingAt(T0, authority, NAMES, 30);
    const change = assertChange(plan(secretOf(authority, serving), T0 + 11 * DAY), 'create-authority', /CA expired/);
    assert.deepEqual(change.previousAuthorities, [], 'an expired CA is worth nothing in the bundle');
  });

  test('CA rotation: overlap bundle first, serving certificate switched once the webhooks trust it, old CA dropped when its certificates are gone', async () => {
    // Five-year CA: rotation is due after 3⅓ years. Its last serving certificate was issued just before.
    const issued = T0 + 3.3 * YEAR;
    const rotationDue = issued + 15 * DAY;
    const old = await authorityAt(T0, DEFAULT_VALIDITY.caDays, 'old CA');
    const oldServing = await servingAt(issued, old, NAMES, 30);
    const before = secretOf(old, oldServing);
    assert.deepEqual(plan(before, issued + DAY), { kind: 'keep' });

    // 1. A new CA joins the bundle in front of the old one; the serving pair stays as it is.
    const rotate = assertChange(
      plan(before, rotationDue),
      'rotate-authority',
      /the CA expires at .* less than a third/,
    );
    assert.equal(rotate.newAuthority, true);
    assert.equal(rotate.newServingCertificate, false);
    assert.deepEqual(rotate.previousAuthorities, pemCertificates(old.certPem));
    const rotated = await at(rotationDue, () => carryOut(rotate, before, REQUEST));
    const [newCa, oldCa] = pemCertificates(rotated['ca.crt']);
    assert.equal(oldCa, pemCertificates(old.certPem)[0]);
    assert.notEqual(newCa, oldCa);
    assert.equal(rotated['tls.crt'], oldServing.certPem);
    assert.equal(rotated['tls.key'], oldServing.keyPem);

    // 2. The webhooks still carry the old bundle: the serving certificate must not switch yet, and every
    // entry is due for the new bundle.
    const stale = trustingAll(old.certPem);
    assert.deepEqual(plan(rotated, rotationDue + 1000, { webhooks: stale }), { kind: 'keep' });
    assert.deepEqual(planCaBundle(rotated['ca.crt'], stale), [
      { index: 0, name: 'inject.podmcp.dev' },
      { index: 1, name: 'second.podmcp.dev' },
    ]);
    const halfway = [
      { name: 'inject.podmcp.dev', caBundle: rotated['ca.crt'] },
      { name: 'second.podmcp.dev', caBundle: old.certPem },
    ];
    assert.deepEqual(plan(rotated, rotationDue + 1000, { webhooks: halfway }), { kind: 'keep' });

    // 3. Every webhook trusts both CAs: now the serving certificate switches to the new CA, old CA kept.
    const switchOver = assertChange(plan(rotated, rotationDue + 2000), 'issue-serving-certificate', /previous CA/);
    assert.deepEqual(switchOver.previousAuthorities, [oldCa]);
    const switched = await at(rotationDue + 2000, () => carryOut(switchOver, rotated, REQUEST));
    assert.equal(switched['ca.crt'], rotated['ca.crt']);
    const leaf = new X509Certificate(switched['tls.crt']);
    assert.ok(leaf.checkIssued(new X509Certificate(newCa as string)));
    assert.deepEqual(plan(switched, rotationDue + DAY), { kind: 'keep' }, 'overlap: the old CA stays');

    // 4. The routine renewal at day 20 still keeps the old CA: a replica may not have loaded the switch yet.
    const renewal = assertChange(plan(switched, rotationDue + 21 * DAY), 'issue-serving-certificate', /a third/);
    assert.deepEqual(renewal.previousAuthorities, [oldCa]);
    const renewed = await at(rotationDue + 21 * DAY, () => carryOut(renewal, switched, REQUEST));

    // 5. One serving lifetime after the new CA was made no certificate of the old CA can be valid: it leaves.
    const overlapOver = rotationDue + 31 * DAY;
    const prune = assertChange(plan(renewed, overlapOver), 'prune-bundle', /1 previous CA/);
    assert.deepEqual(prune.previousAuthorities, []);
    const pruned = await at(overlapOver, () => carryOut(prune, renewed, REQUEST));
    assert.deepEqual(pemCertificates(pruned['ca.crt']), [newCa]);
    assert.equal(pruned['tls.crt'], renewed['tls.crt']);
    assert.equal(pruned['ca.key'], rotated['ca.key']);
    assert.deepEqual(plan(pruned, overlapOver + DAY), { kind: 'keep' });
  });

  test('a previous CA that still signs the served certificate is never pruned', async () => {
    const old = await authorityAt(T0, DEFAULT_VALIDITY.caDays, 'old CA');
    const replacement = await authorityAt(T0 + 3.4 * YEAR, DEFAULT_VALIDITY.caDays, 'new CA');
    const serving = await servingAt(T0 + 3.4 * YEAR, old, NAMES, 30);
    const secret = secretOf(replacement, serving, `${replacement.certPem}${old.certPem}`);
    // The webhooks never took the new bundle, so the switch is still pending long after the overlap.
    const result = plan(secret, T0 + 3.4 * YEAR + 25 * DAY, { webhooks: trustingAll(old.certPem) });
    assert.deepEqual(result, { kind: 'keep' });
  });
});

describe('planCaBundle', () => {
  test('lists exactly the entries whose caBundle differs, by index', () => {
    const webhooks: WebhookTrust[] = [
      { name: 'a', caBundle: 'BUNDLE' },
      { name: 'b', caBundle: undefined },
      { name: 'c', caBundle: 'OLD' },
      { name: 'd', caBundle: 'BUNDLE' },
    ];
    assert.deepEqual(planCaBundle('BUNDLE', webhooks), [
      { index: 1, name: 'b' },
      { index: 2, name: 'c' },
    ]);
    assert.deepEqual(planCaBundle('BUNDLE', []), []);
  });
});

describe('serviceDnsNames', () => {
  test('every name the API server may use for the Service', () => {
    assert.deepEqual(serviceDnsNames('svc', 'ns'), ['svc', 'svc.ns', 'svc.ns.svc', 'svc.ns.svc.cluster.local']);
  });
});
