import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRequest } from '../src/kube/namespace-guard.ts';

const NS = 'team';
const SERVER = 'https://10.0.0.1:443';
const RULES_REVIEW = `${SERVER}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews`;
const ACCESS_REVIEW = `${SERVER}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`;

function allowed(path: string, method = 'GET', body?: unknown): boolean {
  return checkRequest(NS, method, path.startsWith('https://') ? path : `${SERVER}${path}`, body).allowed;
}

function reason(path: string, method = 'GET', body?: unknown): string {
  const verdict = checkRequest(NS, method, path.startsWith('https://') ? path : `${SERVER}${path}`, body);
  assert.equal(verdict.allowed, false, `${method} ${path} should be refused`);
  return verdict.allowed ? '' : verdict.reason;
}

describe('namespace guard: allowed', () => {
  for (const path of [
    '/api/v1/namespaces/team/pods',
    '/api/v1/namespaces/team/pods/web-1',
    '/api/v1/namespaces/team/pods/web-1/log',
    '/api/v1/namespaces/team/events',
    '/api/v1/namespaces/team/configmaps/runbooks',
    '/apis/apps/v1/namespaces/team/deployments',
    '/apis/apps/v1/namespaces/team/deployments/web/scale',
    '/apis/batch/v1/namespaces/team/jobs',
    '/apis/metrics.k8s.io/v1beta1/namespaces/team/pods',
    '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews',
  ]) {
    test(path, () => assert.equal(allowed(path), true));
  }

  test('query strings do not matter', () => {
    assert.equal(allowed('/api/v1/namespaces/team/pods?labelSelector=app%3Dweb&limit=50&watch=true'), true);
    assert.equal(allowed('/api/v1/namespaces/team/pods?x=/../../secrets'), true);
  });

  test('any method on a namespaced path', () => {
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE', 'put']) {
      assert.equal(allowed('/apis/apps/v1/namespaces/team/deployments/web', method), true);
    }
  });

  test('a percent-escaped name that decodes to a plain name is the same path', () => {
    assert.equal(allowed('/api/v1/namespaces/%74eam/pods'), true);
  });
});

describe('namespace guard: refused', () => {
  test('another namespace, core and group', () => {
    assert.match(reason('/api/v1/namespaces/other/pods'), /outside namespace team/);
    assert.match(reason('/apis/apps/v1/namespaces/other/deployments/web'), /outside namespace team/);
  });

  test('a namespace whose name merely starts with ours, or that ours starts with', () => {
    assert.match(reason('/api/v1/namespaces/team-b/pods'), /outside/);
    assert.match(reason('/api/v1/namespaces/tea/pods'), /outside/);
    assert.match(reason('/api/v1/namespaces/teamteam/pods'), /outside/);
    assert.equal(checkRequest('team-b', 'GET', `${SERVER}/api/v1/namespaces/team/pods`).allowed, false);
  });

  for (const path of [
    '/api/v1/nodes',
    '/api/v1/nodes/node-1',
    '/api/v1/namespaces',
    '/api/v1/pods',
    '/apis/apps/v1/deployments',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    '/api/v1/watch/namespaces/team/pods',
    '/api',
    '/apis',
    '/version',
    '/',
    '/healthz',
  ]) {
    test(`cluster-scoped or non-resource: ${path}`, () =>
      assert.match(reason(path), /not a (namespaced|canonical) path/));
  }

  test('the namespace object itself and its subresources', () => {
    assert.match(reason('/api/v1/namespaces/team'), /namespace object itself/);
    assert.match(reason('/api/v1/namespaces/team', 'DELETE'), /namespace object itself/);
    assert.match(reason('/api/v1/namespaces/team/status', 'PUT'), /namespace object itself/);
    assert.match(reason('/api/v1/namespaces/team/finalize', 'PUT'), /namespace object itself/);
  });

  test('secrets, with and without sub-paths, in any group and any case', () => {
    for (const path of [
      '/api/v1/namespaces/team/secrets',
      '/api/v1/namespaces/team/secrets/db',
      '/api/v1/namespaces/team/secrets/db/anything',
      '/apis/v1/v1/namespaces/team/secrets',
      '/api/v1/namespaces/team/Secrets',
      '/api/v1/namespaces/team/SECRETS/db',
    ]) {
      assert.match(reason(path), /secrets are never read/i, path);
    }
  });

  test('not a URL', () => assert.match(reason('https://'), /not a URL/));
});

