import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  V1ConfigMap,
  V1EndpointSlice,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import {
  configMapSummary,
  endpointCountsByService,
  hpaSummary,
  networkPolicySummary,
  pdbSummary,
  podMetricsSummary,
  pvcSummary,
  selectorText,
  serviceSummary,
} from '../src/format/object-summaries.ts';
import {
  capConfigMapData,
  capString,
  configMapUses,
  formatBytes,
  type JsonObject,
  lastChange,
  MAX_STRING_BYTES,
  secretReferenceCount,
  stripObject,
} from '../src/format/objects.ts';
import { assertNoSecretFragment } from './redact-plantings.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const created = new Date('2025-06-01T11:00:00Z');

describe('stripObject', () => {
  const wire: JsonObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'team-a',
      uid: '3f2c',
      resourceVersion: '81723',
      selfLink: '/api/v1/x',
      generation: 4,
      creationTimestamp: '2025-06-01T11:00:00Z',
      labels: { app: 'web', uid: 'kept: a user label' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"hunter2"}}',
        note: 'x'.repeat(5000),
      },
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-1',
          uid: 'abc',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { selector: {}, clusterIP: null, ports: [{ port: 80 }] },
    status: {
      observedGeneration: 4,
      conditions: [
        { type: 'Ready', status: 'True', lastProbeTime: null, lastHeartbeatTime: 'x', lastTransitionTime: 't' },
      ],
      containerStatuses: [{ name: 'app', containerID: 'containerd://1', imageID: 'sha' }],
    },
  };

  test('drops machinery noise and the last-applied annotation, keeps what explains the object', () => {
    const stripped = stripObject(structuredClone(wire));
    assert.deepEqual(stripped.metadata, {
      name: 'web',
      creationTimestamp: '2025-06-01T11:00:00Z',
      labels: { app: 'web', uid: 'kept: a user label' },
      annotations: { note: `${'x'.repeat(2048)}…[truncated: 2952 more bytes]` },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', controller: true }],
    });
    // An empty selector means "every pod": it stays. Nulls go.
    assert.deepEqual(stripped.spec, { selector: {}, ports: [{ port: 80 }] });
    assert.deepEqual(stripped.status, {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't' }],
      containerStatuses: [{ name: 'app', imageID: 'sha' }],
    });
    assert.ok(!JSON.stringify(stripped).includes('hunter2'));
  });

  test('generation stays when the controller lags behind it', () => {
    const lagging = structuredClone(wire);
    (lagging.status as JsonObject).observedGeneration = 3;
    const stripped = stripObject(lagging);
    assert.equal((stripped.metadata as JsonObject).generation, 4);
    assert.equal((stripped.status as JsonObject).observedGeneration, 3);
  });
});

describe('capConfigMapData', () => {
  const configMap: JsonObject = {
    metadata: { name: 'app' },
    data: { small: 'a=1', big: 'y'.repeat(3000), later: 'z'.repeat(100) },
    binaryData: { logo: 'AAAA' },
  };

  test('values are cut per value and overall, each cut says how to read the rest; binary only as a size', () => {
    const capped = capConfigMapData(configMap, { perValueBytes: 1024, totalBytes: 1027 });
    const data = capped.data as Record<string, string>;
    assert.equal(data.small, 'a=1');
    assert.match(data.big ?? '', /…\[truncated: 1976 more bytes\] \(call again with key "big" for up to 1 KiB\)$/);
    assert.equal(data.later, '[omitted: 100 B; call again with key "later"]');
    assert.deepEqual(capped.binaryData, { logo: '[binary, 3 B; not shown]' });
  });

  test('key narrows to one value with the larger cap', () => {
    const capped = capConfigMapData(configMap, { perValueBytes: 10, totalBytes: 4096, key: 'big' });
    assert.deepEqual(capped.data, { big: 'y'.repeat(3000) });
    assert.equal(capped.binaryData, undefined);
  });
});

