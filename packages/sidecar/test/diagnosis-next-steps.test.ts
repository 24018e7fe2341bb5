import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { AdviceState } from '../src/diagnosis/advice-context.ts';
import { FINDING_CODES, type FindingCode, type LogExcerpt, renderStep, stepsFor } from '../src/diagnosis/index.ts';
import { ADVICE, type AdviceContext } from '../src/diagnosis/next-steps.ts';
import type { Step } from '../src/diagnosis/steps.ts';
import { hasPreviousInstance } from '../src/format/containers.ts';
import { parseObjectFilter } from '../src/format/events.ts';
import { RESOURCE_KINDS } from '../src/kube/resource-kinds.ts';
import { parseWorkloadReference } from '../src/kube/workloads.ts';
import { TOOL_DEFINITIONS } from '../src/tools/catalog.ts';
import { ago, deployment, pod, running } from './diagnosis-fixtures.ts';

const POD = 'web-7d9c-aaaaa';
const KINDS = new Set<string>(RESOURCE_KINDS.map((kind) => kind.name));
const OTHER = 'web-7d9c-bbbbb';

/** One pod named POD whose container app is in `status`; `bound: false` leaves it on no node. */
function podWith(status: Partial<V1ContainerStatus>, bound = true): V1Pod {
  const base = pod(POD, { ready: false, statuses: [running('app', { ready: false, ...status })] });
  return bound
    ? base
    : { ...base, spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: undefined } };
}

const crashLooping = {
  restartCount: 4,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(2) } },
};
const excerpt = (source: 'previous' | 'current', lines: string[], note?: string): LogExcerpt => ({
  container: 'app',
  source,
  lines,
  note,
});
const logsOf = (log?: LogExcerpt) => new Map(log ? [[`${POD}/app`, log]] : []);

/** The states a finding's container can be in, as diagnose would hand them to advice. */
const STATES: Readonly<Record<string, AdviceState>> = {
  'crash-looping, previous log read': {
    pods: [podWith(crashLooping)],
    logs: logsOf(excerpt('previous', ['panic: boom'])),
  },
  'crash-looping, previous log gone': {
    pods: [podWith(crashLooping)],
    logs: logsOf(excerpt('current', ['starting'], 'the previous instance’s log is gone; this is the current instance')),
  },
  'crash-looping, log not read': { pods: [podWith(crashLooping)], logs: logsOf() },
  'exited once, never restarted (a failed Job)': {
    pods: [podWith({ state: { terminated: { exitCode: 2, reason: 'Error' } } })],
    logs: logsOf(),
  },
  'exited, log read': {
    pods: [podWith({ state: { terminated: { exitCode: 2, reason: 'Error' } } })],
    logs: logsOf(excerpt('current', ['exit 2'])),
  },
  'log unreadable (its node did not answer)': {
    pods: [podWith({ state: { terminated: { exitCode: 2, reason: 'Error' } } })],
    logs: logsOf(excerpt('current', [], 'no log: the kubelet on node-1 did not answer')),
  },
  'running, never restarted': { pods: [podWith({})], logs: logsOf() },
  'waiting to start': {
    pods: [podWith({ state: { waiting: { reason: 'CreateContainerConfigError' } } })],
    logs: logsOf(),
  },
  'on no node': { pods: [podWith({ state: { waiting: { reason: 'ContainerCreating' } } }, false)], logs: logsOf() },
  "this sidecar's own pod, with health and metrics endpoints": {
    pods: [pod(POD), pod(OTHER)],
    logs: logsOf(),
    self: { pod: POD, appEndpoints: new Set(['health', 'metrics']) },
  },
  'another pod than this sidecar’s': {
    pods: [podWith({}), pod(OTHER)],
    logs: logsOf(),
    self: { pod: OTHER, appEndpoints: new Set(['health', 'metrics']) },
  },
  'a Deployment at revision 3': {
    pods: [podWith({})],
    logs: logsOf(),
    workload: { kind: 'Deployment', name: 'web', object: revision(3) },
  },
  'a Deployment at its first revision': {
    pods: [podWith({})],
    logs: logsOf(),
    workload: { kind: 'Deployment', name: 'web', object: revision(1) },
  },
  'no pods': { pods: [], logs: logsOf() },
};

function revision(number: number) {
  const object = deployment({ available: 0 });
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { 'deployment.kubernetes.io/revision': `${number}` } },
  };
}

const WORKLOADS = [
  'Deployment/web',
  'StatefulSet/db',
  'DaemonSet/agent',
  'Job/batch-1',
  'CronJob/nightly',
  `Pod/${POD}`,
];
const TEXTS = [
  `container app cannot start in pod ${POD}: CreateContainerConfigError — couldn't find key LEVEL in ConfigMap shop/app-config`,
  `container app cannot start in pod ${POD}: CreateContainerConfigError — configmap "app-config" not found`,
  `container app cannot start in pod ${POD}: CreateContainerConfigError — secret "db-password" not found`,
  `container app cannot start in pod ${POD}: RunContainerError — exec: "serve": executable file not found in $PATH`,
  'anything else',
];

