import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { formatAge, toIso } from '../src/format/age.ts';
import { podRow, podStatus, readyCount, renderTable, restartCount } from '../src/format/pods.ts';

const running: V1ContainerState = { running: { startedAt: new Date('2024-05-01T10:00:00Z') } };
const waiting = (reason?: string): V1ContainerState => ({ waiting: reason === undefined ? {} : { reason } });
const terminated = (fields: { exitCode: number; reason?: string; signal?: number }): V1ContainerState => ({
  terminated: fields,
});

function status(name: string, state: V1ContainerState, extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name, image: 'app:1', imageID: '', ready: false, restartCount: 0, state, ...extra };
}

const condition = (type: string, value: 'True' | 'False' = 'True', reason?: string): V1PodCondition => ({
  type,
  status: value,
  reason,
});

interface PodShape {
  containers?: string[];
  init?: string[];
  sidecars?: string[];
  phase?: string;
  reason?: string;
  statuses?: V1ContainerStatus[];
  initStatuses?: V1ContainerStatus[];
  conditions?: V1PodCondition[];
  deleting?: boolean;
}

function pod(shape: PodShape = {}): V1Pod {
  const initContainers = [
    ...(shape.sidecars ?? []).map((name) => ({ name, image: 'proxy:1', restartPolicy: 'Always' })),
    ...(shape.init ?? []).map((name) => ({ name, image: 'init:1' })),
  ];
  return {
    metadata: {
      name: 'web-7d9c8b5f6-x2x4z',
      creationTimestamp: new Date('2024-05-01T10:00:00Z'),
      deletionTimestamp: shape.deleting ? new Date('2024-05-01T11:00:00Z') : undefined,
    },
    spec: {
      containers: (shape.containers ?? ['app']).map((name) => ({ name, image: 'app:1' })),
      initContainers: initContainers.length > 0 ? initContainers : undefined,
    },
    status: {
      phase: shape.phase ?? 'Running',
      reason: shape.reason,
      containerStatuses: shape.statuses,
      initContainerStatuses: shape.initStatuses,
      conditions: shape.conditions,
    },
  };
}

