import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { ago, deployment, diagnoseWith, pod, running, texts, warning } from './diagnosis-fixtures.ts';

describe('probe failures that ended before the container became ready', () => {
  // Ready since 29 minutes ago; the probes failed during the first seconds of the start, 30 minutes ago.
  const conditions = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: 'True', lastTransitionTime: ago(29) },
  ];
  const withSidecar = (item: V1Pod): V1Pod => ({
    ...item,
    spec: {
      ...item.spec,
      containers: item.spec?.containers ?? [],
      initContainers: [{ name: 'podmcp', image: 'podmcp:1', restartPolicy: 'Always' }],
    },
    status: {
      ...item.status,
      containerStatuses: (item.status?.containerStatuses ?? []).filter((status) => status.name !== 'podmcp'),
      initContainerStatuses: (item.status?.containerStatuses ?? []).filter((status) => status.name === 'podmcp'),
    },
  });
  const started = withSidecar(
    pod('web-7d9c-aaaaa', { conditions, statuses: [running('app'), { ...running('podmcp'), started: true }] }),
  );
  const atStart = { firstTimestamp: ago(30), lastTimestamp: ago(30) };
  const startup = warning('web-7d9c-aaaaa', 'Unhealthy', 'Startup probe failed: connect: connection refused', {
    ...atStart,
    count: 2,
    fieldPath: 'spec.initContainers{podmcp}',
  });
  const firstReadiness = warning('web-7d9c-aaaaa', 'Unhealthy', 'Readiness probe failed: connection refused', {
    ...atStart,
    fieldPath: 'spec.containers{app}',
  });

  test('a healthy, rolled-out Deployment is healthy: a start that took a few probes is only a note', () => {
    const diagnosis = diagnoseWith([started, pod('web-7d9c-bbbbb')], { events: [startup, firstReadiness] });
    assert.equal(diagnosis.healthy, true);
    assert.deepEqual(
      diagnosis.findings.map((finding) => [finding.severity, finding.code]),
      [
        ['info', 'healthy'],
        ['info', 'startup-probe'],
      ],
    );
    assert.equal(
      diagnosis.findings[1]?.text,
      'container podmcp started after 2 failed startup probes in pod web-7d9c-aaaaa (resolved; the container is ready)',
    );
    assert.deepEqual(diagnosis.pods.find((item) => item.name === 'web-7d9c-aaaaa')?.probe_failures ?? [], []);
    assert.ok(!diagnosis.next_steps.some((step) => step.includes('health endpoint from inside')));
  });

  test('a failure after the pod became ready is still reported', () => {
    const later = { ...firstReadiness, lastTimestamp: ago(5) };
    const diagnosis = diagnoseWith([started], { events: [later] });
    assert.equal(diagnosis.healthy, false);
    assert.ok(
      diagnosis.findings.some((finding) => finding.code === 'readiness-probe' && finding.severity === 'warning'),
    );
  });

  test('a container that is not ready keeps its startup failures as a warning', () => {
    const stuck = withSidecar(
      pod('web-7d9c-aaaaa', {
        conditions,
        statuses: [running('app'), { ...running('podmcp'), ready: false, started: false }],
      }),
    );
    const diagnosis = diagnoseWith([stuck], { events: [startup] });
    assert.ok(diagnosis.findings.some((finding) => finding.code === 'startup-probe' && finding.severity === 'warning'));
  });

  test('liveness failures are never put down to the start', () => {
    const liveness = warning('web-7d9c-aaaaa', 'Unhealthy', 'Liveness probe failed: timeout', {
      ...atStart,
      fieldPath: 'spec.containers{app}',
    });
    const diagnosis = diagnoseWith([started], { events: [liveness] });
    assert.ok(diagnosis.findings.some((finding) => finding.code === 'liveness-probe'));
  });

  test('without a Ready time the failure cannot be placed before it, so it is reported', () => {
    const noTime = pod('web-7d9c-aaaaa', {
      conditions: [{ type: 'Ready', status: 'True' }],
      statuses: [running('app')],
    });
    const diagnosis = diagnoseWith([noTime], { events: [firstReadiness] });
    assert.ok(diagnosis.findings.some((finding) => finding.code === 'readiness-probe'));
  });
});

describe('failing readiness probe', () => {
  const unready = pod('web-7d9c-aaaaa', { ready: false, statuses: [running('app', { ready: false })] });
  const probe = warning(
    'web-7d9c-aaaaa',
    'Unhealthy',
    'Readiness probe failed: HTTP probe failed with statuscode: 503',
    {
      count: 12,
      fieldPath: 'spec.containers{app}',
    },
  );

  test('reports the probe, its count and message, and not a vague "not ready" as well', () => {
    const diagnosis = diagnoseWith([unready, pod('web-7d9c-bbbbb')], {
      deploymentObject: deployment({ available: 1 }),
      events: [probe],
      // This sidecar's own pod, whose app's health endpoint inspect_app can call.
      self: { pod: 'web-7d9c-aaaaa', appEndpoints: new Set(['health']) },
    });
    assert.deepEqual(texts(diagnosis), [
      'readiness probe failing for container app in pod web-7d9c-aaaaa (12× in 60 min): Readiness probe failed: HTTP probe failed with statuscode: 503 — the pod gets no Service traffic meanwhile',
      'only 1/2 replicas available',
    ]);
    assert.deepEqual(diagnosis.pods[0]?.probe_failures, [
      {
        probe: 'readiness',
        container: 'app',
        count: 12,
        last_seen: ago(1).toISOString(),
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
      },
    ]);
    assert.ok(diagnosis.next_steps.some((step) => step.startsWith('inspect_app')));
  });

  test('a liveness failure says the kubelet will restart the container', () => {
    const liveness = warning('web-7d9c-aaaaa', 'Unhealthy', 'Liveness probe failed: connection refused', {
      fieldPath: 'spec.containers{app}',
    });
    const diagnosis = diagnoseWith([unready], { events: [liveness] });
    assert.ok(texts(diagnosis).some((text) => text.startsWith('liveness probe failing') && text.includes('restarts')));
  });

  test('not ready without probe events is still reported', () => {
    const diagnosis = diagnoseWith([unready]);
    assert.ok(
      texts(diagnosis).includes(
        'container app is running but not ready in pod web-7d9c-aaaaa (no probe failure events in the last 60 min)',
      ),
    );
  });
});
