import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1CronJob, V1DaemonSet, V1Deployment, V1Job, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import {
  cronJobRow,
  daemonSetRollout,
  deploymentRollout,
  deploymentRow,
  imagesOf,
  jobRow,
  newestReplicaSet,
  statefulSetRollout,
  workloadStatusText,
} from '../src/format/workloads.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const created = new Date('2025-06-01T10:00:00Z');

function deployment(
  status: NonNullable<V1Deployment['status']>,
  options: { replicas?: number; generation?: number; paused?: boolean } = {},
): V1Deployment {
  return {
    metadata: {
      name: 'web',
      creationTimestamp: created,
      generation: options.generation ?? 2,
      annotations: { 'deployment.kubernetes.io/revision': '4' },
    },
    spec: {
      replicas: options.replicas ?? 3,
      paused: options.paused,
      selector: { matchLabels: { app: 'web' } },
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'web:2' },
            { name: 'podmcp', image: 'podmcp:1' },
          ],
        },
      },
    },
    status: { observedGeneration: 2, ...status },
  };
}

const progressing = (reason: string, message = '') => ({
  type: 'Progressing',
  status: reason === 'ProgressDeadlineExceeded' ? 'False' : 'True',
  reason,
  message,
});

describe('deploymentRollout', () => {
  test('complete when every replica is updated and available', () => {
    const complete = deployment({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [progressing('NewReplicaSetAvailable')],
    });
    assert.deepEqual(deploymentRollout(complete), { state: 'complete' });
  });

  test('stuck on ProgressDeadlineExceeded, with the condition message', () => {
    const stuck = deployment({
      replicas: 3,
      updatedReplicas: 1,
      availableReplicas: 2,
      conditions: [progressing('ProgressDeadlineExceeded', 'ReplicaSet "web-5d" has timed out progressing.')],
    });
    assert.deepEqual(deploymentRollout(stuck), {
      state: 'stuck',
      detail: 'ProgressDeadlineExceeded: ReplicaSet "web-5d" has timed out progressing.',
    });
  });

  test('stuck on a ReplicaFailure (e.g. quota), which says why pods cannot be created', () => {
    const failing = deployment({
      replicas: 2,
      updatedReplicas: 2,
      conditions: [
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota: pods=2' },
        progressing('ReplicaSetUpdated'),
      ],
    });
    assert.deepEqual(deploymentRollout(failing), {
      state: 'stuck',
      detail: 'ReplicaFailure (FailedCreate): exceeded quota: pods=2',
    });
  });

  test('progressing while the controller has not seen the latest spec', () => {
    const lagging = deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, { generation: 3 });
    const rollout = deploymentRollout(lagging);
    assert.equal(rollout.state, 'progressing');
    assert.match(rollout.detail ?? '', /generation 3, observed 2/);
  });

  test('progressing through the usual rollout phases, like kubectl rollout status', () => {
    assert.deepEqual(deploymentRollout(deployment({ replicas: 4, updatedReplicas: 1, availableReplicas: 3 })), {
      state: 'progressing',
      detail: '1 of 3 new replicas updated',
    });
    assert.deepEqual(deploymentRollout(deployment({ replicas: 4, updatedReplicas: 3, availableReplicas: 3 })), {
      state: 'progressing',
      detail: '1 old replica(s) pending termination',
    });
    assert.deepEqual(deploymentRollout(deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 })), {
      state: 'progressing',
      detail: '2 of 3 updated replicas available',
    });
  });

  test('degraded when a finished rollout later lost available replicas', () => {
    const degraded = deployment({
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 1,
      conditions: [progressing('NewReplicaSetAvailable')],
    });
    assert.deepEqual(deploymentRollout(degraded), { state: 'degraded', detail: '1 of 3 replicas available' });
  });

  test('paused', () => {
    assert.equal(deploymentRollout(deployment({ replicas: 3 }, { paused: true })).state, 'paused');
  });
});

describe('deploymentRow', () => {
  test('the columns an SRE reads first, images de-duplicated, revision', () => {
    const row = deploymentRow(
      deployment({ replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 3 }),
      NOW,
    );
    assert.deepEqual(row, {
      kind: 'Deployment',
      name: 'web',
      age: '2h',
      images: ['web:2', 'podmcp:1'],
      desired: 3,
      updated: 3,
      ready: 2,
      available: 3,
      rollout: 'complete',
      revision: '4',
    });
    assert.equal(workloadStatusText(row), 'complete 2/3 ready, 3 updated, 3 available');
  });

  test('imagesOf caps the list', () => {
    const containers = Array.from({ length: 6 }, (_, index) => ({ name: `c${index}`, image: `i${index}` }));
    assert.deepEqual(imagesOf(containers), ['i0', 'i1', 'i2', 'i3', '+2 more']);
  });
});