describe('podStatus', () => {
  test('the phase when nothing is more telling', () => {
    assert.equal(podStatus(pod({ statuses: [status('app', running, { ready: true })] })), 'Running');
    assert.equal(podStatus(pod({ phase: 'Pending' })), 'Pending');
    assert.equal(podStatus({ metadata: { name: 'x' } }), 'Unknown');
  });

  test('the pod reason over the phase (Evicted), unless empty', () => {
    assert.equal(podStatus(pod({ phase: 'Failed', reason: 'Evicted' })), 'Evicted');
    assert.equal(podStatus(pod({ phase: 'Pending', reason: '' })), 'Pending');
  });

  test('scheduling gates', () => {
    assert.equal(
      podStatus(pod({ phase: 'Pending', conditions: [condition('PodScheduled', 'False', 'SchedulingGated')] })),
      'SchedulingGated',
    );
  });

  test('Terminating while deleted, but not once finished, and Unknown for a lost node', () => {
    assert.equal(
      podStatus(pod({ deleting: true, statuses: [status('app', running, { ready: true })] })),
      'Terminating',
    );
    assert.equal(
      podStatus(pod({ deleting: true, statuses: [status('app', waiting('CrashLoopBackOff'))] })),
      'Terminating',
    );
    assert.equal(
      podStatus(
        pod({
          deleting: true,
          phase: 'Succeeded',
          statuses: [status('app', terminated({ exitCode: 0, reason: 'Completed' }))],
        }),
      ),
      'Completed',
    );
    assert.equal(podStatus(pod({ deleting: true, reason: 'NodeLost' })), 'Unknown');
  });

  test('a waiting reason wins over the phase', () => {
    for (const reason of [
      'CrashLoopBackOff',
      'ImagePullBackOff',
      'ErrImagePull',
      'ContainerCreating',
      'CreateContainerConfigError',
    ]) {
      assert.equal(podStatus(pod({ statuses: [status('app', waiting(reason))] })), reason);
    }
    assert.equal(
      podStatus(pod({ phase: 'Pending', statuses: [status('app', waiting())] })),
      'Pending',
      'no reason given',
    );
  });

  test('terminated: the reason, else the signal, else the exit code', () => {
    const one = (state: V1ContainerState) => podStatus(pod({ statuses: [status('app', state)] }));
    assert.equal(one(terminated({ exitCode: 137, reason: 'OOMKilled' })), 'OOMKilled');
    assert.equal(one(terminated({ exitCode: 0, reason: 'Completed' })), 'Completed');
    assert.equal(one(terminated({ exitCode: 1, reason: 'Error' })), 'Error');
    assert.equal(one(terminated({ exitCode: 137, signal: 9 })), 'Signal:9');
    assert.equal(one(terminated({ exitCode: 3 })), 'ExitCode:3');
    assert.equal(one(terminated({ exitCode: 3, reason: '' })), 'ExitCode:3');
  });

  test('several containers: the first one with something to say wins, as in kubectl', () => {
    assert.equal(
      podStatus(
        pod({
          containers: ['app', 'log-shipper'],
          statuses: [
            status('app', waiting('CrashLoopBackOff')),
            status('log-shipper', terminated({ exitCode: 0, reason: 'Completed' })),
          ],
        }),
      ),
      'CrashLoopBackOff',
    );
    assert.equal(
      podStatus(
        pod({
          containers: ['app', 'proxy'],
          statuses: [status('app', running, { ready: true }), status('proxy', waiting('ImagePullBackOff'))],
        }),
      ),
      'ImagePullBackOff',
    );
  });

  test('a finished container next to a running one: Running when ready, NotReady otherwise', () => {
    const statuses = [
      status('migrate', terminated({ exitCode: 0, reason: 'Completed' })),
      status('app', running, { ready: true }),
    ];
    assert.equal(
      podStatus(pod({ containers: ['migrate', 'app'], statuses, conditions: [condition('Ready')] })),
      'Running',
    );
    assert.equal(
      podStatus(pod({ containers: ['migrate', 'app'], statuses, conditions: [condition('Ready', 'False')] })),
      'NotReady',
    );
  });

  test('init containers: progress, failures, waiting reasons', () => {
    const done = (name: string) => status(name, terminated({ exitCode: 0, reason: 'Completed' }));
    const init = ['migrate', 'seed'];
    assert.equal(
      podStatus(pod({ phase: 'Pending', init, initStatuses: [done('migrate'), status('seed', running)] })),
      'Init:1/2',
    );
    assert.equal(
      podStatus(
        pod({
          phase: 'Pending',
          init,
          initStatuses: [status('migrate', waiting('PodInitializing')), status('seed', waiting('PodInitializing'))],
        }),
      ),
      'Init:0/2',
    );
    assert.equal(
      podStatus(
        pod({
          phase: 'Pending',
          init,
          initStatuses: [status('migrate', waiting('CrashLoopBackOff'), { restartCount: 4 })],
        }),
      ),
      'Init:CrashLoopBackOff',
    );
    assert.equal(
      podStatus(
        pod({
          phase: 'Pending',
          init,
          initStatuses: [status('migrate', terminated({ exitCode: 1, reason: 'Error' }))],
        }),
      ),
      'Init:Error',
    );
    assert.equal(
      podStatus(pod({ phase: 'Pending', init, initStatuses: [status('migrate', terminated({ exitCode: 2 }))] })),
      'Init:ExitCode:2',
    );
    assert.equal(
      podStatus(
        pod({ phase: 'Pending', init, initStatuses: [status('migrate', terminated({ exitCode: 137, signal: 9 }))] }),
      ),
      'Init:Signal:9',
    );
    assert.equal(
      podStatus(
        pod({
          init,
          initStatuses: [done('migrate'), done('seed')],
          statuses: [status('app', running, { ready: true })],
        }),
      ),
      'Running',
      'all init containers done',
    );
  });

  test('native sidecars (init containers with restartPolicy Always) are not initialization', () => {
    const proxy = status('proxy', running, { ready: true, started: true });
    assert.equal(
      podStatus(
        pod({
          sidecars: ['proxy'],
          init: ['migrate'],
          initStatuses: [proxy, status('migrate', terminated({ exitCode: 0, reason: 'Completed' }))],
          statuses: [status('app', running, { ready: true })],
        }),
      ),
      'Running',
    );
    assert.equal(
      podStatus(
        pod({
          phase: 'Pending',
          sidecars: ['proxy'],
          init: ['migrate'],
          initStatuses: [proxy, status('migrate', running)],
        }),
      ),
      'Init:1/2',
    );
    assert.equal(
      podStatus(
        pod({
          sidecars: ['proxy'],
          initStatuses: [status('proxy', running, { ready: true, started: true })],
          statuses: [status('app', waiting('CrashLoopBackOff'))],
        }),
      ),
      'CrashLoopBackOff',
    );
  });
});

describe('readyCount and restartCount', () => {
  test('ready over the declared containers', () => {
    assert.equal(
      readyCount(
        pod({ containers: ['a', 'b'], statuses: [status('a', running, { ready: true }), status('b', running)] }),
      ),
      '1/2',
    );
    assert.equal(readyCount(pod({ containers: ['a', 'b'] })), '0/2', 'no statuses yet');
    assert.equal(readyCount({ metadata: {} }), '0/0');
  });

  test('native sidecars count, as kubectl counts them', () => {
    const shape = {
      sidecars: ['proxy'],
      initStatuses: [status('proxy', running, { ready: true, started: true })],
      statuses: [status('app', running, { ready: true })],
    };
    assert.equal(readyCount(pod(shape)), '2/2');
    assert.equal(readyCount(pod({ ...shape, initStatuses: [status('proxy', waiting('CrashLoopBackOff'))] })), '1/2');
  });

  test('restarts of the containers and the sidecars', () => {
    assert.equal(
      restartCount(
        pod({
          containers: ['a', 'b'],
          sidecars: ['proxy'],
          initStatuses: [status('proxy', running, { restartCount: 1, started: true, ready: true })],
          statuses: [status('a', running, { restartCount: 3 }), status('b', running, { restartCount: 2 })],
        }),
      ),
      6,
    );
    assert.equal(restartCount({}), 0);
  });

  test('an init container that failed before succeeding is history once the pod runs, but counts while it initializes', () => {
    const retried = status('migrate', terminated({ exitCode: 0, reason: 'Completed' }), { restartCount: 2 });
    assert.equal(
      restartCount(
        pod({ init: ['migrate'], initStatuses: [retried], statuses: [status('app', running, { ready: true })] }),
      ),
      0,
    );
    assert.equal(
      restartCount(
        pod({
          phase: 'Pending',
          init: ['migrate'],
          initStatuses: [status('migrate', waiting('CrashLoopBackOff'), { restartCount: 5 })],
        }),
      ),
      5,
    );
  });
});

