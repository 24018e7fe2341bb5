import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { IssueDraft } from '../src/diagnosis/issue.ts';
import { containersOf } from '../src/diagnosis/pod-facts.ts';
import { POD_ISSUE_RULES, podIssues } from '../src/diagnosis/pod-issues.ts';
import {
  type ContainerFacts,
  cannotStart,
  crashLoop,
  evicted,
  exitedWithError,
  imagePull,
  nodeLost,
  notReady,
  oomKilled,
  type PodFacts,
  type ProbeFacts,
  pendingTooLong,
  probeFailing,
  restarted,
  startedAfterProbes,
  stuckTerminating,
  unschedulable,
} from '../src/diagnosis/pod-rules.ts';
import { ago, NOW, pod, running, warning } from './diagnosis-fixtures.ts';

function podFacts(subject: V1Pod, extra: Partial<PodFacts> = {}): PodFacts {
  return {
    pod: subject,
    name: subject.metadata?.name ?? '?',
    events: [],
    windowMinutes: 60,
    now: NOW,
    explained: new Set(),
    ...extra,
  };
}

function containerFacts(subject: V1Pod, extra: Partial<PodFacts> = {}): ContainerFacts {
  const entry = containersOf(subject).find((item) => item.name === 'app');
  assert.ok(entry?.status, 'the pod has an app container with a status');
  return { ...podFacts(subject, extra), entry, status: entry.status };
}

function probeFacts(failure: Partial<ProbeFacts['failure']>, resolved: boolean): ProbeFacts {
  return {
    ...podFacts(pod('web-1')),
    failure: { probe: 'readiness', container: 'app', count: 3, message: 'Readiness probe failed: 503', ...failure },
    resolved,
  };
}

/** The issue's key, code and severity, and its text as seen in one pod with `most` restarts. */
function seen(draft: IssueDraft | undefined, most = 0) {
  assert.ok(draft, 'the rule fires');
  return { key: draft.key, code: draft.code, severity: draft.severity, text: draft.describe('in pod web-1', most) };
}

const crashLooping = (lastReason = 'Error', exitCode = 1) =>
  pod('web-1', {
    ready: false,
    memoryLimit: '64Mi',
    statuses: [
      running('app', {
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode, reason: lastReason, finishedAt: ago(3) } },
      }),
    ],
  });

const waitingFor = (reason: string, message?: string) =>
  pod('web-1', {
    phase: 'Pending',
    ready: false,
    statuses: [running('app', { ready: false, state: { waiting: { reason, message } } })],
  });

