import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import { buildDiagnosis, examinedPods, type LogExcerpt, logTargets } from '../src/diagnosis/index.ts';
import {
  ago,
  codes,
  deployment,
  diagnoseWith,
  NOW,
  pod,
  READ_ONLY,
  READ_WRITE,
  running,
  texts,
  warning,
} from './diagnosis-fixtures.ts';

describe('a healthy workload', () => {
  const pods = [pod('web-7d9c-aaaaa'), pod('web-7d9c-bbbbb')];
  const diagnosis = diagnoseWith(pods);

  test('says no problems were found and examines no pod', () => {
    assert.equal(diagnosis.healthy, true);
    assert.deepEqual(texts(diagnosis), ['no problems found: 2/2 pod(s) ready, no warning events in the last 60 min']);
    assert.equal(diagnosis.pods.length, 0);
    assert.deepEqual(diagnosis.pods_summary, {
      total: 2,
      ready: 2,
      by_status: { Running: 2 },
      examined: 0,
      others_unhealthy: [],
    });
  });

  test('reports the rollout as complete', () => {
    assert.equal(diagnosis.rollout?.summary, '2/2 ready, 2 up to date, 2 available; rollout complete');
    assert.equal(diagnosis.rollout?.stuck, false);
  });

  test('suggests where to look if users still see a problem', () => {
    // inspect_app reaches only this sidecar's own pod's app, so it is suggested when that pod is diagnosed.
    const own = diagnoseWith(pods, { self: { pod: 'web-7d9c-bbbbb', appEndpoints: new Set(['health']) } });
    assert.ok(own.next_steps.some((step) => step.startsWith('inspect_app {aspect: "health"}')));
    assert.ok(!diagnosis.next_steps.some((step) => step.startsWith('inspect_app')));
    assert.ok(diagnosis.next_steps.some((step) => step.startsWith('get_pod_logs {pod: "web-7d9c-aaaaa"')));
  });

  test('a restart in the past is a note, not a problem', () => {
    const restarted = pod('web-7d9c-ccccc', {
      statuses: [
        running('app', {
          restartCount: 1,
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(12) } },
        }),
      ],
    });
    const result = diagnoseWith([restarted, pods[0] as V1Pod]);
    assert.equal(result.healthy, true);
    assert.deepEqual(codes(result), ['healthy', 'restarted']);
    assert.equal(
      result.findings[1]?.text,
      'container app restarted in pod web-7d9c-ccccc (1 restart; last exit Error (exit 1) 12m ago)',
    );
  });
});

describe('CrashLoopBackOff', () => {
  const crashing = pod('web-7d9c-aaaaa', {
    ready: false,
    statuses: [
      running('app', {
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(2) } },
      }),
    ],
  });
  const log: LogExcerpt = { container: 'app', source: 'previous', lines: ['panic: config file missing'] };
  const diagnosis = diagnoseWith([crashing, pod('web-7d9c-bbbbb')], {
    deploymentObject: deployment({ available: 1 }),
    events: [warning('web-7d9c-aaaaa', 'BackOff', 'Back-off restarting failed container app', { count: 14 })],
    logs: new Map([['web-7d9c-aaaaa/app', log]]),
  });

  test('finds the crash loop with its last exit, and the missing replica', () => {
    assert.equal(diagnosis.healthy, false);
    assert.deepEqual(texts(diagnosis), [
      'container app is crash-looping (CrashLoopBackOff) in pod web-7d9c-aaaaa: 5 restarts, last exit Error (exit 1)',
      'only 1/2 replicas available',
    ]);
  });

  test('examines the crashing pod only, with container state and the log tail', () => {
    assert.deepEqual(
      diagnosis.pods.map((item) => item.name),
      ['web-7d9c-aaaaa'],
    );
    const [detail] = diagnosis.pods;
    assert.deepEqual(detail?.containers[0], {
      name: 'app',
      kind: undefined,
      image: 'registry.example/app:1.0',
      ready: false,
      restarts: 5,
      state: 'waiting: CrashLoopBackOff',
      message: 'back-off 2m40s restarting failed container=app',
      last_termination: { reason: 'Error', exit_code: 1, finished_at: ago(2).toISOString() },
      memory_limit: undefined,
      cpu_limit: undefined,
    });
    assert.deepEqual(detail?.conditions, [
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [app]',
      },
    ]);
    assert.deepEqual(detail?.logs, [log]);
  });

  test('the BackOff event is listed but not repeated as a separate finding', () => {
    assert.deepEqual(
      diagnosis.events.map((row) => [row.reason, row.count]),
      [['BackOff', 14]],
    );
    assert.ok(!codes(diagnosis).includes('warning-events'));
  });

  test('next steps start with the previous log of that container', () => {
    assert.equal(
      diagnosis.next_steps[0],
      `get_pod_logs {pod: "web-7d9c-aaaaa", container: "app", previous: true} — the crashed instance's last output (its tail is included below; raise tail_lines for more)`,
    );
  });

  test('its previous log is what logTargets asks for', () => {
    assert.deepEqual(logTargets([crashing], 3), [{ pod: 'web-7d9c-aaaaa', container: 'app', previous: true }]);
  });
});

