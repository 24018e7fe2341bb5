import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rolloutStatus } from '../src/diagnosis/index.ts';
import type { Rollout } from '../src/diagnosis/model.ts';
import {
  cronJobSuspended,
  jobFailed,
  ROLLOUT_RULES,
  type RolloutFacts,
  replicaFailure,
  replicaShortfall,
  rolloutFindings,
  rolloutPace,
  rolloutStuck,
} from '../src/diagnosis/rollout-findings.ts';
import { deployment } from './diagnosis-fixtures.ts';

describe('rolloutStatus', () => {
  test('a rollout in progress', () => {
    const status = rolloutStatus('Deployment', 'web', deployment({ desired: 3, updated: 1, available: 2 }));
    assert.equal(status.summary, '2/3 ready, 1 up to date, 2 available; rollout in progress');
  });

  test('rolled out but not all available is not "in progress"', () => {
    const status = rolloutStatus('Deployment', 'web', deployment({ desired: 3, available: 1 }));
    assert.equal(status.summary, '1/3 ready, 3 up to date, 1 available; rolled out, 2 unavailable');
  });

  test('a change the controller has not seen yet', () => {
    const object = deployment();
    object.metadata = { ...object.metadata, generation: 3 };
    assert.match(rolloutStatus('Deployment', 'web', object).summary, /latest change not yet seen by the controller$/);
  });
});

describe('rollout rules', () => {
  const rollout = (overrides: Partial<Rollout> = {}): Rollout => ({
    workload: 'Deployment/web',
    desired: 2,
    updated: 2,
    ready: 2,
    available: 2,
    summary: '',
    stuck: false,
    conditions: [],
    ...overrides,
  });
  const facts = (overrides: Partial<Rollout> = {}, extra: Partial<RolloutFacts> = {}): RolloutFacts => ({
    kind: 'Deployment',
    object: deployment(),
    rollout: rollout(overrides),
    podCount: 2,
    ...extra,
  });

  test('rolloutStuck: with the Progressing message', () => {
    const stuck = facts({
      stuck: true,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }],
    });
    assert.deepEqual(rolloutStuck(stuck), {
      severity: 'error',
      code: 'rollout-stuck',
      text: 'rollout stuck: ProgressDeadlineExceeded — timed out',
    });
    assert.equal(rolloutStuck(facts()), undefined);
  });

  test('replicaFailure: the controller cannot create pods', () => {
    const failing = facts({
      conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota exceeded' }],
    });
    assert.deepEqual(replicaFailure(failing), {
      severity: 'error',
      code: 'replica-failure',
      text: 'Deployment/web cannot create pods: FailedCreate — quota exceeded',
    });
    assert.equal(replicaFailure(facts({ conditions: [{ type: 'ReplicaFailure', status: 'False' }] })), undefined);
  });

  test('jobFailed: only for a Job', () => {
    const failed = { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
    assert.deepEqual(jobFailed(facts({ ...failed, workload: 'Job/migrate' }, { kind: 'Job' })), {
      severity: 'error',
      code: 'job-failed',
      text: 'Job/migrate failed: BackoffLimitExceeded',
    });
    assert.equal(jobFailed(facts(failed)), undefined);
  });

  test('cronJobSuspended: a note', () => {
    const cron = (suspend: boolean): Partial<RolloutFacts> => ({
      kind: 'CronJob',
      object: { spec: { schedule: '@daily', suspend, jobTemplate: {} } },
    });
    assert.deepEqual(cronJobSuspended(facts({ workload: 'CronJob/nightly' }, cron(true))), {
      severity: 'info',
      code: 'rollout-paused',
      text: 'CronJob/nightly is suspended',
    });
    assert.equal(cronJobSuspended(facts({}, cron(false))), undefined);
  });

  test('replicaShortfall: scaled to zero, else no pods, else fewer available', () => {
    assert.equal(replicaShortfall(facts({ desired: 0 }, { podCount: 0 }))?.code, 'scaled-to-zero');
    assert.equal(replicaShortfall(facts({ available: 0 }, { podCount: 0 }))?.code, 'no-pods');
    assert.deepEqual(replicaShortfall(facts({ available: 1 })), {
      severity: 'warning',
      code: 'replicas-unavailable',
      text: 'only 1/2 replicas available',
    });
    assert.equal(replicaShortfall(facts()), undefined);
    assert.equal(replicaShortfall(facts({ available: 0 }, { kind: 'Job', podCount: 0 })), undefined, 'a Job');
  });

  test('rolloutPace: paused, else in progress unless stuck', () => {
    assert.equal(rolloutPace(facts({ paused: true, updated: 1 }))?.code, 'rollout-paused');
    assert.deepEqual(rolloutPace(facts({ updated: 1 })), {
      severity: 'info',
      code: 'rollout-in-progress',
      text: 'rollout in progress: 1/2 replicas on the new version',
    });
    assert.equal(rolloutPace(facts({ updated: 1, stuck: true })), undefined);
    assert.equal(rolloutPace(facts()), undefined);
  });

  test('the rules run in order, each that holds adding its finding', () => {
    assert.deepEqual(ROLLOUT_RULES, [
      rolloutStuck,
      replicaFailure,
      jobFailed,
      cronJobSuspended,
      replicaShortfall,
      rolloutPace,
    ]);
    const both = facts({ stuck: true, available: 1, updated: 1, conditions: [] });
    assert.deepEqual(
      rolloutFindings(both).map((finding) => finding.code),
      ['rollout-stuck', 'replicas-unavailable'],
    );
  });
});
