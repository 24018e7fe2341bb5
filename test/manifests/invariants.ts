/**
 * What every rendered installation of the injector must satisfy, as a table of named checks. The checks
 * never use literal object names: they follow references from the rendered objects (webhook → Service →
 * Deployment → ConfigMap/Secret, binding → role), so they hold under any namespace or namePrefix, and they
 * catch a reference that did not follow one.
 */
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type {
  Binding,
  Certificate,
  ConfigMap,
  Container,
  Deployment,
  Issuer,
  LabelSelector,
  MutatingWebhookConfiguration,
  NetworkPolicy,
  PodDisruptionBudget,
  PolicyRule,
  Rendered,
  Role,
  SecurityContext,
  Service,
  Webhook,
} from './render.ts';

export type TlsMode = 'self-signed' | 'cert-manager';

/** What an installation is expected to be. */
export interface Install {
  readonly namespace: string;
  readonly tls: TlsMode;
}

export interface Invariant {
  readonly name: string;
  readonly check: (r: Rendered, install: Install) => void;
}

export const INJECT_ANNOTATION = 'podmcp.dev/inject';
export const OPT_OUT_LABEL = 'podmcp.dev/injection';
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);
const READ_VERBS = new Set(['get', 'list', 'watch']);
const SIDECAR_LABEL = 'podmcp-sidecar';

/** What the four sidecar actions need on top of the read-only role; nothing more may be granted. */
export const SIDECAR_ACTION_GRANTS = [
  'apps/deployments:patch', // restart_deployment, rollback_deployment
  'apps/deployments/scale:patch', // scale_workload
  'apps/statefulsets/scale:patch', // scale_workload
  '/pods:delete', // delete_pod
  '/events:create', // audit Events for every action
  'events.k8s.io/events:create',
];

// ---------------------------------------------------------------------------------------------- lookups

export function webhookConfiguration(r: Rendered): MutatingWebhookConfiguration {
  return r.one<MutatingWebhookConfiguration>('MutatingWebhookConfiguration');
}

export function webhook(r: Rendered): Webhook {
  const webhooks = webhookConfiguration(r).webhooks;
  assert.equal(webhooks.length, 1, 'exactly one webhook');
  return webhooks[0] as Webhook;
}

/** The Service the webhook calls. */
export function webhookService(r: Rendered): Service {
  const ref = webhook(r).clientConfig.service;
  assert.ok(ref, 'the webhook calls a Service (clientConfig.service), not a URL');
  const service = r.find<Service>('Service', ref.name);
  assert.ok(service, `the webhook's Service ${ref.name} is rendered`);
  return service;
}

/** The Deployment behind the webhook's Service. */
export function injectorDeployment(r: Rendered): Deployment {
  const service = webhookService(r);
  const matching = r
    .all<Deployment>('Deployment')
    .filter((d) => selects({ matchLabels: service.spec.selector }, d.spec.template.metadata.labels ?? {}));
  assert.equal(matching.length, 1, `exactly one Deployment behind Service ${service.metadata.name}`);
  return matching[0] as Deployment;
}

/** The container that serves the webhook (its first argument is the `webhook` subcommand). */
export function injectorContainer(r: Rendered): Container {
  const containers = injectorDeployment(r).spec.template.spec.containers.filter((c) => c.args?.[0] === 'webhook');
  assert.equal(containers.length, 1, 'exactly one container runs `webhook`');
  return containers[0] as Container;
}

/** The container's args with $(VAR) references expanded from its literal env values, as the kubelet does. */
export function expandedArgs(container: Container): string[] {
  const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
  return (container.args ?? []).map((arg) =>
    arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env.get(name) ?? whole),
  );
}

