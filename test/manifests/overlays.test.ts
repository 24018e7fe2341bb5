/**
 * Renders every overlay under manifests/overlays with `kubectl kustomize` and checks the invariants of
 * invariants.ts on each; then re-renders each overlay into another namespace (with a namePrefix) to prove
 * that every reference follows, and checks the optional components and the per-namespace sidecar RBAC.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkCertManager,
  INVARIANTS,
  type Install,
  type Invariant,
  injectorContainer,
  type TlsMode,
  webhook,
} from './invariants.ts';
import {
  type Binding,
  type K8sObject,
  MANIFESTS,
  type Rendered,
  readKustomization,
  render,
  Scratch,
} from './render.ts';

const OVERLAYS_DIR = join(MANIFESTS, 'overlays');
const DEFAULT_NAMESPACE = 'podmcp-system';
const OTHER_NAMESPACE = 'other-ns';
const PREFIX = 'team-';

interface Overlay {
  readonly name: string;
  readonly dir: string;
  readonly install: Install;
  /** The overlay's `transformers:` entries, absolute. */
  readonly wiring: readonly string[];
}

function readOverlay(name: string): Overlay {
  const dir = join(OVERLAYS_DIR, name);
  const kustomization = readKustomization(dir);
  const components = ((kustomization.components ?? []) as string[]).map((c) => resolve(dir, c));
  const modes = (['self-signed', 'cert-manager'] as const).filter((mode) =>
    components.includes(join(MANIFESTS, 'components', mode)),
  );
  assert.equal(modes.length, 1, `overlay ${name} picks exactly one TLS component`);
  return {
    name,
    dir,
    install: { namespace: kustomization.namespace as string, tls: modes[0] as TlsMode },
    wiring: ((kustomization.transformers ?? []) as string[]).map((t) => resolve(dir, t)),
  };
}

const overlays = readdirSync(OVERLAYS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => readOverlay(entry.name));

/** Renders once per directory; a failed build fails every test that needs it, with kustomize's message. */
const cache = new Map<string, Rendered>();
function rendered(dir: string): Rendered {
  let result = cache.get(dir);
  if (result === undefined) {
    result = render(dir);
    cache.set(dir, result);
  }
  return result;
}

const scratch = new Scratch();
after(() => scratch.cleanup());

function checkAll(dir: string, install: Install): void {
  for (const invariant of INVARIANTS) {
    test(invariant.name, () => invariant.check(rendered(dir), install));
  }
}

test('the default and cert-manager overlays exist, and every overlay installs into podmcp-system', () => {
  for (const name of ['default', 'cert-manager'])
    assert.ok(
      overlays.some((o) => o.name === name),
      name,
    );
  for (const overlay of overlays) assert.equal(overlay.install.namespace, DEFAULT_NAMESPACE, overlay.name);
  assert.equal(overlays.find((o) => o.name === 'default')?.install.tls, 'self-signed');
});

test('the base is namespace-agnostic', () => {
  const base = render(join(MANIFESTS, 'base'));
  for (const o of base.objects) assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
  assert.ok(!readKustomization(join(MANIFESTS, 'base')).namespace, 'no namespace: in the base');
});

for (const overlay of overlays) {
  describe(`overlay ${overlay.name}`, () => {
    test('builds', () => {
      assert.ok(rendered(overlay.dir).objects.length > 0);
    });
    checkAll(overlay.dir, overlay.install);
  });
}

test("injector.yaml is accepted by the injector's own configuration parser", async () => {
  const { parseInjectorConfig } = await import('../../packages/injector/src/config.ts');
  for (const overlay of overlays) {
    const r = rendered(overlay.dir);
    const configMap = r.one<K8sObject & { data: Record<string, string> }>('ConfigMap');
    const config = parseInjectorConfig(configMap.data['injector.yaml'] ?? '', `${overlay.name} injector.yaml`);
    assert.equal(config.sidecar.image, injectorContainer(r).image);
  }
});