describe('OOMKilled', () => {
  const oom = (name: string, restarts: number) =>
    pod(name, {
      ready: false,
      memoryLimit: '64Mi',
      statuses: [
        running('app', {
          ready: false,
          restartCount: restarts,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(1) } },
        }),
      ],
    });

  test('one finding across pods, naming the memory limit and the most restarts', () => {
    const diagnosis = diagnoseWith([oom('web-7d9c-aaaaa', 3), oom('web-7d9c-bbbbb', 7)], {
      deploymentObject: deployment({ available: 0 }),
    });
    assert.deepEqual(texts(diagnosis), [
      'container app was OOMKilled in 2 pods (web-7d9c-aaaaa, web-7d9c-bbbbb) (7 restarts; memory limit 64Mi), now in CrashLoopBackOff',
      'only 0/2 replicas available',
    ]);
    assert.deepEqual(
      diagnosis.pods.map((item) => item.name),
      ['web-7d9c-bbbbb', 'web-7d9c-aaaaa'],
      'most restarts first',
    );
    assert.equal(diagnosis.pods[0]?.containers[0]?.memory_limit, '64Mi');
    assert.match(diagnosis.next_steps[0] ?? '', /Raise the memory limit of container app/);
  });

  test('without a memory limit it says the node ran short', () => {
    const unlimited = pod('web-7d9c-aaaaa', {
      statuses: [
        running('app', { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }),
      ],
    });
    assert.match(texts(diagnoseWith([unlimited]))[0] ?? '', /no memory limit, so the node ran short of memory/);
  });
});

describe('ImagePullBackOff', () => {
  const pulling = pod('web-7d9c-aaaaa', {
    phase: 'Pending',
    ready: false,
    image: 'registry.example/app:2.0',
    statuses: [
      running('app', {
        ready: false,
        state: {
          waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/app:2.0"' },
        },
      }),
    ],
  });
  const diagnosis = diagnoseWith([pulling, pod('web-7d9c-bbbbb')], {
    deploymentObject: deployment({ available: 1, updated: 1 }),
    events: [
      warning(
        'web-7d9c-aaaaa',
        'Failed',
        'Failed to pull image "registry.example/app:2.0": rpc error: code = NotFound desc = manifest unknown',
      ),
    ],
  });

  test('names the image and the registry’s answer from the events', () => {
    assert.equal(
      texts(diagnosis)[0],
      'image pull failing for container app (registry.example/app:2.0) in pod web-7d9c-aaaaa: ImagePullBackOff — Failed to pull image "registry.example/app:2.0": rpc error: code = NotFound desc = manifest unknown',
    );
    assert.ok(codes(diagnosis).includes('rollout-in-progress'));
  });

  test('no previous log is fetched for a container that never ran', () => {
    assert.deepEqual(logTargets([pulling], 3), []);
  });

  test('next steps point at the image and the events', () => {
    assert.match(diagnosis.next_steps[0] ?? '', /image name and tag/);
    assert.ok(diagnosis.next_steps.some((step) => step.startsWith('list_events {object: "Pod/web-7d9c-aaaaa"}')));
  });
});