export function flag(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function containerPort(container: Container, name: string): number {
  const port = container.ports?.find((p) => p.name === name)?.containerPort;
  assert.ok(port !== undefined, `container ${container.name} has a port named ${name}`);
  return port;
}

function volume(r: Rendered, mountPath: string) {
  const container = injectorContainer(r);
  const mount = container.volumeMounts?.find((m) => m.mountPath === mountPath);
  assert.ok(mount, `something is mounted at ${mountPath}`);
  const found = injectorDeployment(r).spec.template.spec.volumes?.find((v) => v.name === mount.name);
  assert.ok(found, `volume ${mount.name} exists`);
  return { mount, volume: found };
}

/** Whether a label selector matches a set of labels (matchLabels and matchExpressions). */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key] as string);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key] as string);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabels && byExpressions;
}

/** Values of the NotIn expressions on `key`. */
function notIn(selector: LabelSelector | undefined, key: string): string[] {
  return (selector?.matchExpressions ?? [])
    .filter((e) => e.key === key && e.operator === 'NotIn')
    .flatMap((e) => e.values ?? []);
}

/** `group/resource:verb` (plus `@name` when restricted by resourceNames) for every grant of the rules. */
export function grants(rules: readonly PolicyRule[] = []): string[] {
  return rules.flatMap((rule) =>
    (rule.apiGroups ?? ['']).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) =>
        rule.verbs.flatMap((verb) =>
          rule.resourceNames === undefined || rule.resourceNames.length === 0
            ? [`${group}/${resource}:${verb}`]
            : rule.resourceNames.map((name) => `${group}/${resource}:${verb}@${name}`),
        ),
      ),
    ),
  );
}

function grantsOnSecrets(rules: readonly PolicyRule[] = []): PolicyRule[] {
  return rules.filter(
    (rule) =>
      (rule.apiGroups ?? []).some((g) => g === '' || g === '*') &&
      (rule.resources ?? []).some((res) => res === 'secrets' || res === '*'),
  );
}

function sidecarRole(r: Rendered, suffix: 'read-only' | 'read-write'): Role {
  const roles = r
    .all<Role>('ClusterRole')
    .filter((role) => role.metadata.labels?.['app.kubernetes.io/name'] === SIDECAR_LABEL)
    .filter((role) => role.metadata.name.endsWith(`podmcp-sidecar-${suffix}`));
  assert.equal(roles.length, 1, `exactly one sidecar ClusterRole *podmcp-sidecar-${suffix}`);
  return roles[0] as Role;
}

/** The effective security context of a container: its own fields over the pod's. */
function effectiveSecurityContext(pod: SecurityContext | undefined, container: SecurityContext | undefined) {
  return { ...pod, ...container };
}