/** Every step of every code, in every state, for every workload kind and text, with and without a pod. */
function* everyStep(): Generator<{ code: FindingCode; state: string; placed: boolean; step: Step }> {
  for (const code of FINDING_CODES) {
    for (const [name, state] of Object.entries(STATES)) {
      for (const workload of WORKLOADS) {
        for (const text of TEXTS) {
          for (const placed of [{ pods: [POD], container: 'app' }, {}]) {
            for (const step of stepsFor({ code, text, ...placed }, workload, state)) {
              yield { code, state: name, placed: 'pods' in placed, step };
            }
          }
        }
      }
    }
  }
}

describe('every next step is a call that works as written', () => {
  test("every tool step's arguments pass that tool's input schema", () => {
    let calls = 0;
    for (const { code, state, step } of everyStep()) {
      if (!step.tool) continue;
      calls += 1;
      const parsed = TOOL_DEFINITIONS[step.tool].input.safeParse(step.args);
      assert.ok(parsed.success, `${code} (${state}): ${renderStep(step)}: ${parsed.error?.message}`);
      assert.ok(renderStep(step).startsWith(`${step.tool} {`), renderStep(step));
    }
    assert.ok(calls > 1000, `${calls} calls checked`);
  });

  test('workload and object references are ones the tools resolve', () => {
    for (const { code, step } of everyStep()) {
      if (step.tool === 'list_pods' || step.tool === 'rollback_deployment') {
        const parsed = parseWorkloadReference(step.args.workload);
        assert.ok(!('error' in parsed) && !parsed.self, `${code}: ${renderStep(step)}`);
      }
      if (step.tool === 'list_events') {
        assert.ok(!('error' in parseObjectFilter(step.args.object)), `${code}: ${renderStep(step)}`);
      }
      if (step.tool === 'get_resources') assert.ok(KINDS.has(step.args.kind), `${code}: ${renderStep(step)}`);
    }
  });

  test('a previous log only of a container that restarted, and no log of a pod on no node or an unreadable log', () => {
    for (const { code, state, placed, step } of everyStep()) {
      if (step.tool !== 'get_pod_logs') continue;
      const shown = `${code} (${state}): ${renderStep(step)}`;
      // Named, never the default (this sidecar's own pod): the finding's pod, or for the healthy finding (which
      // names none) a ready pod of the workload.
      if (placed && code !== 'healthy') assert.equal(step.args.pod, POD, shown);
      const target = STATES[state]?.pods.find((item) => item.metadata?.name === step.args.pod);
      assert.ok(target?.spec?.nodeName, `${shown}: the pod runs on a node`);
      if (step.args.previous) assert.ok(hasPreviousInstance(target, step.args.container ?? ''), shown);
      assert.notEqual(state, 'log unreadable (its node did not answer)', shown);
      assert.notEqual(state, 'waiting to start', shown);
      if (step.args.previous) assert.notEqual(state, 'crash-looping, previous log gone', shown);
    }
  });

  test('inspect_app only for this sidecar’s own pod, at the endpoints its workload named', () => {
    for (const { code, state, placed, step } of everyStep()) {
      if (step.tool !== 'inspect_app') continue;
      const { pods = [], self } = STATES[state] ?? {};
      const shown = `${code} (${state}): ${renderStep(step)}`;
      // A finding in a pod: that pod must be this sidecar's; about the whole workload: one of its pods.
      if (placed) assert.equal(self?.pod, POD, shown);
      else
        assert.ok(
          pods.some((item) => item.metadata?.name === self?.pod),
          shown,
        );
    }
    const onlyHealth: AdviceState = {
      pods: [podWith({})],
      logs: logsOf(),
      self: { pod: POD, appEndpoints: new Set(['health']) },
    };
    const steps = stepsFor({ code: 'oom-killed', pods: [POD], container: 'app' }, 'Deployment/web', onlyHealth);
    assert.ok(!steps.some((step) => step.tool === 'inspect_app'), 'no metrics endpoint, no metrics call');
  });

  test('rollback only of a Deployment that has an earlier revision', () => {
    const rollbacks = (state: string) =>
      stepsFor({ code: 'rollout-stuck' }, 'Deployment/web', STATES[state] as AdviceState).filter(
        (step) => step.tool === 'rollback_deployment',
      );
    assert.deepEqual(
      rollbacks('a Deployment at revision 3').map((step) => step.args),
      [{ workload: 'Deployment/web', reason: 'rollout of Deployment/web is stuck', dry_run: true }],
    );
    assert.deepEqual(rollbacks('a Deployment at its first revision'), []);
    assert.deepEqual(rollbacks('no pods'), []);
  });
});

