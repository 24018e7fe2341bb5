/**
 * Self-signed TLS against a real API server, as the shipped ServiceAccount with exactly the shipped RBAC:
 * election, first issuance, hand-over, renewal, repair, and what a replica without the RBAC gets to do
 * (nothing, with errors that say why). The certificate managers run in this process, two or more at a time, as
 * replicas of the injector would; `podmcp webhook --self-signed` as a process: self-signed.test.ts.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, createServer } from 'node:tls';
import {
  AdmissionregistrationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { createWebhookCaBundles } from '../../packages/injector/src/self-signed/ca-bundle.ts';
import {
  type SelfSignedCertificates,
  type SelfSignedCertificatesOptions,
  startSelfSignedCertificates,
} from '../../packages/injector/src/self-signed/manager.ts';
import { serviceDnsNames } from '../../packages/injector/src/self-signed/plan.ts';
import type { LoadedCertificate } from '../../packages/injector/src/serving-certificate.ts';
import { createAll, eventually, serviceAccountToken } from '../control-plane/kube.ts';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { type Deployment, MANIFESTS, type MutatingWebhookConfiguration, render } from '../manifests/render.ts';

const { plane, skip } = await controlPlaneForSuite();

const SELF_SIGNED = 'podmcp-injector-self-signed';
const SECOND_WEBHOOK = 'second.podmcp.dev';
const SECONDS = 1 / 86_400;
const logger = pino({ level: process.env.PODMCP_TEST_LOG_LEVEL ?? 'silent' });

/** The self-signed settings exactly as the shipped Deployment passes them (flags with $(VAR) expanded). */
interface Settings {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly secretName: string;
  readonly webhookName: string;
  readonly serviceName: string;
  readonly leaseName: string;
}