describe('pod rules', () => {
  test('evicted: the kubelet’s message, keyed by it', () => {
    const subject = pod('web-1', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on memory.' });
    assert.deepEqual(seen(evicted(podFacts(subject))), {
      key: 'evicted|The node was low on memory.',
      code: 'evicted',
      severity: 'warning',
      text: 'pod evicted in pod web-1: The node was low on memory.',
    });
    assert.equal(evicted(podFacts(pod('web-1'))), undefined);
  });

  test('nodeLost: phase Unknown', () => {
    assert.deepEqual(seen(nodeLost(podFacts(pod('web-1', { phase: 'Unknown' })))), {
      key: 'node-lost',
      code: 'node-lost',
      severity: 'error',
      text: 'pod status Unknown in pod web-1: its node stopped reporting',
    });
    assert.equal(nodeLost(podFacts(pod('web-1'))), undefined);
  });

  test('stuckTerminating: past its grace period and a minute, with its finalizers', () => {
    const deleted = (minutes: number) => {
      const subject = pod('web-1');
      subject.metadata = { ...subject.metadata, deletionTimestamp: ago(minutes), finalizers: ['x/y'] };
      return subject;
    };
    assert.deepEqual(seen(stuckTerminating(podFacts(deleted(10)))), {
      key: 'terminating|web-1',
      code: 'stuck-terminating',
      severity: 'warning',
      text: 'pod stuck Terminating for 10m in pod web-1 (finalizers: x/y)',
    });
    assert.equal(stuckTerminating(podFacts(deleted(1))), undefined, 'within 30 s grace + 60 s');
  });

  test('unschedulable: the scheduler’s condition message, its reason when not plain Unschedulable', () => {
    const subject = pod('web-1', {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulerError', message: '0/1 nodes fit.' }],
    });
    assert.deepEqual(seen(unschedulable(podFacts(subject))), {
      key: 'unschedulable|0/1 nodes fit.',
      code: 'unschedulable',
      severity: 'error',
      text: 'Pending: cannot be scheduled in pod web-1: 0/1 nodes fit. (SchedulerError)',
    });
    assert.equal(unschedulable(podFacts(pod('web-1', { phase: 'Pending' }))), undefined, 'scheduled');
  });

  test('unschedulable: without a condition message, the FailedScheduling event’s', () => {
    const subject = pod('web-1', {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
    });
    const events = [warning('web-1', 'FailedScheduling', 'no nodes')];
    assert.equal(
      seen(unschedulable(podFacts(subject, { events }))).text,
      'Pending: cannot be scheduled in pod web-1: no nodes',
    );
  });

  test('pendingTooLong: past two minutes, naming what the containers wait for', () => {
    const subject = waitingFor('ContainerCreating');
    assert.deepEqual(seen(pendingTooLong(podFacts(subject))), {
      key: 'pending|web-1',
      code: 'pending',
      severity: 'warning',
      text: 'Pending for 30m in pod web-1 (containers waiting: ContainerCreating)',
    });
    assert.equal(pendingTooLong(podFacts(subject, { now: ago(28) })), undefined, 'within the grace period');
    assert.equal(pendingTooLong(podFacts(subject, { explained: new Set(['app']) })), undefined, 'already explained');
    assert.equal(pendingTooLong(podFacts(pod('web-1'))), undefined, 'running');
  });
});

describe('container rules', () => {
  test('oomKilled: the memory limit, the most restarts, and a crash loop after it', () => {
    assert.deepEqual(seen(oomKilled(containerFacts(crashLooping('OOMKilled', 137))), 9), {
      key: 'oom|app|64Mi',
      code: 'oom-killed',
      severity: 'error',
      text: 'container app was OOMKilled in pod web-1 (9 restarts; memory limit 64Mi), now in CrashLoopBackOff',
    });
    assert.equal(oomKilled(containerFacts(crashLooping())), undefined, 'an ordinary error exit');
  });

  test('crashLoop: CrashLoopBackOff with its last exit', () => {
    const draft = crashLoop(containerFacts(crashLooping()));
    assert.equal(draft?.restarts, 4);
    assert.deepEqual(seen(draft, 4), {
      key: 'crash|app|Error (exit 1)',
      code: 'crash-loop',
      severity: 'error',
      text: 'container app is crash-looping (CrashLoopBackOff) in pod web-1: 4 restarts, last exit Error (exit 1)',
    });
    assert.equal(crashLoop(containerFacts(pod('web-1'))), undefined);
  });

  test('imagePull: the image and the registry’s answer', () => {
    const subject = waitingFor('ErrImagePull', 'rpc error: manifest unknown');
    assert.deepEqual(seen(imagePull(containerFacts(subject))), {
      key: 'image|app|registry.example/app:1.0',
      code: 'image-pull',
      severity: 'error',
      text: 'image pull failing for container app (registry.example/app:1.0) in pod web-1: ErrImagePull — rpc error: manifest unknown',
    });
    assert.equal(imagePull(containerFacts(waitingFor('ContainerCreating'))), undefined);
  });

  test('cannotStart: the kubelet’s reason and message', () => {
    const subject = waitingFor('CreateContainerConfigError', 'configmap "web" not found');
    assert.deepEqual(seen(cannotStart(containerFacts(subject))), {
      key: 'start|app|CreateContainerConfigError|configmap "web" not found',
      code: 'cannot-start',
      severity: 'error',
      text: 'container app cannot start in pod web-1: CreateContainerConfigError — configmap "web" not found',
    });
    assert.equal(cannotStart(containerFacts(waitingFor('ErrImagePull'))), undefined);
  });

  test('exitedWithError: a non-zero exit, not a clean one', () => {
    const exited = (exitCode: number) =>
      pod('web-1', {
        phase: 'Failed',
        statuses: [running('app', { ready: false, state: { terminated: { exitCode, reason: 'Error' } } })],
      });
    assert.deepEqual(seen(exitedWithError(containerFacts(exited(2)))), {
      key: 'exit|app|Error (exit 2)',
      code: 'exited-with-error',
      severity: 'error',
      text: 'container app exited with Error (exit 2) in pod web-1',
    });
    assert.equal(exitedWithError(containerFacts(exited(0))), undefined);
  });

  test('restarted: a note with the last exit and when', () => {
    const subject = pod('web-1', {
      statuses: [
        running('app', {
          restartCount: 1,
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(12) } },
        }),
      ],
    });
    assert.deepEqual(seen(restarted(containerFacts(subject)), 1), {
      key: 'restart|app|Error (exit 1)',
      code: 'restarted',
      severity: 'info',
      text: 'container app restarted in pod web-1 (1 restart; last exit Error (exit 1) 12m ago)',
    });
    assert.equal(restarted(containerFacts(pod('web-1'))), undefined);
  });

  test('notReady: running, not ready, and not explained already', () => {
    const subject = pod('web-1', { ready: false, statuses: [running('app', { ready: false })] });
    assert.deepEqual(seen(notReady(containerFacts(subject))), {
      key: 'not-ready|app',
      code: 'not-ready',
      severity: 'warning',
      text: 'container app is running but not ready in pod web-1 (no probe failure events in the last 60 min)',
    });
    assert.equal(notReady(containerFacts(subject, { explained: new Set(['app']) })), undefined);
    assert.equal(notReady(containerFacts(pod('web-1'))), undefined, 'ready');
  });
});