describe('the log a crash points at', () => {
  const crash = (state: string, code: FindingCode = 'crash-loop') =>
    stepsFor({ code, pods: [POD], container: 'app' }, 'Deployment/web', STATES[state] as AdviceState).map(renderStep);

  test('its previous instance, when the diagnosis read it', () => {
    assert.equal(
      crash('crash-looping, previous log read')[0],
      `get_pod_logs {pod: "${POD}", container: "app", previous: true} — the crashed instance's last output (its tail is included below; raise tail_lines for more)`,
    );
    assert.equal(
      crash('crash-looping, log not read')[0],
      `get_pod_logs {pod: "${POD}", container: "app", previous: true} — the crashed instance's last output`,
    );
  });

  test('the current log, when the kubelet no longer has the previous one', () => {
    assert.equal(
      crash('crash-looping, previous log gone')[0],
      `get_pod_logs {pod: "${POD}", container: "app"} — the current instance’s output (the crashed instance’s log is gone; its tail is included below; raise tail_lines for more)`,
    );
  });

  test('the log of a container that exited without restarting: no previous instance to ask for', () => {
    for (const code of ['exited-with-error', 'oom-killed'] as const) {
      const logs = crash('exited once, never restarted (a failed Job)', code).filter((step) =>
        step.startsWith('get_pod_logs'),
      );
      assert.deepEqual(logs, [`get_pod_logs {pod: "${POD}", container: "app"} — the container’s last output`], code);
    }
  });

  test('none when the diagnosis could not read it, or the container never ran', () => {
    for (const state of ['log unreadable (its node did not answer)', 'waiting to start', 'on no node']) {
      assert.ok(!crash(state).some((step) => step.startsWith('get_pod_logs')), state);
    }
  });

  test('then the definition of its workload, by kind and name', () => {
    const steps = stepsFor(
      { code: 'crash-loop', pods: ['db-0'], container: 'db' },
      'StatefulSet/db',
      STATES['no pods'] as AdviceState,
    );
    assert.deepEqual(
      steps.map((step) => [step.tool, step.args]),
      [['get_resources', { kind: 'statefulsets', name: 'db' }]],
    );
  });
});

describe('a container that cannot start', () => {
  const steps = (text: string) =>
    stepsFor({ code: 'cannot-start', text, pods: [POD], container: 'app' }, 'Deployment/web', {
      pods: [],
      logs: new Map(),
    });

  test('a missing key: the keys the ConfigMap has', () => {
    assert.deepEqual(steps(TEXTS[0] ?? '').map(renderStep), [
      'get_resources {kind: "configmaps", name: "app-config"} — the keys ConfigMap app-config has (the container asks for LEVEL)',
    ]);
  });

  test('a missing ConfigMap: the ones that exist, since reading it by name would fail', () => {
    assert.deepEqual(steps(TEXTS[1] ?? '').map(renderStep), [
      'get_resources {kind: "configmaps"} — ConfigMap app-config does not exist; the ConfigMaps that do',
    ]);
  });

  test('a missing Secret: advice, since this sidecar never reads Secrets', () => {
    const [step] = steps(TEXTS[2] ?? '');
    assert.equal(step?.tool, undefined);
    assert.match(step?.text ?? '', /^Create Secret db-password, or fix the reference in Deployment\/web/);
  });

  test('anything else: the container’s definition in its workload', () => {
    assert.deepEqual(
      steps(TEXTS[3] ?? '').map((step) => [step.tool, step.args]),
      [['get_resources', { kind: 'deployments', name: 'web' }]],
    );
  });
});

describe('a healthy workload', () => {
  test('the errors of one of its running pods, named, and this sidecar’s app health when it is one of them', () => {
    const own = STATES["this sidecar's own pod, with health and metrics endpoints"] as AdviceState;
    assert.deepEqual(stepsFor({ code: 'healthy' }, 'Deployment/web', own).map(renderStep), [
      'inspect_app {aspect: "health"} — the app’s own health, if users still report a problem',
      `get_pod_logs {pod: "${POD}", grep: "error|exception"} — errors the app logged without crashing`,
    ]);
    const other = STATES['another pod than this sidecar’s'] as AdviceState;
    assert.deepEqual(
      stepsFor({ code: 'healthy' }, 'Deployment/web', other).map((step) => [step.tool, step.args]),
      [
        ['inspect_app', { aspect: 'health' }],
        ['get_pod_logs', { pod: OTHER, grep: 'error|exception' }],
      ],
      "this sidecar's own pod is the one read, since inspect_app reaches only its app",
    );
    assert.deepEqual(stepsFor({ code: 'healthy' }, 'Deployment/web', STATES['no pods'] as AdviceState), []);
  });
});

describe('the advice table', () => {
  const context: AdviceContext = {
    text: 'anything',
    workload: 'Deployment/web',
    pod: 'web-1',
    container: 'app',
    log: { previous: true, current: true, previousGone: false, included: false },
    readyPod: 'web-1',
    app: new Set(['health', 'metrics']),
    canRollBack: true,
  };

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