describe('Pending and unschedulable, with a stuck rollout', () => {
  const message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
  const pending = (name: string) =>
    pod(name, {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
    });
  const stuck = deployment({
    desired: 2,
    available: 0,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "web-7d9c" has timed out progressing.',
      },
    ],
  });

  test('finds the stuck rollout and the scheduler’s reason, once for both pods', () => {
    const diagnosis = diagnoseWith([pending('web-7d9c-aaaaa'), pending('web-7d9c-bbbbb')], { deploymentObject: stuck });
    assert.deepEqual(texts(diagnosis), [
      'rollout stuck: ProgressDeadlineExceeded — ReplicaSet "web-7d9c" has timed out progressing.',
      `Pending: cannot be scheduled in 2 pods (web-7d9c-aaaaa, web-7d9c-bbbbb): ${message}`,
      'only 0/2 replicas available',
    ]);
    assert.equal(diagnosis.rollout?.stuck, true);
    assert.match(diagnosis.rollout?.summary ?? '', /rollout stuck \(ProgressDeadlineExceeded\)$/);
  });

  test('rollback is suggested only to a caller that can roll back', () => {
    // Revision 2: the Deployment has an earlier revision to return to.
    const rolled = {
      ...stuck,
      metadata: { ...stuck.metadata, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    };
    const readOnly = diagnoseWith([pending('web-7d9c-aaaaa')], { deploymentObject: rolled, tools: READ_ONLY });
    const readWrite = diagnoseWith([pending('web-7d9c-aaaaa')], { deploymentObject: rolled, tools: READ_WRITE });
    assert.ok(!readOnly.next_steps.some((step) => step.includes('rollback_deployment')));
    assert.ok(readWrite.next_steps.some((step) => step.startsWith('rollback_deployment')));
    assert.ok(readOnly.next_steps.some((step) => step.includes('nodeSelector, affinity and tolerations')));
  });

  test('takes the scheduler’s message from a FailedScheduling event when the condition has none', () => {
    const bare = pod('web-7d9c-aaaaa', {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
    });
    const diagnosis = diagnoseWith([bare], { events: [warning('web-7d9c-aaaaa', 'FailedScheduling', message)] });
    assert.ok(texts(diagnosis).includes(`Pending: cannot be scheduled in pod web-7d9c-aaaaa: ${message}`));
  });
});

describe('other verdicts', () => {
  test('no pods although replicas are desired', () => {
    const diagnosis = diagnoseWith([], { deploymentObject: deployment({ desired: 3, available: 0 }) });
    assert.equal(diagnosis.findings[0]?.code, 'no-pods');
    assert.ok(diagnosis.next_steps.some((step) => step.includes('FailedCreate')));
  });

  test('scaled to zero is healthy', () => {
    const diagnosis = diagnoseWith([], { deploymentObject: deployment({ desired: 0 }) });
    assert.equal(diagnosis.healthy, true);
    assert.deepEqual(codes(diagnosis), ['healthy', 'scaled-to-zero']);
  });

  test('a failed Job', () => {
    const job: V1Job = {
      metadata: { name: 'migrate' },
      spec: { template: {} },
      status: {
        failed: 4,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      },
    };
    const failedPod = pod('migrate-abcde', {
      phase: 'Failed',
      statuses: [running('app', { ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } })],
    });
    const diagnosis = diagnoseWith([failedPod], { workload: { kind: 'Job', name: 'migrate', object: job } });
    assert.deepEqual(texts(diagnosis), [
      'Job/migrate failed: BackoffLimitExceeded — Job has reached the specified backoff limit',
      'container app exited with Error (exit 2) in pod migrate-abcde',
    ]);
  });

  test('volume and unexplained warning events become findings', () => {
    const diagnosis = diagnoseWith([pod('web-7d9c-aaaaa')], {
      events: [
        warning(
          'web-7d9c-aaaaa',
          'FailedMount',
          'MountVolume.SetUp failed for volume "config": configmap "web" not found',
        ),
        warning('web-7d9c-aaaaa', 'NetworkNotReady', 'network is not ready'),
      ],
    });
    assert.deepEqual(
      diagnosis.findings.map((finding) => [finding.severity, finding.code]),
      [
        ['error', 'volume'],
        ['warning', 'warning-events'],
      ],
    );
    assert.match(texts(diagnosis)[0] ?? '', /^FailedMount on Pod\/web-7d9c-aaaaa \(1×\): MountVolume/);
  });

  test('a scheduled pod stuck creating its containers, with the mount failure that explains it', () => {
    const creating = pod('web-7d9c-aaaaa', {
      phase: 'Pending',
      ready: false,
      statuses: [running('app', { ready: false, state: { waiting: { reason: 'ContainerCreating' } } })],
    });
    const diagnosis = diagnoseWith([creating], {
      events: [warning('web-7d9c-aaaaa', 'FailedMount', 'MountVolume.SetUp failed for volume "data": timed out')],
    });
    assert.deepEqual(texts(diagnosis), [
      'FailedMount on Pod/web-7d9c-aaaaa (1×): MountVolume.SetUp failed for volume "data": timed out',
      'Pending for 30m in pod web-7d9c-aaaaa (containers waiting: ContainerCreating)',
    ]);
  });

  test('an evicted pod', () => {
    const evicted = pod('web-7d9c-aaaaa', {
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
      statuses: [
        running('app', { ready: false, state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }),
      ],
    });
    assert.ok(
      texts(diagnoseWith([evicted])).includes(
        'pod evicted in pod web-7d9c-aaaaa: The node was low on resource: memory.',
      ),
    );
  });

  test('a pod stuck terminating names its finalizers', () => {
    const stuck = pod('web-7d9c-aaaaa');
    stuck.metadata = {
      ...stuck.metadata,
      deletionTimestamp: ago(10),
      deletionGracePeriodSeconds: 30,
      finalizers: ['x/y'],
    };
    assert.ok(
      texts(diagnoseWith([stuck])).includes('pod stuck Terminating for 10m in pod web-7d9c-aaaaa (finalizers: x/y)'),
    );
  });
});