describe('probe rules', () => {
  test('startedAfterProbes: a resolved startup failure is a note', () => {
    assert.deepEqual(seen(startedAfterProbes(probeFacts({ probe: 'startup', count: 1 }, true))), {
      key: 'started-after-probes|app',
      code: 'startup-probe',
      severity: 'info',
      text: 'container app started after 1 failed startup probe in pod web-1 (resolved; the container is ready)',
    });
    assert.equal(startedAfterProbes(probeFacts({ probe: 'startup' }, false)), undefined, 'unresolved');
    assert.equal(startedAfterProbes(probeFacts({ probe: 'readiness' }, true)), undefined, 'not a startup probe');
  });

  test('probeFailing: what the failure costs, by probe', () => {
    assert.deepEqual(seen(probeFailing(probeFacts({}, false))), {
      key: 'probe|readiness|app|Readiness probe failed: 503',
      code: 'readiness-probe',
      severity: 'warning',
      text: 'readiness probe failing for container app in pod web-1 (3× in 60 min): Readiness probe failed: 503 — the pod gets no Service traffic meanwhile',
    });
    const liveness = seen(probeFailing(probeFacts({ probe: 'liveness', message: 'timeout' }, false)));
    assert.equal(liveness.code, 'liveness-probe');
    assert.match(liveness.text, / — the kubelet restarts the container when it keeps failing$/);
    const startup = seen(
      probeFailing(probeFacts({ probe: 'startup', message: 'refused', container: undefined }, false)),
    );
    assert.equal(startup.code, 'startup-probe');
    assert.equal(startup.text, 'startup probe failing in pod web-1 (3× in 60 min): refused');
    assert.equal(seen(probeFailing(probeFacts({ probe: 'probe' }, false))).code, 'readiness-probe');
    assert.equal(probeFailing(probeFacts({}, true)), undefined, 'resolved');
  });
});