describe('namespace guard: look-alike paths', () => {
  test('a percent-escaped "secrets" is what the API server decodes it to', () => {
    assert.match(reason('/api/v1/namespaces/team/%73ecrets'), /secrets/);
    assert.match(reason('/api/v1/namespaces/team/%73%65%63%72%65%74%73/db'), /secrets/);
  });

  test('an escaped slash cannot smuggle extra segments past the checks', () => {
    for (const path of [
      '/api/v1/namespaces/team/pods/..%2F..%2Fsecrets%2Fdb',
      '/api/v1/namespaces/team%2Fsecrets/x',
      '/api/v1/namespaces/team/pods%2F..%2F..%2F..%2Fnodes',
      '/api/v1/namespaces/team/pods/web%2F..%2F..%2Fother',
      '/api/v1/namespaces/team/pods/web%5C..%5C..',
      '/api/v1/namespaces/team/pods/%2e%2e%2F%2e%2e%2Fsecrets',
    ]) {
      assert.equal(allowed(path), false, path);
    }
  });

  test('dot segments are resolved before the check, escaped or not', () => {
    assert.match(reason('/api/v1/namespaces/team/pods/../secrets'), /secrets/);
    assert.match(reason('/api/v1/namespaces/team/pods/%2e%2e/%2E%2E/../other/pods'), /outside|namespaced/);
    assert.match(reason('/api/v1/namespaces/team/../../nodes'), /namespaced/);
    assert.match(reason('/api/v1/namespaces/team/./secrets'), /secrets/);
    // A name of ".." comes out of encodeURIComponent unchanged and climbs out of the collection.
    assert.equal(allowed(`/api/v1/namespaces/team/pods/${encodeURIComponent('..')}`), false);
    assert.equal(allowed(`/api/v1/namespaces/team/pods/${encodeURIComponent('../../other/pods/x')}`), false);
  });

  test('empty segments (double slashes) are refused', () => {
    assert.equal(allowed('/api/v1/namespaces//team/pods'), false);
    assert.equal(allowed('//api/v1/namespaces/team/pods'), false);
    assert.equal(allowed('/api/v1/namespaces/team//secrets'), false);
    assert.equal(allowed('/api/v1/namespaces/team/pods//web'), false);
  });

  test('backslashes are slashes', () => {
    assert.match(reason('/api/v1/namespaces/team\\secrets'), /secrets/);
  });

  test('malformed escapes are refused', () => {
    assert.equal(allowed('/api/v1/namespaces/team/pods/%E0%A4%A'), false);
    assert.equal(allowed('/api/v1/namespaces/team/pods/%zz'), false);
  });

  test('the host is not part of the decision, but a query or fragment cannot hide a path', () => {
    assert.equal(allowed('https://10.0.0.1/api/v1/nodes?/api/v1/namespaces/team/pods'), false);
    assert.equal(allowed('https://10.0.0.1/api/v1/nodes#/api/v1/namespaces/team/pods'), false);
  });
});

describe('namespace guard: self reviews', () => {
  const rules = (namespace?: string) => ({ apiVersion: 'authorization.k8s.io/v1', spec: { namespace } });
  const access = (namespace?: string) => ({
    spec: { resourceAttributes: { namespace, verb: 'get', resource: 'pods' } },
  });

  test('POST about our namespace, object or JSON string body', () => {
    assert.equal(allowed(RULES_REVIEW, 'POST', rules(NS)), true);
    assert.equal(allowed(RULES_REVIEW, 'post', JSON.stringify(rules(NS))), true);
    assert.equal(allowed(ACCESS_REVIEW, 'POST', access(NS)), true);
    assert.equal(allowed(ACCESS_REVIEW, 'POST', JSON.stringify(access(NS))), true);
    assert.equal(allowed(`${RULES_REVIEW}?dryRun=All`, 'POST', rules(NS)), true);
  });

  test('only POST', () => {
    for (const method of ['GET', 'DELETE', 'PUT', 'PATCH']) {
      assert.match(reason(RULES_REVIEW, method, rules(NS)), /not a self review/);
    }
  });

  test('about another namespace, or all of them', () => {
    assert.match(reason(RULES_REVIEW, 'POST', rules('other')), /must be about namespace team, not other/);
    assert.match(reason(RULES_REVIEW, 'POST', rules('')), /not all/);
    assert.match(reason(RULES_REVIEW, 'POST', rules()), /not all/);
    assert.match(reason(ACCESS_REVIEW, 'POST', access('other')), /not other/);
    assert.match(reason(ACCESS_REVIEW, 'POST', access('')), /not all/);
    assert.match(
      reason(ACCESS_REVIEW, 'POST', { spec: { nonResourceAttributes: { path: '/', verb: 'get' } } }),
      /not all/,
    );
  });

  test('no body, a body that is not JSON, a body that is not an object', () => {
    assert.equal(allowed(RULES_REVIEW, 'POST'), false);
    assert.equal(allowed(RULES_REVIEW, 'POST', '{not json'), false);
    assert.equal(allowed(RULES_REVIEW, 'POST', '"team"'), false);
    assert.equal(allowed(RULES_REVIEW, 'POST', null), false);
    assert.equal(allowed(RULES_REVIEW, 'POST', { spec: { namespace: ['team'] } }), false);
  });

  test('each review is judged by the field the API server reads', () => {
    // An access review is about resourceAttributes.namespace; a decoy spec.namespace must not pass it.
    const decoy = {
      spec: { namespace: NS, resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } },
    };
    assert.equal(allowed(ACCESS_REVIEW, 'POST', decoy), false);
    // A rules review reads spec.namespace only.
    assert.equal(allowed(RULES_REVIEW, 'POST', { spec: { resourceAttributes: { namespace: NS } } }), false);
  });

  test('other review kinds are cluster-scoped and refused', () => {
    for (const kind of ['subjectaccessreviews', 'selfsubjectreviews']) {
      assert.equal(allowed(`${SERVER}/apis/authorization.k8s.io/v1/${kind}`, 'POST', rules(NS)), false);
    }
    assert.equal(allowed(`${SERVER}/apis/authentication.k8s.io/v1/tokenreviews`, 'POST', rules(NS)), false);
  });

  test('look-alike review paths are not self reviews', () => {
    assert.equal(allowed(`${RULES_REVIEW}/`, 'POST', rules(NS)), false);
    assert.equal(allowed(`${RULES_REVIEW}/x`, 'POST', rules(NS)), false);
    assert.equal(
      allowed(`${SERVER}/apis/authorization.k8s.io/v1/namespaces/../selfsubjectrulesreviews`, 'POST', rules('other')),
      false,
    );
  });
});