describe('services and their endpoints', () => {
  const slice = (service: string, endpoints: Array<[string, boolean | undefined]>): V1EndpointSlice => ({
    addressType: 'IPv4',
    metadata: { name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    endpoints: endpoints.map(([pod, ready]) => ({
      addresses: ['10.0.0.1'],
      targetRef: { kind: 'Pod', name: pod },
      conditions: ready === undefined ? {} : { ready },
    })),
  });

  test('counts ready and not-ready endpoints per Service, once per pod across slices', () => {
    const counts = endpointCountsByService([
      slice('web', [
        ['web-1', true],
        ['web-2', false],
        ['web-3', undefined],
      ]),
      slice('web', [['web-1', true]]),
      slice('db', [['db-0', false]]),
    ]);
    assert.deepEqual(counts.get('web'), { ready: 2, notReady: 1 });
    assert.deepEqual(counts.get('db'), { ready: 0, notReady: 1 });
  });

  const service: V1Service = {
    metadata: { name: 'web', creationTimestamp: created },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 as never, protocol: 'TCP' }],
    },
  };

  test('a Service row: type, IP, ports with targets, selector and endpoint counts', () => {
    assert.deepEqual(serviceSummary(service, { ready: 2, notReady: 1 }, NOW), {
      name: 'web',
      age: '1h',
      type: 'ClusterIP',
      cluster_ip: '10.96.0.10',
      ports: 'http:80/TCP→8080',
      selector: 'app=web',
      ready_endpoints: 2,
      not_ready_endpoints: 1,
    });
  });

  test('a Service without endpoints says why that matters', () => {
    assert.match(String(serviceSummary(service, undefined, NOW).problem), /no pod matches the selector/);
    assert.match(String(serviceSummary(service, { ready: 0, notReady: 2 }, NOW).problem), /not ready/);
  });
});

describe('per-kind summaries', () => {
  test('ConfigMap: keys with sizes, never values', () => {
    const configMap: V1ConfigMap = {
      metadata: { name: 'app', creationTimestamp: created },
      data: { 'app.yaml': 'x'.repeat(2048), password: 'hunter2' },
    };
    const summary = configMapSummary(configMap, NOW);
    assert.equal(summary.keys, 'app.yaml (2 KiB), password (7 B)');
    assert.equal(summary.key_count, 2);
    assert.ok(!JSON.stringify(summary).includes('hunter2'));
  });

  test('PVC: phase, sizes, class, access modes, and what Pending means', () => {
    const claim: V1PersistentVolumeClaim = {
      metadata: { name: 'data', creationTimestamp: created },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      status: { phase: 'Pending' },
    };
    const summary = pvcSummary(claim, NOW);
    assert.equal(summary.phase, 'Pending');
    assert.equal(summary.requested, '10Gi');
    assert.equal(summary.access_modes, 'RWO');
    assert.equal(summary.storage_class, '(default)');
    assert.match(String(summary.problem), /not bound yet/);
  });

  test('NetworkPolicy: an Ingress policy without rules denies all ingress; an empty selector is every pod', () => {
    const policy: V1NetworkPolicy = {
      metadata: { name: 'deny', creationTimestamp: created },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], egress: [{}] },
    };
    const summary = networkPolicySummary(policy, NOW);
    assert.equal(summary.pod_selector, '(all pods)');
    assert.equal(summary.effect, 'denies all ingress; 1 egress rule(s)');
  });

  test('HPA: current/target per metric and the failing condition', () => {
    const hpa: V2HorizontalPodAutoscaler = {
      metadata: { name: 'web', creationTimestamp: created },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        ],
      },
      status: {
        currentReplicas: 2,
        desiredReplicas: 2,
        conditions: [
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'FailedGetResourceMetric',
            message: 'unable to get metrics for resource cpu',
          },
        ],
      },
    };
    const summary = hpaSummary(hpa, NOW);
    assert.equal(summary.target, 'Deployment/web');
    assert.equal(summary.metrics, 'cpu <unknown>/70%');
    assert.equal(
      summary.problem,
      'ScalingActive=False (FailedGetResourceMetric): unable to get metrics for resource cpu',
    );
  });

  test('PDB: how many disruptions are allowed, and when none are', () => {
    const budget: V1PodDisruptionBudget = {
      metadata: { name: 'web', creationTimestamp: created },
      spec: { minAvailable: 2 as never, selector: { matchLabels: { app: 'web' } } },
      status: { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 },
    };
    const summary = pdbSummary(budget, NOW);
    assert.equal(summary.min_available, '2');
    assert.equal(summary.selector, 'app=web');
    assert.match(String(summary.problem), /no disruption allowed/);
  });

  test('PodMetrics: totals in millicores and MiB, and the per-container split', () => {
    const summary = podMetricsSummary(
      {
        metadata: { name: 'web-1' },
        timestamp: '2025-06-01T11:59:30Z',
        window: '15s',
        containers: [
          { name: 'app', usage: { cpu: '12500000n', memory: '51200Ki' } },
          { name: 'podmcp', usage: { cpu: '2m', memory: '20Mi' } },
        ],
      },
      NOW,
    );
    assert.deepEqual(summary, {
      name: 'web-1',
      cpu: '15m',
      memory: '70Mi',
      containers: 'app 13m/50Mi, podmcp 2m/20Mi',
      sampled: '30s ago',
      window: '15s',
    });
  });

  test('selectorText renders expressions and the empty selector', () => {
    assert.equal(
      selectorText({
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
      }),
      'app=web,tier In (a,b)',
    );
    assert.equal(selectorText({}), '(all pods)');
    assert.equal(selectorText(undefined), '(none)');
  });
});