// An overlay of a shipped overlay that moves it to another namespace and prefixes every name, the way a user
// would install a second copy or rename the namespace without forking: `namespace:`, `namePrefix:`, and the
// same `transformers:` line as the overlay it builds on.
for (const overlay of overlays) {
  describe(`overlay ${overlay.name} moved to namespace ${OTHER_NAMESPACE} with namePrefix ${PREFIX}`, () => {
    const dir = scratch.overlay(`${overlay.name}-moved`, (rel) =>
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `namespace: ${OTHER_NAMESPACE}`,
        `namePrefix: ${PREFIX}`,
        `resources: [${rel(overlay.dir)}]`,
        `transformers: [${overlay.wiring.map(rel).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const install: Install = { ...overlay.install, namespace: OTHER_NAMESPACE };

    checkAll(dir, install);

    test(`the old namespace ${overlay.install.namespace} appears nowhere`, () => {
      assert.ok(!rendered(dir).text.includes(overlay.install.namespace));
    });

    test('every object name carries the prefix', () => {
      for (const o of rendered(dir).objects.filter((o) => o.kind !== 'Namespace')) {
        assert.ok(o.metadata.name.startsWith(PREFIX), `${o.kind} ${o.metadata.name}`);
      }
    });
  });
}

// The same move without the wiring line: kustomize then leaves the namespace inside composite fields
// (namespaceSelector values, dnsNames, inject-ca-from) behind. The invariants must notice.
describe('the invariants catch an overlay moved without its wiring', () => {
  for (const overlay of overlays) {
    const dir = scratch.overlay(`${overlay.name}-unwired`, (rel) =>
      [`namespace: ${OTHER_NAMESPACE}`, `resources: [${rel(overlay.dir)}]`, ''].join('\n'),
    );
    const install: Install = { ...overlay.install, namespace: OTHER_NAMESPACE };
    const namespaceSelector = INVARIANTS.find((i) => i.name.startsWith('namespaceSelector')) as Invariant;

    test(`${overlay.name}: the namespaceSelector check fails`, () => {
      assert.throws(() => namespaceSelector.check(rendered(dir), install), /other-ns is excluded/);
    });
    if (overlay.install.tls === 'cert-manager') {
      test(`${overlay.name}: the Certificate check fails`, () => {
        assert.throws(() => checkCertManager(rendered(dir), install), /podmcp-system/);
      });
    }
  }
});

describe('optional components', () => {
  const base = overlays.find((o) => o.name === 'default') as Overlay;
  const dir = scratch.overlay('with-components', (rel) =>
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      // Objects a component adds here only get a namespace from this kustomization's own `namespace:`.
      `namespace: ${base.install.namespace}`,
      `resources: [${rel(base.dir)}]`,
      `components: [${rel(join(MANIFESTS, 'components/monitoring'))}, ${rel(join(MANIFESTS, 'components/failure-ignore'))}]`,
      '',
    ].join('\n'),
  );

  test('failure-ignore sets failurePolicy Ignore and nothing else changes in the webhook', () => {
    const before = webhook(rendered(base.dir));
    const after = webhook(rendered(dir));
    assert.equal(after.failurePolicy, 'Ignore');
    assert.deepEqual({ ...after, failurePolicy: before.failurePolicy }, before);
  });

  test('monitoring scrapes the admin port of the injector Service at /metrics', () => {
    const r = rendered(dir);
    const monitor = r.one<K8sObject & { spec: ServiceMonitorSpec }>('ServiceMonitor');
    assert.equal(monitor.metadata.namespace, base.install.namespace);
    const service = r.one<K8sObject & { spec: { ports: { name: string }[] } }>('Service');
    assert.deepEqual(monitor.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'podmcp-injector' });
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
      assert.equal(service.metadata.labels?.[key], value, 'the ServiceMonitor selects the injector Service');
    }
    assert.deepEqual(
      monitor.spec.endpoints.map((e) => [e.port, e.path]),
      [['admin', '/metrics']],
    );
    assert.ok(service.spec.ports.some((p) => p.name === 'admin'));
    assert.ok(injectorContainer(r).ports?.some((p) => p.name === 'admin'));
  });

  const alerts: [string, RegExp][] = [
    ['error rate', /podmcp_injector_admission_requests_total\{[^}]*result="error"/],
    [
      'p99 latency above 1s',
      /histogram_quantile\(0\.99,[\s\S]*podmcp_injector_admission_duration_seconds_bucket[\s\S]*> 1\b/,
    ],
    [
      'certificate expiring within 7 days',
      /podmcp_injector_serving_cert_expiry_timestamp_seconds[\s\S]*< 7 \* 24 \* 3600/,
    ],
    ['no ready replicas', /kube_deployment_status_replicas_available[\s\S]*== 0/],
  ];
  for (const [what, expression] of alerts) {
    test(`monitoring alerts on ${what}`, () => {
      const rule = rendered(dir).one<K8sObject & { spec: PrometheusRuleSpec }>('PrometheusRule');
      const rules = rule.spec.groups.flatMap((g) => g.rules);
      assert.ok(
        rules.some((r) => r.alert && expression.test(r.expr)),
        `no alert matches ${expression}`,
      );
    });
  }
});

interface ServiceMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  endpoints: { port: string; path: string }[];
}

interface PrometheusRuleSpec {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}

// manifests/sidecar-rbac/<mode>: what an application namespace applies to let its pods' sidecar use the
// ClusterRoles the overlays install.
describe('per-namespace sidecar RBAC', () => {
  for (const mode of ['read-only', 'read-write'] as const) {
    test(`sidecar-rbac/${mode} binds podmcp-sidecar-${mode} in one namespace`, () => {
      const r = render(join(MANIFESTS, 'sidecar-rbac', mode));
      assert.deepEqual(
        r.objects.map((o) => o.kind),
        ['RoleBinding'],
      );
      const binding = r.one<Binding>('RoleBinding');
      assert.deepEqual(binding.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `podmcp-sidecar-${mode}`,
      });
      for (const overlay of overlays) {
        assert.ok(rendered(overlay.dir).find('ClusterRole', binding.roleRef.name), `${overlay.name} installs it`);
      }
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'default' }]);
    });

    test(`sidecar-rbac/${mode} follows the application's namespace`, () => {
      const dir = scratch.overlay(`app-${mode}`, (rel) =>
        [`namespace: my-app`, `resources: [${rel(join(MANIFESTS, 'sidecar-rbac', mode))}]`, ''].join('\n'),
      );
      const binding = render(dir).one<Binding>('RoleBinding');
      assert.equal(binding.metadata.namespace, 'my-app');
      assert.ok([undefined, 'my-app'].includes(binding.subjects?.[0]?.namespace));
    });
  }
});