describe('namespace guard: reviews of a remote MCP caller', () => {
  const TOKEN_REVIEW = `${SERVER}/apis/authentication.k8s.io/v1/tokenreviews`;
  const SUBJECT_REVIEW = `${SERVER}/apis/authorization.k8s.io/v1/subjectaccessreviews`;
  const tokenReview = (audiences?: unknown) => ({ spec: { token: 'x.y.z', audiences } });
  const subjectReview = (attributes: Record<string, unknown>) => ({
    spec: { user: 'system:serviceaccount:team:agent', resourceAttributes: attributes },
  });
  const tools = { namespace: NS, group: 'podmcp.dev', resource: 'tools', verb: 'use', name: 'list_pods' };

  test('a TokenReview that names its audiences, object or JSON string body', () => {
    assert.equal(allowed(TOKEN_REVIEW, 'POST', tokenReview(['podmcp'])), true);
    assert.equal(allowed(TOKEN_REVIEW, 'POST', JSON.stringify(tokenReview(['podmcp', 'other']))), true);
  });

  test('a TokenReview without audiences would accept API-server tokens: refused', () => {
    assert.match(reason(TOKEN_REVIEW, 'POST', tokenReview()), /must name its spec.audiences/);
    assert.match(reason(TOKEN_REVIEW, 'POST', tokenReview([])), /audiences/);
    assert.match(reason(TOKEN_REVIEW, 'POST', tokenReview([''])), /audiences/);
    assert.match(reason(TOKEN_REVIEW, 'POST', tokenReview('podmcp')), /audiences/);
    assert.match(reason(TOKEN_REVIEW, 'POST', tokenReview([7])), /audiences/);
    assert.equal(allowed(TOKEN_REVIEW, 'POST'), false);
    assert.equal(allowed(TOKEN_REVIEW, 'POST', '{not json'), false);
  });

  test('a SubjectAccessReview on tools.podmcp.dev in our namespace', () => {
    assert.equal(allowed(SUBJECT_REVIEW, 'POST', subjectReview(tools)), true);
    assert.equal(allowed(SUBJECT_REVIEW, 'POST', JSON.stringify(subjectReview({ ...tools, name: undefined }))), true);
  });

  test('a SubjectAccessReview about another namespace, group or resource, or non-resource: refused', () => {
    assert.match(reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, namespace: 'other' })), /not other/);
    assert.match(reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, namespace: '' })), /not all/);
    assert.match(reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, namespace: undefined })), /not all/);
    assert.match(reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, group: '' })), /tools.podmcp.dev/);
    assert.match(reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, group: 'apps' })), /tools.podmcp.dev/);
    assert.match(
      reason(SUBJECT_REVIEW, 'POST', subjectReview({ ...tools, group: '', resource: 'secrets' })),
      /tools.podmcp.dev/,
    );
    assert.match(
      reason(SUBJECT_REVIEW, 'POST', { spec: { nonResourceAttributes: { path: '/', verb: 'get' } } }),
      /resource attributes only/,
    );
    assert.match(
      reason(SUBJECT_REVIEW, 'POST', {
        spec: { resourceAttributes: tools, nonResourceAttributes: { path: '/', verb: 'get' } },
      }),
      /resource attributes only/,
    );
    assert.equal(allowed(SUBJECT_REVIEW, 'POST'), false);
  });

  test('only POST, and only these exact paths', () => {
    for (const method of ['GET', 'DELETE', 'PUT', 'PATCH']) {
      assert.match(reason(TOKEN_REVIEW, method, tokenReview(['podmcp'])), /not a review/);
      assert.match(reason(SUBJECT_REVIEW, method, subjectReview(tools)), /not a review/);
    }
    assert.equal(allowed(`${TOKEN_REVIEW}/x`, 'POST', tokenReview(['podmcp'])), false);
    assert.equal(allowed(`${SUBJECT_REVIEW}/`, 'POST', subjectReview(tools)), false);
    assert.equal(
      allowed(`${SERVER}/apis/authentication.k8s.io/v1beta1/tokenreviews`, 'POST', tokenReview(['podmcp'])),
      false,
    );
    assert.equal(
      allowed(`${SERVER}/apis/authorization.k8s.io/v1/selfsubjectreviews`, 'POST', tokenReview(['p'])),
      false,
    );
  });
});
