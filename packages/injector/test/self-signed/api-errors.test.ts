import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { describeApiError, KubernetesApiError, kubernetesCall } from '../../src/self-signed/api-errors.ts';

describe('describeApiError', () => {
  test("an API status: the action, the HTTP code and reason, and the API server's explanation", () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Forbidden',
      message: 'leases.coordination.k8s.io "podmcp-injector-cert" is forbidden: User "x" cannot get resource "leases"',
      code: 403,
    });
    const error = describeApiError('get Lease ns/podmcp-injector-cert', new ApiException(403, 'Forbidden', body, {}));
    assert.ok(error instanceof KubernetesApiError);
    assert.equal(error.code, 403);
    assert.match(
      error.message,
      /^cannot get Lease ns\/podmcp-injector-cert: HTTP 403 Forbidden: leases\.coordination\.k8s\.io .* cannot get resource "leases"; the injector's ServiceAccount lacks the RBAC/,
    );
  });

  test('no answer at all: says so, with the network error', () => {
    const failure = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const error = describeApiError('get Secret ns/tls', failure);
    assert.equal(error.code, undefined);
    assert.equal(error.message, 'cannot get Secret ns/tls: the API server did not answer: fetch failed (ECONNREFUSED)');
  });

  test('kubernetesCall passes results through and rewords failures once', async () => {
    assert.equal(await kubernetesCall('get x', async () => 42), 42);
    await assert.rejects(
      kubernetesCall('outer', () => kubernetesCall('get y', () => Promise.reject(new ApiException(404, 'x', '', {})))),
      (error: KubernetesApiError) => error.code === 404 && error.message.startsWith('cannot get y: HTTP 404'),
    );
  });
});