describe('drift helpers', () => {
  const pod: V1Pod = {
    metadata: { name: 'web-1' },
    spec: {
      volumes: [
        { name: 'config', configMap: { name: 'web-config' } },
        { name: 'flags', configMap: { name: 'flags', optional: true } },
        {
          name: 'kube-api-access',
          projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }, { serviceAccountToken: { path: 't' } }] },
        },
        { name: 'tls', secret: { secretName: 'web-tls' } },
      ],
      containers: [
        {
          name: 'app',
          volumeMounts: [
            { name: 'config', mountPath: '/etc/web' },
            { name: 'flags', mountPath: '/etc/flags/flags.json', subPath: 'flags.json' },
            { name: 'kube-api-access', mountPath: '/var/run/secrets' },
          ],
          env: [
            { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'level' } } },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          ],
          envFrom: [{ configMapRef: { name: 'shared' } }],
        },
      ],
    },
  };

  test('configMapUses: every way a pod uses a ConfigMap, and whether a change reaches it live', () => {
    assert.deepEqual(configMapUses(pod), [
      {
        name: 'web-config',
        uses: ['volume config at /etc/web (app)', 'env LEVEL (app)'],
        optional: false,
        refreshed: true,
        atStartOnly: true,
      },
      {
        name: 'flags',
        uses: ['volume flags at /etc/flags/flags.json (subPath flags.json) (app)'],
        optional: true,
        refreshed: false,
        atStartOnly: true,
      },
      { name: 'shared', uses: ['envFrom (app)'], optional: false, refreshed: false, atStartOnly: true },
    ]);
    assert.equal(secretReferenceCount(pod), 2);
  });

  test('lastChange: the newest managedFields write, with its manager; creation otherwise', () => {
    assert.deepEqual(
      lastChange({
        creationTimestamp: new Date('2025-06-01T10:00:00Z'),
        managedFields: [
          { manager: 'kubectl-create', operation: 'Update', time: new Date('2025-06-01T10:00:00Z') },
          { manager: 'kubectl-edit', operation: 'Update', time: new Date('2025-06-01T11:00:00Z') },
        ],
      }),
      { at: new Date('2025-06-01T11:00:00Z'), by: 'kubectl-edit (Update)' },
    );
    assert.deepEqual(lastChange({ creationTimestamp: new Date('2025-06-01T10:00:00Z') }), {
      at: new Date('2025-06-01T10:00:00Z'),
    });
    assert.equal(lastChange(undefined), undefined);
  });
});