function settingsOf(deployment: Deployment): Settings {
  const container = deployment.spec.template.spec.containers.find((candidate) => candidate.name === 'injector');
  const env = new Map((container?.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
  const flags = new Map(
    (container?.args ?? []).map((arg) => {
      const expanded = arg.replace(/\$\((\w+)\)/g, (_, name: string) => env.get(name) ?? '');
      const [flag, ...value] = expanded.split('=');
      return [flag, value.join('=')] as const;
    }),
  );
  const flag = (name: string) => {
    const value = flags.get(name);
    assert.ok(value, `the shipped Deployment passes ${name}`);
    return value;
  };
  assert.ok(flags.has('--self-signed'), 'the default overlay runs the self-signed mode');
  return {
    namespace: deployment.metadata.namespace ?? '',
    serviceAccount: deployment.spec.template.spec.serviceAccountName ?? '',
    secretName: flag('--tls-secret'),
    webhookName: flag('--webhook-name'),
    serviceName: flag('--service-name'),
    leaseName: flag('--lease-name'),
  };
}

interface Replica {
  readonly identity: string;
  readonly manager: SelfSignedCertificates;
  readonly installed: LoadedCertificate[];
  readonly errors: Error[];
}

function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((match) => match[0]);
}

function decode(data: Record<string, string> | undefined, key: string): string {
  return Buffer.from(data?.[key] ?? '', 'base64').toString('utf8');
}

describe('self-signed TLS on a real API server, with the shipped RBAC', { skip }, () => {
  let settings: Settings;
  let admin: KubeConfig;
  let asInjector: KubeConfig;
  const replicas: Replica[] = [];

  const core = () => admin.makeApiClient(CoreV1Api);
  const readSecret = () => core().readNamespacedSecret({ name: settings.secretName, namespace: settings.namespace });
  const readLease = () =>
    admin
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: settings.leaseName, namespace: settings.namespace });
  const readWebhooks = () =>
    admin.makeApiClient(AdmissionregistrationV1Api).readMutatingWebhookConfiguration({ name: settings.webhookName });
  const bundles = async () => ((await readWebhooks()).webhooks ?? []).map((webhook) => webhook.clientConfig.caBundle);

  async function tokenFor(serviceAccount: string): Promise<KubeConfig> {
    const token = await serviceAccountToken(admin, settings.namespace, serviceAccount);
    return plane?.kubeConfigForToken(token) as KubeConfig;
  }

  function start(
    identity: string,
    overrides: Partial<SelfSignedCertificatesOptions> = {},
    kubeConfig: KubeConfig = asInjector,
  ): Replica {
    const installed: LoadedCertificate[] = [];
    const errors: Error[] = [];
    const manager = startSelfSignedCertificates({
      kubeConfig,
      namespace: settings.namespace,
      secretName: settings.secretName,
      webhookName: settings.webhookName,
      serviceName: settings.serviceName,
      leaseName: settings.leaseName,
      identity,
      logger: logger.child({ replica: identity }),
      intervalMs: 300,
      // Long next to the interval: a hand-over that beats it proves the Lease was released, not waited out.
      leaseDurationSeconds: 10,
      onCertificate: (loaded) => installed.push(loaded),
      onError: (error) => errors.push(error),
      ...overrides,
    });
    const replica = { identity, manager, installed, errors };
    replicas.push(replica);
    return replica;
  }

  /** Whether the Secret holds a serving pair for the Service, issued by the first CA of ca.crt. */
  async function assertHealthySecret(): Promise<{ caCrt: string; tlsCrt: string; caKey: string }> {
    const secret = await readSecret();
    assert.equal(secret.type, 'kubernetes.io/tls');
    const caCrt = decode(secret.data, 'ca.crt');
    const tlsCrt = decode(secret.data, 'tls.crt');
    const caKey = decode(secret.data, 'ca.key');
    const authority = new X509Certificate(caCrt);
    const leaf = new X509Certificate(tlsCrt);
    assert.ok(authority.ca, 'ca.crt is a CA');
    assert.ok(authority.checkPrivateKey(createPrivateKey(caKey)), 'ca.key belongs to ca.crt');
    assert.ok(leaf.checkIssued(authority) && leaf.verify(authority.publicKey), 'tls.crt is signed by ca.crt');
    assert.ok(leaf.checkPrivateKey(createPrivateKey(decode(secret.data, 'tls.key'))), 'tls.key belongs to tls.crt');
    for (const name of serviceDnsNames(settings.serviceName, settings.namespace)) {
      assert.equal(leaf.checkHost(name), name, `tls.crt is valid for ${name}`);
    }
    return { caCrt, tlsCrt, caKey };
  }

  async function webhooksTrust(caCrt: string) {
    const expected = Buffer.from(caCrt).toString('base64');
    return eventually('every webhook to carry ca.crt as its caBundle', async () =>
      (await bundles()).every((bundle) => bundle === expected),
    );
  }

  before(async () => {
    if (!plane) return;
    admin = plane.kubeConfig;
    const rendered = render(join(MANIFESTS, 'overlays/default'));
    settings = settingsOf(rendered.one<Deployment>('Deployment', 'podmcp-injector'));
    const configuration = rendered.one<MutatingWebhookConfiguration>(
      'MutatingWebhookConfiguration',
      settings.webhookName,
    );
    const [shipped] = configuration.webhooks;
    assert.ok(shipped);
    // A second entry, so "every webhook" is tested as more than one.
    configuration.webhooks = [shipped, { ...structuredClone(shipped), name: SECOND_WEBHOOK }];
    const objects: KubernetesObject[] = [
      rendered.one('Namespace', settings.namespace),
      rendered.one('ServiceAccount', settings.serviceAccount),
      rendered.one('Role', SELF_SIGNED),
      rendered.one('RoleBinding', SELF_SIGNED),
      rendered.one('ClusterRole', SELF_SIGNED),
      rendered.one('ClusterRoleBinding', SELF_SIGNED),
      configuration as KubernetesObject,
    ];
    await createAll(admin, objects);
    asInjector = await tokenFor(settings.serviceAccount);
  });

  after(async () => {
    await Promise.all(replicas.map((replica) => replica.manager.stop()));
  });

  test('two replicas: one leads, creates the CA, the serving certificate and every caBundle; both serve it', async () => {
    const [a, b] = [start('injector-a'), start('injector-b')];
    await Promise.all([a.manager.ready, b.manager.ready]);
    const leaders = [a, b].filter((replica) => replica.manager.isLeader());
    assert.equal(leaders.length, 1, 'exactly one leader');
    assert.equal((await readLease()).spec?.holderIdentity, leaders[0]?.identity);

    const { caCrt, tlsCrt } = await assertHealthySecret();
    await webhooksTrust(caCrt);
    assert.equal((await bundles()).length, 2);
    for (const replica of [a, b]) {
      assert.deepEqual(
        replica.installed.map((loaded) => loaded.certPem),
        [tlsCrt],
        `${replica.identity} served the one certificate`,
      );
      assert.deepEqual(replica.errors, [], `${replica.identity} reported no error`);
    }

    // What the API server will do: connect to the Service's name and verify against the caBundle.
    const installed = a.installed[0] as LoadedCertificate;
    const server = createServer({ cert: installed.certPem, key: installed.keyPem });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          servername: `${settings.serviceName}.${settings.namespace}.svc`,
          ca: caCrt,
        });
        socket.once('secureConnect', () => {
          resolve(socket.authorized);
          socket.end();
        });
        socket.once('error', reject);
      });
      assert.equal(authorized, true);
    } finally {
      server.close();
    }
  });

  test('stopping the leader releases the Lease: the other replica takes over without waiting it out, certificate unchanged', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const [leader, follower] = a.manager.isLeader() ? [a, b] : [b, a];
    const secretBefore = await readSecret();
    const leaseBefore = await readLease();
    assert.equal(leaseBefore.spec?.holderIdentity, leader.identity);
    await leader.manager.stop();
    assert.equal(leader.manager.isLeader(), false);
    // Released by the time stop() returns: the Lease no longer names the stopped leader, so the follower need
    // not wait out its 10 s.
    const released = await readLease();
    assert.notEqual(released.spec?.holderIdentity, leader.identity, 'stop() released the Lease');
    await eventually('the follower to lead', () => follower.manager.isLeader());
    const taken = await readLease();
    assert.equal(taken.spec?.holderIdentity, follower.identity);
    assert.equal(
      taken.spec?.leaseTransitions,
      (leaseBefore.spec?.leaseTransitions ?? 0) + 1,
      'one hand-over, from the leader to the follower',
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    const secretAfter = await readSecret();
    assert.equal(secretAfter.metadata?.resourceVersion, secretBefore.metadata?.resourceVersion, 'nothing reissued');
    await follower.manager.stop();
  });

  test('a short serving validity: the certificate is renewed and reloaded by every replica, the CA stays', async () => {
    const before = await assertHealthySecret();
    const short = { validity: { servingDays: 3 * SECONDS } };
    const [c, d] = [start('injector-c', short), start('injector-d', short)];
    const shortLived = (replica: Replica) =>
      replica.installed.filter((loaded) => loaded.notAfter.getTime() - Date.now() < 60_000);
    // The 30-day certificate is replaced at once (the setting is shorter), then renewed every ~2 s.
    await eventually('two short-lived certificates on both replicas', () =>
      [c, d].every((replica) => new Set(shortLived(replica).map((loaded) => loaded.certPem)).size >= 2),
    );
    const after = await assertHealthySecret();
    assert.equal(after.caCrt, before.caCrt, 'the CA stays');
    assert.equal(after.caKey, before.caKey, 'the CA key stays');
    await webhooksTrust(before.caCrt);
    const authority = new X509Certificate(before.caCrt);
    for (const replica of [c, d]) {
      for (const loaded of shortLived(replica)) {
        assert.ok(new X509Certificate(loaded.certPem).checkIssued(authority), 'each renewal comes from the same CA');
      }
      assert.deepEqual(replica.errors, []);
    }
    await Promise.all([c.manager.stop(), d.manager.stop()]);
  });

  test('garbage in the Secret is repaired with a new CA, and never served', async () => {
    const old = await assertHealthySecret();
    const secret = await readSecret();
    const garbage = (text: string) => Buffer.from(text).toString('base64');
    secret.data = {
      'tls.crt': garbage('not a certificate'),
      'tls.key': garbage('not a key'),
      'ca.crt': garbage('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      'ca.key': garbage('nope'),
    };
    await core().replaceNamespacedSecret({ name: settings.secretName, namespace: settings.namespace, body: secret });

    const e = start('injector-e');
    await e.manager.ready;
    const repaired = await eventually('a repaired Secret', async () => {
      try {
        return await assertHealthySecret();
      } catch {
        return undefined;
      }
    });
    assert.notEqual(repaired.caCrt, old.caCrt, 'a new CA: the old key is gone');
    await webhooksTrust(repaired.caCrt);
    await eventually('the repaired certificate to be served', () => e.installed.at(-1)?.certPem === repaired.tlsCrt);
    for (const loaded of e.installed) assert.doesNotThrow(() => new X509Certificate(loaded.certPem));
    await e.manager.stop();
  });

  test('CA rotation: the webhooks trust the new CA before any replica serves a certificate it signed', async () => {
    const before = await assertHealthySecret();
    const oldAuthority = new X509Certificate(before.caCrt);
    // Polls like an API server would care: a Secret whose serving certificate the webhooks (read after it,
    // so at least as current) do not trust would be an outage.
    const seen = { untrusted: 0, overlapBeforeSwitch: 0 };
    let observing = true;
    const observer = (async () => {
      while (observing) {
        const secret = await readSecret();
        const webhookBundles = await bundles();
        const leaf = new X509Certificate(decode(secret.data, 'tls.crt'));
        const trusted = webhookBundles.every((bundle) =>
          pemBlocks(Buffer.from(bundle ?? '', 'base64').toString()).some((pem) =>
            leaf.checkIssued(new X509Certificate(pem)),
          ),
        );
        if (!trusted) seen.untrusted++;
        const bundleHasNewCa = webhookBundles.every(
          (bundle) => pemBlocks(Buffer.from(bundle ?? '', 'base64').toString()).length === 2,
        );
        if (bundleHasNewCa && leaf.checkIssued(oldAuthority)) seen.overlapBeforeSwitch++;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();

    // A CA validity far below the current CA's makes it due for rotation at once.
    const rotating = { validity: { caDays: 60 * SECONDS } };
    const [f, g] = [start('injector-f', rotating), start('injector-g', rotating)];
    const newAuthority = (loaded: LoadedCertificate) => !new X509Certificate(loaded.certPem).checkIssued(oldAuthority);
    await eventually('both replicas to serve a certificate from the new CA', () =>
      [f, g].every((replica) => replica.installed.some(newAuthority)),
    );
    observing = false;
    await observer;

    const after = await assertHealthySecret();
    const [current, previous] = pemBlocks(after.caCrt);
    assert.equal(pemBlocks(after.caCrt).length, 2, 'ca.crt holds the new CA and, behind it, the old one');
    assert.equal(previous, pemBlocks(before.caCrt)[0]);
    assert.notEqual(current, previous);
    assert.notEqual(after.caKey, before.caKey, 'ca.key is the new CA key');
    await webhooksTrust(after.caCrt);
    assert.equal(seen.untrusted, 0, 'no moment where the Secret served a certificate the webhooks did not trust');
    assert.ok(seen.overlapBeforeSwitch > 0, 'the webhooks trusted both CAs while the old serving certificate stayed');
    await Promise.all([f.manager.stop(), g.manager.stop()]);
  });

  test('a ServiceAccount without the RBAC: 403 errors naming verb and resource, and nothing written', async () => {
    await core().createNamespacedServiceAccount({
      namespace: settings.namespace,
      body: { metadata: { name: 'podmcp-unbound' } },
    });
    const before = await Promise.all([readSecret(), readLease(), readWebhooks()]);
    const intruder = start('intruder', {}, await tokenFor('podmcp-unbound'));
    let ready = false;
    intruder.manager.ready.then(
      () => {
        ready = true;
      },
      () => {},
    );
    await eventually('two rounds of errors', () => intruder.errors.length >= 4);
    await intruder.manager.stop();

    assert.equal(ready, false);
    assert.equal(intruder.manager.isLeader(), false);
    await assert.rejects(intruder.manager.ready, /stopped before a certificate was installed/);
    for (const error of intruder.errors) assert.equal((error as { code?: number }).code, 403, error.message);
    const messages = intruder.errors.map((error) => error.message).join('\n');
    assert.match(
      messages,
      /cannot get Lease podmcp-system\/podmcp-injector-cert: HTTP 403 Forbidden: .*cannot get resource "leases" in API group "coordination\.k8s\.io"/,
    );
    assert.match(
      messages,
      /cannot get Secret podmcp-system\/podmcp-injector-tls: HTTP 403 Forbidden: .*cannot get resource "secrets"/,
    );
    const afterwards = await Promise.all([readSecret(), readLease(), readWebhooks()]);
    assert.deepEqual(
      afterwards.map((object) => object.metadata?.resourceVersion),
      before.map((object) => object.metadata?.resourceVersion),
      'the Secret, the Lease and the webhook configuration are untouched',
    );
  });

  test('without the ClusterRole the leader writes no Secret: it cannot publish a CA, so it makes none', async () => {
    await core().createNamespacedServiceAccount({
      namespace: settings.namespace,
      body: { metadata: { name: 'podmcp-partial' } },
    });
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: settings.namespace,
      body: {
        metadata: { name: 'podmcp-partial' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SELF_SIGNED },
        subjects: [{ kind: 'ServiceAccount', name: 'podmcp-partial', namespace: settings.namespace }],
      },
    });
    await core().deleteNamespacedSecret({ name: settings.secretName, namespace: settings.namespace });
    const partial = start('partial', {}, await tokenFor('podmcp-partial'));
    await eventually('a forbidden read of the webhook configuration', () =>
      partial.errors.some((error) =>
        /cannot get MutatingWebhookConfiguration podmcp-injector: HTTP 403/.test(error.message),
      ),
    );
    assert.equal(partial.manager.isLeader(), true, 'the Role alone is enough to lead');
    await assert.rejects(readSecret(), (error: { code?: number }) => error.code === 404);
    await partial.manager.stop();
    assert.equal((await readLease()).spec?.holderIdentity, '', 'released on stop');
  });

  test('a caBundle patch aimed at an entry that moved writes nothing', async () => {
    const before = await readWebhooks();
    const caBundles = createWebhookCaBundles({ kubeConfig: admin, name: settings.webhookName });
    const result = await caBundles.publish('BUNDLE', [{ index: 0, name: SECOND_WEBHOOK }]);
    assert.equal(result, 'changed');
    assert.equal((await readWebhooks()).metadata?.resourceVersion, before.metadata?.resourceVersion);
  });
});
