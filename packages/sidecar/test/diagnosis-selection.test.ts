import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { examinedPods, logTargets, podProblemScore } from '../src/diagnosis/index.ts';
import { diagnoseWith, NOW, pod, running } from './diagnosis-fixtures.ts';

describe('choosing pods', () => {
  const crash = (name: string, restarts: number) =>
    pod(name, {
      ready: false,
      statuses: [
        running('app', { ready: false, restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff' } } }),
      ],
    });

  test('the worst first, at most max, healthy pods never', () => {
    const pods = [
      pod('healthy'),
      crash('crash-a', 1),
      pod('unready', { ready: false, statuses: [running('app', { ready: false })] }),
      crash('crash-b', 9),
    ];
    assert.deepEqual(
      examinedPods(pods, 2, NOW).map((item) => item.metadata?.name),
      ['crash-b', 'crash-a'],
    );
    assert.equal(podProblemScore(pods[0] as V1Pod, NOW), 0);
  });

  test('the rest of the unhealthy pods are named in the summary', () => {
    const pods = [crash('crash-a', 1), crash('crash-b', 2), crash('crash-c', 3)];
    const diagnosis = diagnoseWith(pods, { examined: examinedPods(pods, 1, NOW) });
    assert.deepEqual(diagnosis.pods_summary.others_unhealthy, ['crash-a', 'crash-b']);
    assert.deepEqual(diagnosis.pods_summary.by_status, { CrashLoopBackOff: 3 });
  });

  test('a named pod is examined even when healthy', () => {
    const pods = [pod('web-7d9c-aaaaa')];
    assert.equal(examinedPods(pods, 5, NOW, 'web-7d9c-aaaaa').length, 1);
  });

  test('log tails are capped in number', () => {
    const pods = [crash('a', 1), crash('b', 1), crash('c', 1), crash('d', 1)];
    assert.equal(logTargets(pods, 3).length, 3);
  });
});
