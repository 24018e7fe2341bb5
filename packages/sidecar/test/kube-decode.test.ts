/**
 * The gateway's decoder gives what the client library's generated deserializer gives — the same fields under
 * the same names in the same order, times as Dates, fields no model declares left out — on wire JSON with
 * the awkward parts: a list's `continue`, a NetworkPolicy's `from`, free-form maps whose keys look like
 * fields, times at every depth, nulls, and fields the models do not know.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { decodeAs } from '../src/kube/decode.ts';

const T0 = '2026-12-05T07:00:00Z';

const podList = {
  apiVersion: 'v1',
  kind: 'PodList',
  metadata: { resourceVersion: '9', continue: 'next-page', remainingItemCount: 3 },
  items: [
    {
      metadata: {
        name: 'web-0',
        creationTimestamp: T0,
        deletionTimestamp: null,
        labels: { app: 'web', creationTimestamp: 'not-a-time', continue: 'x' },
        annotations: { 'kubectl.kubernetes.io/restartedAt': T0 },
        managedFields: [{ manager: 'm', time: T0, fieldsV1: { 'f:metadata': { 'f:labels': { '.': {} } } } }],
        futureField: { nested: true },
      },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx',
            resources: { requests: { cpu: '100m' } },
            env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
          },
        ],
        nodeSelector: { from: 'x' },
      },
      status: {
        phase: 'Running',
        startTime: T0,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: T0 }],
        containerStatuses: [
          {
            name: 'app',
            ready: true,
            restartCount: 1,
            image: 'nginx',
            imageID: 'sha',
            state: { running: { startedAt: T0 } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: T0, startedAt: T0 } },
          },
        ],
      },
    },
  ],
};

const networkPolicy = {
  metadata: { name: 'db', creationTimestamp: T0 },
  spec: {
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
    policyTypes: ['Ingress'],
  },
};

const eventList = {
  metadata: {},
  items: [
    {
      metadata: { name: 'e1', namespace: 'team' },
      involvedObject: { kind: 'Pod', name: 'web-0' },
      reason: 'BackOff',
      firstTimestamp: T0,
      lastTimestamp: T0,
      eventTime: '2026-12-05T07:00:00.123456Z',
      count: 3,
    },
  ],
};

for (const [what, data, type] of [
  ['a pod list', podList, 'V1PodList'],
  ['a NetworkPolicy', networkPolicy, 'V1NetworkPolicy'],
  ['an event list', eventList, 'CoreV1EventList'],
  ['a ConfigMap', { metadata: { name: 'c' }, data: { startTime: T0, from: 'x' }, binaryData: {} }, 'V1ConfigMap'],
] as const) {
  test(`${what}: what the generated deserializer gives, in plain objects`, () => {
    const expected = ObjectSerializer.deserialize(structuredClone(data), type, '');
    const decoded = decodeAs<unknown>(structuredClone(data), type);
    assert.equal(JSON.stringify(decoded), JSON.stringify(expected));
    assert.deepEqual(decoded, JSON.parse(JSON.stringify(expected), reviveLike(expected)));
  });
}

test('times become Dates, renamed fields take the model names, free-form maps stay as they came', () => {
  const list = decodeAs<{
    metadata: Record<string, unknown>;
    items: Array<{
      metadata: { creationTimestamp: unknown; labels: Record<string, string> };
      status: { containerStatuses: Array<{ lastState: { terminated: { finishedAt: unknown } } }> };
    }>;
  }>(structuredClone(podList), 'V1PodList');
  assert.equal(list.metadata._continue, 'next-page');
  assert.equal('continue' in list.metadata, false);
  const [pod] = list.items;
  assert.ok(pod?.metadata.creationTimestamp instanceof Date);
  assert.ok(pod?.status.containerStatuses[0]?.lastState.terminated.finishedAt instanceof Date);
  assert.deepEqual(pod?.metadata.labels, { app: 'web', creationTimestamp: 'not-a-time', continue: 'x' });
  assert.equal('futureField' in (pod?.metadata ?? {}), false);
  const policy = decodeAs<{ spec: { ingress: Array<Record<string, unknown>> } }>(
    structuredClone(networkPolicy),
    'V1NetworkPolicy',
  );
  assert.ok(Array.isArray(policy.spec.ingress[0]?._from));
});

/** A reviver that turns back into Dates exactly the values that are Dates in `model`, found by their text. */
function reviveLike(model: unknown): (key: string, value: unknown) => unknown {
  const dates = new Set<string>();
  const walk = (value: unknown): void => {
    if (value instanceof Date) dates.add(value.toISOString());
    else if (value && typeof value === 'object') for (const item of Object.values(value)) walk(item);
  };
  walk(model);
  return (_key, value) => (typeof value === 'string' && dates.has(value) ? new Date(value) : value);
}

test('a map key named __proto__ stays a key: cluster data never sets the prototype of a decoded object', () => {
  const pod = decodeAs<{ metadata: { labels: Record<string, string> } }>(
    JSON.parse('{"metadata":{"labels":{"__proto__":"x","app":"web"}}}'),
    'V1Pod',
  );
  assert.equal(Object.getPrototypeOf(pod.metadata.labels), Object.prototype);
  assert.deepEqual(Object.keys(pod.metadata.labels), ['__proto__', 'app']);
  assert.equal(pod.metadata.labels.app, 'web');
});