// ------------------------------------------------------------------------------------------- the checks

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'every namespaced object is in the install namespace, and nothing else has one',
    check(r, { namespace }) {
      for (const o of r.objects) {
        const where = `${o.kind} ${o.metadata.name}`;
        if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${where} is cluster-scoped`);
        else assert.equal(o.metadata.namespace, namespace, `${where} namespace`);
      }
    },
  },
  {
    name: 'the install namespace exists, is excluded from injection and enforces Pod Security "restricted"',
    check(r, { namespace }) {
      const ns = r.one('Namespace', namespace);
      assert.equal(ns.metadata.labels?.[OPT_OUT_LABEL], 'disabled');
      assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    },
  },
  {
    name: 'exactly one MutatingWebhookConfiguration with one webhook, and no caBundle',
    check(r) {
      const config = webhookConfiguration(r);
      assert.equal(config.webhooks.length, 1);
      for (const w of config.webhooks) assert.equal(w.clientConfig.caBundle, undefined, `${w.name} has a caBundle`);
      assert.ok(!r.text.includes('caBundle'), 'caBundle appears somewhere in the build');
    },
  },
  {
    name: 'the webhook intercepts pod CREATE only',
    check(r) {
      assert.deepEqual(webhook(r).rules, [
        { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
      ]);
    },
  },
  {
    name: `matchConditions only let pods annotated ${INJECT_ANNOTATION} (other than "false") through`,
    check(r) {
      const conditions = webhook(r).matchConditions ?? [];
      assert.ok(conditions.length > 0, 'matchConditions present');
      const all = conditions.map((c) => c.expression).join(' && ');
      assert.match(all, new RegExp(`'${INJECT_ANNOTATION.replaceAll('.', '\\.')}' in object\\.metadata\\.annotations`));
      assert.match(all, /has\(object\.metadata\.annotations\)/, 'guards against pods without annotations');
      assert.match(all, /!= 'false'/, 'lets every value but "false" through (typos are denied, not ignored)');
    },
  },
  {
    name: 'namespaceSelector excludes the system namespaces, the install namespace and the opt-out label',
    check(r, { namespace }) {
      const selector = webhook(r).namespaceSelector;
      const excluded = notIn(selector, 'kubernetes.io/metadata.name');
      for (const ns of [...SYSTEM_NAMESPACES, namespace]) assert.ok(excluded.includes(ns), `${ns} is excluded`);
      assert.ok(notIn(selector, OPT_OUT_LABEL).includes('disabled'), `${OPT_OUT_LABEL}: disabled is excluded`);
      assert.ok(!r.text.includes('INJECTOR_NAMESPACE'), 'a placeholder was left in the build');
    },
  },
  {
    name: "objectSelector excludes the injector's own pods",
    check(r) {
      const podLabels = injectorDeployment(r).spec.template.metadata.labels ?? {};
      assert.ok(podLabels['app.kubernetes.io/name'], 'injector pods carry app.kubernetes.io/name');
      assert.ok(!selects(webhook(r).objectSelector ?? {}, podLabels), 'the objectSelector matches the injector pods');
    },
  },
  {
    name: 'failure, side-effect, timeout and reinvocation policies',
    check(r) {
      const w = webhook(r);
      assert.equal(w.failurePolicy, 'Fail');
      assert.ok(['None', 'NoneOnDryRun'].includes(w.sideEffects), `sideEffects ${w.sideEffects}`);
      assert.ok((w.timeoutSeconds ?? 10) <= 5, `timeoutSeconds ${w.timeoutSeconds} > 5`);
      assert.equal(w.reinvocationPolicy, 'IfNeeded');
      assert.equal(w.matchPolicy, 'Equivalent');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
    },
  },
  {
    name: "the webhook calls the rendered Service on 443 /mutate, which reaches the injector's webhook port",
    check(r, { namespace }) {
      const ref = webhook(r).clientConfig.service;
      const service = webhookService(r);
      assert.equal(ref?.namespace, service.metadata.namespace);
      assert.equal(ref?.namespace, namespace);
      assert.equal(ref?.port, 443);
      assert.equal(ref?.path, '/mutate');
      const port = service.spec.ports.find((p) => p.port === 443);
      assert.ok(port, 'the Service exposes 443');
      const container = injectorContainer(r);
      const webhookPort = containerPort(container, 'webhook');
      assert.ok(
        [webhookPort, 'webhook'].includes(port.targetPort ?? port.port),
        'Service 443 targets the webhook port',
      );
      assert.equal(flag(container.args ?? [], 'port'), String(webhookPort), '--port is the webhook containerPort');
    },
  },
  {
    name: 'highly available: at least 2 replicas, spread over nodes, guarded by a PDB',
    check(r) {
      const deployment = injectorDeployment(r);
      assert.ok((deployment.spec.replicas ?? 1) >= 2, `replicas ${deployment.spec.replicas}`);
      const podLabels = deployment.spec.template.metadata.labels ?? {};
      const spread = deployment.spec.template.spec.topologySpreadConstraints ?? [];
      assert.ok(
        spread.some((c) => c.topologyKey === 'kubernetes.io/hostname' && selects(c.labelSelector ?? {}, podLabels)),
        'topologySpreadConstraints across hostnames',
      );
      const antiAffinity = deployment.spec.template.spec.affinity?.podAntiAffinity;
      assert.ok((antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length > 0, 'podAntiAffinity');
      const pdbs = r.all<PodDisruptionBudget>('PodDisruptionBudget').filter((p) => selects(p.spec.selector, podLabels));
      assert.equal(pdbs.length, 1, 'exactly one PDB selects the injector pods');
      assert.ok(Number((pdbs[0] as PodDisruptionBudget).spec.minAvailable) >= 1, 'the PDB keeps one replica up');
    },
  },
  {
    name: 'every container runs under the restricted Pod Security Standard',
    check(r) {
      for (const deployment of r.all<Deployment>('Deployment')) {
        const pod = deployment.spec.template.spec;
        assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, 'no host namespaces');
        assert.ok(!(pod.volumes ?? []).some((v) => v.hostPath), 'no hostPath volumes');
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          const sc = effectiveSecurityContext(pod.securityContext, container.securityContext);
          const where = `${deployment.metadata.name}/${container.name}`;
          assert.equal(sc.runAsNonRoot, true, `${where} runAsNonRoot`);
          assert.ok(sc.runAsUser !== undefined && sc.runAsUser !== 0, `${where} runAsUser non-zero`);
          assert.notEqual(sc.privileged, true, `${where} privileged`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${where} allowPrivilegeEscalation`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${where} readOnlyRootFilesystem`);
          assert.ok(sc.capabilities?.drop?.includes('ALL'), `${where} drops ALL capabilities`);
          assert.deepEqual(sc.capabilities?.add ?? [], [], `${where} adds no capabilities`);
          assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${where} seccompProfile`);
          assert.ok(container.resources?.requests && container.resources.limits?.memory, `${where} resources`);
        }
      }
    },
  },
  {
    name: 'probes, admin port, NetworkPolicy and Service all line up with the container ports',
    check(r) {
      const container = injectorContainer(r);
      const adminPort = containerPort(container, 'admin');
      const webhookPort = containerPort(container, 'webhook');
      assert.equal(flag(container.args ?? [], 'admin-port'), String(adminPort));
      assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'admin' });
      assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'admin' });
      assert.ok(
        webhookService(r).spec.ports.some((p) => p.targetPort === 'admin'),
        'the Service exposes admin',
      );
      const podLabels = injectorDeployment(r).spec.template.metadata.labels ?? {};
      const policies = r.all<NetworkPolicy>('NetworkPolicy').filter((p) => selects(p.spec.podSelector, podLabels));
      assert.equal(policies.length, 1, 'one NetworkPolicy selects the injector pods');
      const ingress = (policies[0] as NetworkPolicy).spec.ingress ?? [];
      for (const port of [webhookPort, adminPort]) {
        assert.ok(
          ingress.some((rule) => rule.from === undefined && (rule.ports ?? []).some((p) => p.port === port)),
          `ingress to ${port} from anywhere`,
        );
      }
    },
  },
  {
    name: 'the injector configuration is mounted, valid, and names the injector image as the sidecar image',
    check(r) {
      const container = injectorContainer(r);
      const path = flag(container.args ?? [], 'config');
      assert.equal(path, '/etc/podmcp/injector.yaml');
      const { mount, volume: configVolume } = volume(r, path);
      const configMap = r.find<ConfigMap>('ConfigMap', configVolume.configMap?.name ?? '');
      assert.ok(configMap, 'the mounted ConfigMap is rendered');
      const text = configMap.data?.[mount.subPath ?? 'injector.yaml'];
      assert.ok(text, 'the ConfigMap has injector.yaml');
      const config = parse(text) as { sidecar?: { image?: string }; allowedImages?: string[]; nativeSidecars?: string };
      assert.equal(config.sidecar?.image, container.image, 'sidecar.image equals the injector image');
      assert.ok(['auto', 'always', 'never'].includes(config.nativeSidecars ?? 'auto'));
    },
  },
  {
    name: 'RBAC: every binding resolves to a rendered role and the injector ServiceAccount; no wildcards',
    check(r, { namespace }) {
      const serviceAccount = injectorDeployment(r).spec.template.spec.serviceAccountName;
      assert.ok(serviceAccount && r.find('ServiceAccount', serviceAccount), 'the injector ServiceAccount is rendered');
      for (const binding of [...r.all<Binding>('RoleBinding'), ...r.all<Binding>('ClusterRoleBinding')]) {
        const where = `${binding.kind} ${binding.metadata.name}`;
        assert.ok(r.find(binding.roleRef.kind, binding.roleRef.name), `${where}: ${binding.roleRef.name} is rendered`);
        for (const subject of binding.subjects ?? []) {
          assert.equal(subject.kind, 'ServiceAccount', where);
          assert.equal(subject.name, serviceAccount, `${where} binds the injector ServiceAccount`);
          assert.equal(subject.namespace, namespace, `${where} subject namespace`);
        }
      }
      for (const role of [...r.all<Role>('Role'), ...r.all<Role>('ClusterRole')]) {
        for (const grant of grants(role.rules)) assert.ok(!grant.includes('*'), `${role.metadata.name}: ${grant}`);
      }
    },
  },
  {
    name: 'no ClusterRole grants secrets; Roles only on named Secrets (create excepted)',
    check(r, { namespace }) {
      for (const role of r.all<Role>('ClusterRole')) {
        assert.deepEqual(grantsOnSecrets(role.rules), [], `ClusterRole ${role.metadata.name} grants secrets`);
      }
      for (const role of r.all<Role>('Role')) {
        for (const rule of grantsOnSecrets(role.rules)) {
          assert.equal(role.metadata.namespace, namespace);
          const unrestricted = rule.verbs.filter((v) => v !== 'create');
          if (unrestricted.length > 0) assert.ok(rule.resourceNames?.length, `${role.metadata.name}: ${unrestricted}`);
        }
      }
    },
  },
  {
    name: 'the sidecar read-only ClusterRole only reads, and never secrets',
    check(r) {
      const role = sidecarRole(r, 'read-only');
      for (const grant of grants(role.rules)) {
        const verb = grant.split(':')[1] as string;
        assert.ok(READ_VERBS.has(verb), `read-only grants ${grant}`);
        assert.ok(!grant.startsWith('/secrets'), `read-only grants ${grant}`);
      }
      assert.deepEqual(grantsOnSecrets(role.rules), []);
    },
  },
  {
    name: 'the sidecar read-write ClusterRole is read-only plus exactly what the four actions need',
    check(r) {
      const readOnly = new Set(grants(sidecarRole(r, 'read-only').rules));
      const readWrite = new Set(grants(sidecarRole(r, 'read-write').rules));
      for (const grant of readOnly) assert.ok(readWrite.has(grant), `read-write lacks ${grant}`);
      const extra = [...readWrite].filter((g) => !readOnly.has(g)).sort();
      assert.deepEqual(extra, [...SIDECAR_ACTION_GRANTS].sort());
    },
  },
  {
    name: 'TLS: exactly one mode, wired to the rendered names',
    check(r, install) {
      const args = injectorContainer(r).args ?? [];
      assert.equal(args.includes('--self-signed'), install.tls === 'self-signed', '--self-signed arg');
      assert.equal(r.all('Certificate').length > 0, install.tls === 'cert-manager', 'Certificates');
      if (install.tls === 'self-signed') checkSelfSigned(r, install);
      else checkCertManager(r, install);
    },
  },
];

