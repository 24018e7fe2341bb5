import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fitDiagnosis } from '../src/diagnosis/index.ts';
import { diagnoseWith, pod, running, warning } from './diagnosis-fixtures.ts';

describe('fitDiagnosis', () => {
  test('drops log lines, events and pods until the answer fits, and says what went', () => {
    const crashing = (name: string) =>
      pod(name, {
        ready: false,
        statuses: [
          running('app', {
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'm'.repeat(200) } },
            lastState: { terminated: { exitCode: 1, reason: 'Error' } },
          }),
        ],
      });
    const pods = Array.from({ length: 5 }, (_, index) => crashing(`web-7d9c-${'abcde'.charAt(index).repeat(5)}`));
    const logs = new Map(
      pods.map((item) => [
        `${item.metadata?.name}/app`,
        { container: 'app', source: 'previous' as const, lines: Array.from({ length: 30 }, () => 'x'.repeat(60)) },
      ]),
    );
    const events = pods.map((item) => warning(item.metadata?.name ?? '', 'BackOff', 'b'.repeat(240)));
    const full = diagnoseWith(pods, { logs, events });
    const budget = 8 * 1024;
    assert.ok(Buffer.byteLength(JSON.stringify(full)) > budget);
    const fitted = fitDiagnosis(full, budget);
    assert.ok(Buffer.byteLength(JSON.stringify(fitted)) <= budget);
    assert.ok((fitted.trimmed?.length ?? 0) > 0);
    assert.equal(fitted.trimmed?.[0], 'log tails shortened to 10 lines');
    assert.deepEqual(fitted.findings, full.findings, 'findings are never trimmed');
    assert.deepEqual(fitDiagnosis(full, 1_000_000), full, 'an answer that fits is left alone');
  });
});