describe('statefulSetRollout and daemonSetRollout', () => {
  const statefulSet = (status: NonNullable<V1StatefulSet['status']>, partition?: number): V1StatefulSet => ({
    metadata: { name: 'db', generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: {},
      template: {},
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: partition ? { partition } : undefined },
    },
    status: { observedGeneration: 1, ...status },
  });

  test('a StatefulSet is progressing until pods are on the update revision, respecting a partition', () => {
    assert.deepEqual(
      statefulSetRollout(
        statefulSet({ replicas: 3, updatedReplicas: 1, readyReplicas: 3, currentRevision: 'a', updateRevision: 'b' }),
      ),
      { state: 'progressing', detail: '1 of 3 pods updated' },
    );
    assert.equal(
      statefulSetRollout(
        statefulSet(
          { replicas: 3, updatedReplicas: 1, readyReplicas: 3, currentRevision: 'a', updateRevision: 'b' },
          2,
        ),
      ).state,
      'complete',
    );
    assert.deepEqual(
      statefulSetRollout(
        statefulSet({ replicas: 3, updatedReplicas: 3, readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' }),
      ),
      { state: 'degraded', detail: '2 of 3 pods ready' },
    );
    assert.equal(
      statefulSetRollout(
        statefulSet({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, currentRevision: 'b', updateRevision: 'b' }),
      ).state,
      'complete',
    );
  });

  test('a DaemonSet reports updated, available and misscheduled pods', () => {
    const daemonSet = (status: Partial<NonNullable<V1DaemonSet['status']>>): V1DaemonSet => ({
      metadata: { name: 'agent', generation: 1 },
      status: {
        observedGeneration: 1,
        currentNumberScheduled: 3,
        desiredNumberScheduled: 3,
        numberMisscheduled: 0,
        numberReady: 3,
        ...status,
      },
    });
    assert.deepEqual(daemonSetRollout(daemonSet({ updatedNumberScheduled: 2, numberAvailable: 3 })), {
      state: 'progressing',
      detail: '2 of 3 pods updated',
    });
    assert.deepEqual(daemonSetRollout(daemonSet({ updatedNumberScheduled: 3, numberAvailable: 3 })), {
      state: 'complete',
    });
    assert.deepEqual(
      daemonSetRollout(daemonSet({ updatedNumberScheduled: 3, numberAvailable: 3, numberMisscheduled: 1 })),
      { state: 'degraded', detail: '1 pod(s) on nodes they should not run on' },
    );
  });
});

describe('jobRow and cronJobRow', () => {
  test('a failed Job shows its reason, completions, counts and duration', () => {
    const job: V1Job = {
      metadata: { name: 'migrate', creationTimestamp: created },
      spec: { completions: 3, template: { spec: { containers: [{ name: 'm', image: 'migrate:1' }] } } },
      status: {
        succeeded: 1,
        failed: 6,
        startTime: created,
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
    assert.deepEqual(jobRow(job, NOW), {
      kind: 'Job',
      name: 'migrate',
      age: '2h',
      images: ['migrate:1'],
      status: 'Failed (BackoffLimitExceeded)',
      completions: '1/3',
      active: 0,
      failed: 6,
      duration: '2h',
      detail: 'Job has reached the specified backoff limit',
    });
  });

  test('a complete Job and a running one', () => {
    const base: V1Job = { metadata: { name: 'j' }, spec: { template: {} } };
    assert.equal(
      jobRow({ ...base, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } }, NOW).status,
      'Complete',
    );
    assert.equal(jobRow({ ...base, status: { active: 1 } }, NOW).status, 'Running');
    assert.equal(jobRow({ ...base, spec: { template: {}, suspend: true } }, NOW).status, 'Suspended');
  });

  test('a CronJob shows schedule, suspension and when it last ran and last succeeded', () => {
    const cronJob: V1CronJob = {
      metadata: { name: 'report', creationTimestamp: created },
      spec: {
        schedule: '*/15 * * * *',
        timeZone: 'Europe/Paris',
        suspend: false,
        jobTemplate: { spec: { template: {} } },
      },
      status: {
        lastScheduleTime: new Date('2025-06-01T11:45:00Z'),
        lastSuccessfulTime: new Date('2025-06-01T11:30:30Z'),
      },
    };
    assert.deepEqual(cronJobRow(cronJob, NOW), {
      kind: 'CronJob',
      name: 'report',
      age: '2h',
      images: [],
      status: 'Scheduled',
      schedule: '*/15 * * * * (Europe/Paris)',
      suspended: false,
      active: 0,
      last_schedule: '15m ago',
      last_successful: '29m ago',
      detail: 'the last scheduled run has not succeeded; list its Jobs and their pods',
    });
    const never = cronJobRow({ ...cronJob, spec: { ...cronJob.spec, suspend: true } as never, status: {} }, NOW);
    assert.equal(never.status, 'Suspended');
    assert.equal(never.last_schedule, 'never');
    assert.equal(never.detail, undefined);
  });
});

test('newestReplicaSet: the highest revision among those the Deployment controls', () => {
  const replicaSet = (name: string, revision: string, owner = 'web'): V1ReplicaSet => ({
    metadata: {
      name,
      annotations: { 'deployment.kubernetes.io/revision': revision },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: 'u', controller: true }],
    },
  });
  const sets = [replicaSet('web-a', '2'), replicaSet('web-b', '10'), replicaSet('other-c', '99', 'other')];
  assert.equal(newestReplicaSet(sets, 'web')?.metadata?.name, 'web-b');
  assert.equal(newestReplicaSet(sets, 'missing'), undefined);
});