test('capString and formatBytes', () => {
  assert.equal(capString('short', 10), 'short');
  assert.equal(capString('ééé', 3), 'é…[truncated: 4 more bytes]');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MiB');
});

test('stripObject leaves ConfigMap values whole for capConfigMapData to cut with its own marker', () => {
  const stripped = stripObject({ metadata: { name: 'x' }, data: { big: 'b'.repeat(5000) } });
  assert.equal((stripped.data as Record<string, string>).big, 'b'.repeat(5000));
  const capped = capConfigMapData(stripped, { perValueBytes: 2048, totalBytes: 14 * 1024 });
  assert.match((capped.data as Record<string, string>).big ?? '', /…\[truncated: 2952 more bytes\] \(call again/);
});

test('stripObject drops what the API server fills into every pod spec, in pods and in templates alike', () => {
  const podSpec = (): JsonObject => ({
    containers: [
      {
        name: 'app',
        image: 'web:1',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: [
          { name: 'config', mountPath: '/etc/web' },
          { name: 'kube-api-access-6f5dv', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
        ],
      },
    ],
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    securityContext: {},
    serviceAccount: 'app',
    serviceAccountName: 'app',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'web-config' } },
      { name: 'kube-api-access-6f5dv', projected: { sources: [] } },
    ],
  });
  const neat = {
    containers: [{ name: 'app', image: 'web:1', volumeMounts: [{ name: 'config', mountPath: '/etc/web' }] }],
    serviceAccountName: 'app',
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    volumes: [{ name: 'config', configMap: { name: 'web-config' } }],
  };
  assert.deepEqual(stripObject({ kind: 'Pod', spec: podSpec() }).spec, neat);
  const deployment = stripObject({ kind: 'Deployment', spec: { template: { spec: podSpec() } } });
  assert.deepEqual((deployment.spec as { template: { spec: unknown } }).template.spec, neat);
  // A non-default value stays.
  const custom = podSpec();
  custom.restartPolicy = 'Never';
  assert.equal(
    stripObject({ spec: custom }).spec && (stripObject({ spec: custom }).spec as JsonObject).restartPolicy,
    'Never',
  );
});

describe('cuts fall after redaction, so no cut leaves a fragment of a credential no rule knows', () => {
  const secret = 'Zq7xW2vLp9Rk4Tn8Hc3M';
  const credential = `postgres://app:${secret}@db.shop.svc:5432/orders`;
  /** The credential placed so that a cut at `cap` falls at every position of it in turn. */
  const around = (cap: number) =>
    Array.from({ length: 48 }, (_, shift) => `${'w'.repeat(cap - 44 + shift)} ${credential} and more text after it`);

  test('a long string in any object (MAX_STRING_BYTES)', () => {
    for (const value of around(MAX_STRING_BYTES)) {
      const stripped = stripObject({ kind: 'Widget', metadata: { name: 'w' }, spec: { note: value } });
      assertNoSecretFragment(JSON.stringify(stripped), secret);
    }
  });

  test('a ConfigMap value, cut per value and when read alone by key', () => {
    for (const value of around(256)) {
      const configMap: JsonObject = { metadata: { name: 'app' }, data: { 'app.conf': value } };
      const capped = capConfigMapData(configMap, { perValueBytes: 256, totalBytes: 4096 });
      assertNoSecretFragment(JSON.stringify(capped), secret);
      const alone = capConfigMapData(configMap, { perValueBytes: 16, totalBytes: 256, key: 'app.conf' });
      assertNoSecretFragment(JSON.stringify(alone), secret);
    }
  });
});