describe('podRow', () => {
  test('every column, the controller as owner', () => {
    const value = pod({ statuses: [status('app', running, { ready: true, restartCount: 1 })] });
    value.spec = { ...value.spec, containers: value.spec?.containers ?? [], nodeName: 'node-1' };
    value.status = { ...value.status, podIP: '10.0.0.7' };
    value.metadata = {
      ...value.metadata,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: '1' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c8b5f6', uid: '2', controller: true },
      ],
    };
    assert.deepEqual(podRow(value, new Date('2024-05-01T13:20:00Z')), {
      name: 'web-7d9c8b5f6-x2x4z',
      ready: '1/1',
      status: 'Running',
      restarts: 1,
      age: '3h20m',
      node: 'node-1',
      ip: '10.0.0.7',
      owner: 'ReplicaSet/web-7d9c8b5f6',
    });
  });

  test('a bare pod: no owner, no node, unknown age', () => {
    const row = podRow({ metadata: { name: 'debug' }, spec: { containers: [{ name: 'c' }] } }, new Date());
    assert.deepEqual(row, {
      name: 'debug',
      ready: '0/1',
      status: 'Unknown',
      restarts: 0,
      age: '?',
      node: undefined,
      ip: undefined,
      owner: undefined,
    });
    assert.equal(podRow({}, new Date()).name, '?');
  });

  test('an owner without a controller flag: the first one', () => {
    const value = pod();
    value.metadata = {
      ...value.metadata,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '1' }],
    };
    assert.equal(podRow(value, new Date()).owner, 'Job/j');
  });
});

describe('renderTable', () => {
  test('columns padded to the widest cell, two spaces apart, no trailing spaces', () => {
    const table = renderTable(
      ['NAME', 'READY', 'STATUS', 'NODE'],
      [
        ['web-1', '1/1', 'Running', 'node-a'],
        ['web-long-name-2', '0/1', 'CrashLoopBackOff', ''],
      ],
    );
    assert.equal(
      table,
      [
        'NAME             READY  STATUS            NODE',
        'web-1            1/1    Running           node-a',
        'web-long-name-2  0/1    CrashLoopBackOff',
      ].join('\n'),
    );
    for (const line of table.split('\n')) assert.equal(line, line.trimEnd());
  });

  test('columns start at the same offset on every line', () => {
    const table = renderTable(
      ['A', 'B', 'C'],
      [
        ['xxxxxxx', 'y', 'z'],
        ['x', 'yyyyyy', 'zz'],
      ],
    );
    assert.equal(table, ['A        B       C', 'xxxxxxx  y       z', 'x        yyyyyy  zz'].join('\n'));
  });

  test('no rows: the header alone', () => {
    assert.equal(renderTable(['NAME', 'STATUS'], []), 'NAME  STATUS');
  });
});

describe('formatAge', () => {
  const now = new Date('2024-05-10T12:00:00Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

  test('seconds up to two minutes, then minutes, hours (with minutes under 10h), days', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [45, '45s'],
      [119, '119s'],
      [120, '2m'],
      [59 * 60 + 59, '59m'],
      [3600, '1h'],
      [3 * 3600 + 20 * 60, '3h20m'],
      [9 * 3600 + 59 * 60, '9h59m'],
      [10 * 3600 + 5 * 60, '10h'],
      [23 * 3600 + 59 * 60, '23h'],
      [24 * 3600, '1d'],
      [5 * 86400 + 3600, '5d'],
      [400 * 86400, '400d'],
    ];
    for (const [seconds, expected] of cases) assert.equal(formatAge(ago(seconds), now), expected, `${seconds}s`);
  });

  test('strings, the future (clock skew), missing and unparseable timestamps', () => {
    assert.equal(formatAge('2024-05-10T11:59:15Z', now), '45s');
    assert.equal(formatAge(new Date(now.getTime() + 30_000), now), '0s');
    assert.equal(formatAge(undefined, now), '?');
    assert.equal(formatAge('not a date', now), '?');
    assert.equal(formatAge(new Date(Number.NaN), now), '?');
  });

  test('toIso', () => {
    assert.equal(toIso('2024-05-10T12:00:00+02:00'), '2024-05-10T10:00:00.000Z');
    assert.equal(toIso(now), '2024-05-10T12:00:00.000Z');
    assert.equal(toIso(undefined), undefined);
    assert.equal(toIso('garbage'), undefined);
  });
});