describe('the ordered table', () => {
  const codesOf = (subject: V1Pod, events: CoreV1Event[] = []) =>
    podIssues(subject, events, 60, NOW).map((issue) => issue.code);

  test('lists its groups and rules in evaluation order', () => {
    assert.deepEqual(
      POD_ISSUE_RULES.map((group) => [group.over, group.match, group.rules.map((entry) => entry.rule.name)]),
      [
        ['pod', 'all', ['evicted', 'nodeLost', 'stuckTerminating']],
        ['container', 'first', ['oomKilled', 'crashLoop', 'imagePull', 'cannotStart', 'exitedWithError', 'restarted']],
        ['probe failure', 'first', ['startedAfterProbes', 'probeFailing']],
        ['container', 'first', ['notReady']],
        ['pod', 'first', ['unschedulable', 'pendingTooLong']],
      ],
    );
  });

  test('every pod rule that holds reports', () => {
    const subject = pod('web-1', { phase: 'Unknown', reason: 'Evicted' });
    assert.deepEqual(codesOf(subject), ['evicted', 'node-lost']);
  });

  test('per container, the first rule that holds is the cause', () => {
    assert.deepEqual(codesOf(crashLooping('OOMKilled', 137)), ['oom-killed']);
    assert.deepEqual(codesOf(crashLooping()), ['crash-loop']);
  });

  test('a cause explains the container: it is not also "not ready"', () => {
    const oomUnready = pod('web-1', {
      ready: false,
      statuses: [
        running('app', {
          ready: false,
          restartCount: 1,
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        }),
      ],
    });
    assert.deepEqual(codesOf(oomUnready), ['oom-killed']);
    const restartedUnready = pod('web-1', {
      ready: false,
      statuses: [
        running('app', { ready: false, restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }),
      ],
    });
    assert.deepEqual(codesOf(restartedUnready), ['restarted', 'not-ready'], 'a restart is a note, not a cause');
  });

  test('a failing probe explains the container; a resolved one reports nothing unless it was a startup probe', () => {
    const unready = pod('web-1', { ready: false, statuses: [running('app', { ready: false })] });
    const probe = warning('web-1', 'Unhealthy', 'Readiness probe failed: 503', { fieldPath: 'spec.containers{app}' });
    assert.deepEqual(codesOf(unready, [probe]), ['readiness-probe']);
    const ready = pod('web-1', {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(10) }],
      statuses: [running('app')],
    });
    const early = { firstTimestamp: ago(20), lastTimestamp: ago(20) };
    assert.deepEqual(codesOf(ready, [{ ...probe, ...early }]), []);
    const startup = warning('web-1', 'Unhealthy', 'Startup probe failed: refused', {
      ...early,
      fieldPath: 'spec.containers{app}',
    });
    assert.deepEqual(codesOf(ready, [startup]), ['startup-probe']);
  });

  test('a Pending pod is unschedulable first; "pending too long" only when nothing explains it', () => {
    const notPlaced = pod('web-1', {
      phase: 'Pending',
      statuses: [],
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no nodes' }],
    });
    notPlaced.metadata = { ...notPlaced.metadata, creationTimestamp: ago(60) };
    assert.deepEqual(codesOf(notPlaced), ['unschedulable']);
    assert.deepEqual(codesOf(waitingFor('ErrImagePull')), ['image-pull']);
    assert.deepEqual(codesOf(waitingFor('ContainerCreating')), ['pending']);
  });

  test('issues are tied to their pod', () => {
    assert.deepEqual(
      podIssues(crashLooping(), [], 60, NOW).map((issue) => [issue.pod, issue.container]),
      [['web-1', 'app']],
    );
  });
});
