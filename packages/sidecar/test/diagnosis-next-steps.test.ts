import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FINDING_CODES, type LogExcerpt, renderStep, stepsFor } from '../src/diagnosis/index.ts';
import { ADVICE } from '../src/diagnosis/next-steps.ts';
import { TOOL_DEFINITIONS } from '../src/tools/catalog.ts';

describe('diagnoses that finish in one call', () => {
  describe('every next step carries arguments its tool accepts', () => {
    const workloads = ['Deployment/web', 'StatefulSet/db', 'Job/batch-1', 'CronJob/nightly', 'Pod/web-7d9c-aaaaa'];
    const texts = [
      "container app cannot start in pod web-1: CreateContainerConfigError — couldn't find key LEVEL in ConfigMap shop/app-config",
      'container app cannot start in pod web-1: CreateContainerConfigError — configmap "app-config" not found',
      'anything else',
    ];
    const logs = new Map<string, LogExcerpt>();
    for (const code of FINDING_CODES) {
      for (const workload of workloads) {
        test(`${code} for ${workload}`, () => {
          for (const text of texts) {
            for (const pods of [['web-7d9c-aaaaa'], undefined]) {
              const steps = stepsFor({ code, text, pods, container: pods ? 'app' : undefined }, workload, logs);
              for (const step of steps) {
                if (!step.tool) continue;
                const tool = TOOL_DEFINITIONS[step.tool as keyof typeof TOOL_DEFINITIONS];
                assert.ok(tool, `${step.tool} is a tool`);
                const parsed = tool.input.safeParse(step.args ?? {});
                assert.ok(parsed.success, `${renderStep(step)}: ${parsed.error?.message}`);
                assert.ok(renderStep(step).startsWith(`${step.tool} {`), renderStep(step));
              }
            }
          }
        });
      }
    }
    test('a missing ConfigMap key points at that ConfigMap', () => {
      const [step] = stepsFor({ code: 'cannot-start', text: texts[0] }, 'Deployment/web', logs);
      assert.equal(step?.tool, 'get_resources');
      assert.deepEqual(step?.args, { kind: 'configmaps', name: 'app-config' });
    });
    test('a crash points at its workload’s definition, kind and name', () => {
      const steps = stepsFor({ code: 'crash-loop', pods: ['db-0'], container: 'db' }, 'StatefulSet/db', logs);
      assert.deepEqual(
        steps.map((step) => step.args),
        [
          { pod: 'db-0', container: 'db', previous: true },
          { kind: 'statefulsets', name: 'db' },
        ],
      );
    });
  });
});

describe('the advice table', () => {
  const context = { text: 'anything', workload: 'Deployment/web', pod: 'web-1', container: 'app', haveLog: false };

  test('has an entry for every finding code and for nothing else', () => {
    assert.deepEqual(Object.keys(ADVICE).sort(), [...FINDING_CODES].sort());
  });

  test('every step says why in its own words; tool steps carry arguments, advice carries none', () => {
    for (const code of FINDING_CODES) {
      for (const step of ADVICE[code](context)) {
        assert.ok(step.text.trim().length > 0, `${code}: a step without text`);
        if (step.tool) assert.equal(typeof step.args, 'object', `${code}: ${step.tool} without arguments`);
        else assert.equal(step.args, undefined, `${code}: advice with arguments`);
      }
    }
  });

  test('only these codes give no step, each on purpose', () => {
    const silent = FINDING_CODES.filter((code) => ADVICE[code](context).length === 0);
    assert.deepEqual(silent, ['node-lost', 'rollout-in-progress', 'rollout-paused', 'scaled-to-zero', 'more-findings']);
  });
});
