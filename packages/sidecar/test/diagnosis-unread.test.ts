/**
 * What failed when a part of a diagnosis could not be read, on plain objects: the errors are what the
 * Kubernetes client throws, read by the sidecar's own describeKubeError, as diagnose sees them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import {
  blameApiRead,
  blameLogRead,
  buildDiagnosis,
  examinedPods,
  renderDiagnosis,
  unreadEventsFinding,
  unreadLogFindings,
} from '../src/diagnosis/index.ts';
import { describeKubeError } from '../src/kube/errors.ts';
import { deployment, NOW, pod, READ_ONLY } from './diagnosis-fixtures.ts';

/** The API server's answer when it could not dial a kubelet for pods/log (a 500 in Go's own words). */
const KUBELET_REFUSED =
  'Get "https://10.0.0.5:10250/containerLogs/shop/web-1/app?previous=true": dial tcp 10.0.0.5:10250: connect: connection refused';

function apiError(code: number, message: string) {
  return new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ message, reason: 'InternalError' }), {});
}

function rejected(error: unknown) {
  return { status: 'rejected' as const, reason: describeKubeError(error, 'pod "web-1"') };
}

const networkError = new TypeError('fetch failed', {
  cause: Object.assign(new Error('connect ECONNREFUSED 10.96.0.1:443'), { code: 'ECONNREFUSED' }),
});

describe('blameLogRead', () => {
  test('the API server answered that it could not reach the kubelet: the kubelet, in the API server’s words', () => {
    const blame = blameLogRead(rejected(apiError(500, KUBELET_REFUSED)), 'node-1', true);
    assert.equal(blame?.component, 'kubelet');
    assert.equal(blame?.why, `the API server could not reach the kubelet on node node-1 (${KUBELET_REFUSED})`);
  });

  test('a TLS handshake that timed out on the API server’s side is the kubelet too', () => {
    const error = apiError(
      500,
      'Get "https://10.0.0.5:10250/containerLogs/shop/web-1/app": net/http: TLS handshake timeout',
    );
    assert.equal(blameLogRead(rejected(error), 'node-1', true)?.component, 'kubelet');
  });

  test('a read that outlived its deadline while the API server answered the rest: the kubelet', () => {
    assert.deepEqual(blameLogRead({ status: 'timed-out', afterMs: 3_000 }, 'node-1', true), {
      component: 'kubelet',
      why: 'the kubelet on node node-1 did not answer within 3 s (the API server answered the other reads)',
    });
  });

  test('a read that outlived its deadline while the API server failed the rest: the API server', () => {
    assert.deepEqual(blameLogRead({ status: 'timed-out', afterMs: 3_000 }, 'node-1', false), {
      component: 'api-server',
      why: 'the API server did not answer within 3 s',
    });
  });

  test('the API server itself unreachable or failing in its own words: the API server', () => {
    const refused = blameLogRead(rejected(networkError), 'node-1', true);
    assert.equal(refused?.component, 'api-server');
    assert.match(refused?.why ?? '', /^The Kubernetes API server is unreachable \(ECONNREFUSED\)/);
    const failing = blameLogRead(rejected(apiError(503, 'etcdserver: leader changed')), 'node-1', true);
    assert.deepEqual(failing, { component: 'api-server', why: 'etcdserver: leader changed' });
  });

  test('refusals and missing objects are nobody failing: no blame (the log note says why)', () => {
    assert.equal(blameLogRead(rejected(apiError(403, 'pods "web-1" is forbidden')), 'node-1', true), undefined);
    assert.equal(blameLogRead(rejected(apiError(404, 'pods "web-1" not found')), 'node-1', true), undefined);
  });
});

describe('blameApiRead', () => {
  test('silence, unreachability and 5xx are the API server’s; a refusal is not', () => {
    assert.equal(
      blameApiRead({ status: 'timed-out', afterMs: 8_000 })?.why,
      'the API server did not answer within 8 s',
    );
    assert.equal(blameApiRead(rejected(networkError))?.component, 'api-server');
    assert.equal(blameApiRead(rejected(apiError(500, 'etcd timeout')))?.why, 'etcd timeout');
    assert.equal(blameApiRead(rejected(apiError(403, 'events is forbidden'))), undefined);
  });
});

describe('unread parts as findings', () => {
  const kubelet = { component: 'kubelet' as const, why: 'the kubelet on node node-1 did not answer within 3 s' };

  test('one finding per failing kubelet, naming each log it kept back', () => {
    const findings = unreadLogFindings([
      { pod: 'web-1', container: 'app', node: 'node-1', blame: kubelet },
      { pod: 'web-2', container: 'app', node: 'node-1', blame: kubelet },
      { pod: 'web-3', container: 'app', node: 'node-2', blame: { ...kubelet, why: 'on node-2' } },
    ]);
    assert.deepEqual(findings, [
      {
        severity: 'warning',
        code: 'kubelet-unreachable',
        text: 'log of web-1/app, web-2/app not read: the kubelet on node node-1 did not answer within 3 s — the rest of this diagnosis stands',
        pods: ['web-1', 'web-2'],
        container: 'app',
      },
      {
        severity: 'warning',
        code: 'kubelet-unreachable',
        text: 'log of web-3/app not read: on node-2 — the rest of this diagnosis stands',
        pods: ['web-3'],
        container: 'app',
      },
    ]);
  });

  test('the diagnosis keeps its own findings and adds the unread part after them, with advice', () => {
    const crashing = pod('web-1', {
      ready: false,
      statuses: [
        {
          name: 'app',
          image: 'registry.example/app:1.0',
          imageID: '',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    });
    const diagnosis = buildDiagnosis({
      target: 'Deployment/web',
      workload: { kind: 'Deployment', name: 'web', object: deployment({ available: 1 }) },
      pods: [crashing],
      examined: examinedPods([crashing], 5, NOW),
      events: [],
      eventsWindowMinutes: 60,
      maxEvents: 8,
      logs: new Map(),
      tools: READ_ONLY,
      now: NOW,
      unread: [
        ...unreadLogFindings([{ pod: 'web-1', container: 'app', node: 'node-1', blame: kubelet }]),
        unreadEventsFinding({ component: 'api-server', why: 'the API server did not answer within 8 s' }),
      ],
    });
    assert.equal(diagnosis.healthy, false);
    assert.deepEqual(
      diagnosis.findings.map((finding) => finding.code),
      ['crash-loop', 'replicas-unavailable', 'kubelet-unreachable', 'api-server-unreachable'],
    );
    assert.ok(
      diagnosis.next_steps.some((step) => step.startsWith('The node’s kubelet, not the API server, failed')),
      diagnosis.next_steps.join('\n'),
    );
    const text = renderDiagnosis(diagnosis, 'shop', NOW);
    assert.ok(
      text.includes(
        '! warning events not read: the API server did not answer within 8 s — the other findings come without them',
      ),
      text,
    );
  });
});