// ------------------------------------------------------------------------------------------ TLS modes

/** The injector makes its own CA and serving certificate; every name it needs follows the rendered names. */
export function checkSelfSigned(r: Rendered, { namespace }: Install): void {
  const container = injectorContainer(r);
  const args = expandedArgs(container);
  const config = webhookConfiguration(r);
  const service = webhookService(r);
  assert.equal(flag(args, 'webhook-name'), config.metadata.name, '--webhook-name');
  assert.equal(flag(args, 'service-name'), service.metadata.name, '--service-name');
  const secret = flag(args, 'tls-secret');
  const lease = flag(args, 'lease-name');
  assert.ok(secret && lease, '--tls-secret and --lease-name');
  assert.ok(
    container.env?.some((e) => e.name === 'POD_NAMESPACE'),
    'the namespace comes from POD_NAMESPACE',
  );

  const tls = volume(r, '/etc/podmcp/tls');
  assert.equal(tls.volume.secret?.secretName, secret, 'the mounted Secret is the one the injector writes');
  assert.equal(tls.volume.secret?.optional, true, 'the pod starts before the injector created its Secret');
  assert.equal(flag(args, 'tls-cert'), '/etc/podmcp/tls/tls.crt');

  const serviceAccount = injectorDeployment(r).spec.template.spec.serviceAccountName;
  const bound = (kind: 'Role' | 'ClusterRole') =>
    r
      .all<Binding>(kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding')
      .filter((b) => b.roleRef.kind === kind && b.subjects?.some((s) => s.name === serviceAccount))
      .flatMap((b) => grants(r.one<Role>(kind, b.roleRef.name).rules));
  const namespaced = bound('Role');
  for (const verb of ['get', 'update', 'patch']) assert.ok(namespaced.includes(`/secrets:${verb}@${secret}`), verb);
  assert.ok(namespaced.includes('/secrets:create'), 'create secrets (cannot be restricted by name)');
  for (const verb of ['get', 'update']) {
    assert.ok(namespaced.includes(`coordination.k8s.io/leases:${verb}@${lease}`), `${verb} lease`);
  }
  assert.ok(namespaced.includes('coordination.k8s.io/leases:create'), 'create leases');
  for (const role of r.all<Role>('Role')) assert.equal(role.metadata.namespace, namespace);

  const clusterWide = bound('ClusterRole').filter((g) => g.includes('mutatingwebhookconfigurations'));
  assert.deepEqual(clusterWide.sort(), [
    `admissionregistration.k8s.io/mutatingwebhookconfigurations:get@${config.metadata.name}`,
    `admissionregistration.k8s.io/mutatingwebhookconfigurations:patch@${config.metadata.name}`,
  ]);
}

/** cert-manager issues the serving certificate for the rendered Service and injects its CA. */
export function checkCertManager(r: Rendered, { namespace }: Install): void {
  const args = expandedArgs(injectorContainer(r));
  const tls = volume(r, '/etc/podmcp/tls');
  assert.notEqual(tls.volume.secret?.optional, true, 'the pod waits for cert-manager to issue the Secret');
  assert.equal(flag(args, 'tls-cert'), '/etc/podmcp/tls/tls.crt');
  assert.equal(flag(args, 'tls-key'), '/etc/podmcp/tls/tls.key');

  const serving = r.all<Certificate>('Certificate').filter((c) => c.spec.secretName === tls.volume.secret?.secretName);
  assert.equal(serving.length, 1, 'one Certificate issues the mounted Secret');
  const certificate = serving[0] as Certificate;
  const service = webhookService(r);
  const host = `${service.metadata.name}.${namespace}.svc`;
  assert.deepEqual(certificate.spec.dnsNames, [host, `${host}.cluster.local`]);
  assert.equal(
    webhookConfiguration(r).metadata.annotations?.['cert-manager.io/inject-ca-from'],
    `${namespace}/${certificate.metadata.name}`,
  );

  // The issuer chain resolves: serving ← CA Issuer ← CA Certificate ← self-signed Issuer.
  const issuer = r.one<Issuer>('Issuer', certificate.spec.issuerRef.name);
  const caSecret = issuer.spec.ca?.secretName;
  assert.ok(caSecret, 'the serving certificate is signed by a CA Issuer');
  const ca = r.all<Certificate>('Certificate').find((c) => c.spec.secretName === caSecret);
  assert.ok(ca?.spec.isCA, 'a CA Certificate fills the CA Issuer');
  assert.ok(r.one<Issuer>('Issuer', ca.spec.issuerRef.name).spec.selfSigned, 'the CA is self-signed');
}
