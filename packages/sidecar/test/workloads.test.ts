import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelSelectorText, parseWorkloadReference } from '../src/kube/workloads.ts';

describe('parseWorkloadReference', () => {
  test('every alias of every kind', () => {
    const cases: Record<string, string> = {
      deploy: 'Deployment',
      deployment: 'Deployment',
      deployments: 'Deployment',
      sts: 'StatefulSet',
      statefulset: 'StatefulSet',
      statefulsets: 'StatefulSet',
      ds: 'DaemonSet',
      daemonset: 'DaemonSet',
      daemonsets: 'DaemonSet',
      job: 'Job',
      jobs: 'Job',
      cj: 'CronJob',
      cronjob: 'CronJob',
      cronjobs: 'CronJob',
      rs: 'ReplicaSet',
      replicaset: 'ReplicaSet',
      replicasets: 'ReplicaSet',
    };
    for (const [alias, kind] of Object.entries(cases)) {
      assert.deepEqual(parseWorkloadReference(`${alias}/web`), { self: false, kind, name: 'web' }, alias);
    }
  });

  test('kinds are case-insensitive, as kubectl takes them', () => {
    assert.deepEqual(parseWorkloadReference('Deployment/web'), { self: false, kind: 'Deployment', name: 'web' });
    assert.deepEqual(parseWorkloadReference('STS/db-0'), { self: false, kind: 'StatefulSet', name: 'db-0' });
  });

  test('a bare name is a Deployment', () => {
    assert.deepEqual(parseWorkloadReference('web'), { self: false, kind: 'Deployment', name: 'web' });
    assert.deepEqual(parseWorkloadReference('  api-v2.internal  '), {
      self: false,
      kind: 'Deployment',
      name: 'api-v2.internal',
    });
  });

  test('self, empty and blank mean this workload', () => {
    for (const text of ['self', '', '   ', ' self ']) assert.deepEqual(parseWorkloadReference(text), { self: true });
  });

  test('unknown kinds name the choices', () => {
    for (const text of ['pod/web-1', 'svc/web', '/web', 'deployment.apps.x/web']) {
      const parsed = parseWorkloadReference(text);
      assert.ok('error' in parsed, text);
      assert.match(parsed.error, /^unknown workload kind ".*"; use "self"/);
      assert.match(parsed.error, /deploy, sts, ds, job, cronjob, rs/);
    }
  });

  test('names that are not Kubernetes object names', () => {
    for (const text of [
      'deploy/',
      'deploy/Web',
      'deploy/web/extra',
      'deploy/-web',
      'deploy/web-',
      'deploy/web_1',
      'deploy/..',
      'deploy/../../api/v1/nodes',
      'deploy/web%2Fx',
      `deploy/${'a'.repeat(254)}`,
      'Web',
      'web app',
    ]) {
      const parsed = parseWorkloadReference(text);
      assert.ok('error' in parsed, text);
      assert.match(parsed.error, /is not a valid object name/, text);
    }
    assert.deepEqual(parseWorkloadReference(`deploy/${'a'.repeat(253)}`), {
      self: false,
      kind: 'Deployment',
      name: 'a'.repeat(253),
    });
    assert.deepEqual(parseWorkloadReference('deploy/a'), { self: false, kind: 'Deployment', name: 'a' });
  });
});

describe('labelSelectorText', () => {
  test('matchLabels', () => {
    assert.equal(
      labelSelectorText({ matchLabels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' } }),
      'app=web,app.kubernetes.io/part-of=shop',
    );
  });

  test('all four matchExpressions operators, after matchLabels', () => {
    assert.equal(
      labelSelectorText({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'canary', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
      'app=web,tier in (frontend,edge),env notin (dev),canary,!legacy',
    );
  });

  test('empty selector selects everything', () => {
    assert.equal(labelSelectorText({}), '');
    assert.equal(labelSelectorText({ matchLabels: {}, matchExpressions: [] }), '');
  });
});