describe('diagnosing one pod', () => {
  test('replica steps name the owning workload, not the pod', () => {
    const crashing = pod('web-7d9c-aaaaa', {
      ready: false,
      statuses: [running('app', { ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } })],
    });
    const diagnosis = buildDiagnosis({
      target: 'Pod/web-7d9c-aaaaa',
      workload: { kind: 'Deployment', name: 'web', object: deployment({ available: 1 }) },
      pods: [crashing],
      examined: examinedPods([crashing], 5, NOW, 'web-7d9c-aaaaa'),
      events: [],
      eventsWindowMinutes: 60,
      maxEvents: 8,
      logs: new Map(),
      tools: READ_ONLY,
      now: NOW,
    });
    assert.equal(diagnosis.target, 'Pod/web-7d9c-aaaaa');
    assert.ok(
      diagnosis.next_steps.includes(
        'list_pods {workload: "Deployment/web", problems_only: true} — which pods are not available',
      ),
    );
  });
});

describe('diagnoses that finish in one call', () => {
  test('an unschedulable pod names its own requests and nodeSelector beside the scheduler’s message', () => {
    const message = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available.';
    const hungry = pod('web-7d9c-aaaaa', {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
    });
    hungry.spec = {
      ...hungry.spec,
      nodeName: undefined,
      nodeSelector: { 'disk-type': 'ssd' },
      containers: [
        { name: 'app', image: 'registry.example/app:1.0', resources: { requests: { memory: '64Gi', cpu: '500m' } } },
        { name: 'proxy', image: 'registry.example/proxy:1.0', resources: { requests: { memory: '32Mi' } } },
      ],
    };
    assert.equal(
      texts(diagnoseWith([hungry]))[0],
      `Pending: cannot be scheduled in pod web-7d9c-aaaaa: ${message} — the pod asks for requests app: cpu 500m, memory 64Gi; proxy: memory 32Mi; nodeSelector disk-type=ssd`,
    );
  });

  describe('an image pull quotes the registry’s answer, whatever order the events come in', () => {
    const image = 'registry.example/app:2.0';
    const pulling = pod('web-7d9c-aaaaa', {
      phase: 'Pending',
      ready: false,
      image,
      statuses: [
        running('app', {
          ready: false,
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
        }),
      ],
    });
    const registry = `Failed to pull image "${image}": rpc error: code = NotFound desc = ${image}: not found`;
    const at = (minutes: number) => ({ lastTimestamp: ago(minutes), fieldPath: 'spec.containers{app}' });
    const events = [
      warning('web-7d9c-aaaaa', 'Failed', 'Error: ImagePullBackOff', at(1)),
      warning('web-7d9c-aaaaa', 'BackOff', `Back-off pulling image "${image}"`, at(1)),
      warning('web-7d9c-aaaaa', 'Failed', 'Error: ErrImagePull', at(2)),
      warning('web-7d9c-aaaaa', 'Failed', registry, at(3)),
    ];
    const orders = [events, [...events].reverse(), [events[2], events[0], events[3], events[1]]];
    for (const [index, order] of orders.entries()) {
      test(`order ${index + 1}`, () => {
        const headline = texts(diagnoseWith([pulling], { events: order as CoreV1Event[] }))[0];
        assert.equal(
          headline,
          `image pull failing for container app (${image}) in pod web-7d9c-aaaaa: ImagePullBackOff — ${registry}`,
        );
      });
    }
    test('without events, the container’s own waiting message', () => {
      assert.match(texts(diagnoseWith([pulling]))[0] ?? '', /ImagePullBackOff — Back-off pulling image/);
    });
  });
});
