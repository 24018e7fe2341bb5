import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { ToolFailure } from '../src/failure.ts';
import { describeKubeError, isNotFound } from '../src/kube/errors.ts';
import { NamespaceViolation } from '../src/kube/namespaced-kube.ts';

/** What @kubernetes/client-node throws for a non-2xx answer: the body is the response text. */
function apiError(code: number, status?: { message?: string; reason?: string } | string, headers = {}) {
  const body = typeof status === 'string' ? status : status === undefined ? undefined : JSON.stringify(status);
  return new ApiException(code, 'Unknown API Status Code!', body, headers);
}

function networkError(code: string, message = `connect ${code} 10.96.0.1:443`) {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

describe('describeKubeError: API status codes', () => {
  test('404: not found, naming the thing and the namespace scope', () => {
    const failure = describeKubeError(
      apiError(404, { message: 'pods "web-9" not found', reason: 'NotFound' }),
      'pod "web-9"',
    );
    assert.equal(failure.kind, 'not-found');
    assert.equal(failure.message, 'pod "web-9" was not found in this namespace.');
    assert.equal(isNotFound(apiError(404)), true);
    assert.equal(isNotFound(apiError(403)), false);
    assert.equal(isNotFound(new Error('x')), false);
  });

  test('403: the API server message, and who can fix it', () => {
    const message =
      'deployments.apps "web" is forbidden: User "system:serviceaccount:team:podmcp" cannot patch resource "deployments" in API group "apps" in the namespace "team"';
    const failure = describeKubeError(apiError(403, { message, reason: 'Forbidden' }), 'deployment "web"');
    assert.equal(failure.kind, 'forbidden');
    assert.ok(failure.message.includes(message));
    assert.match(failure.message, /ServiceAccount lacks that permission/);
    assert.match(failure.message, /Role in this namespace/);
  });

  test('401: credentials, without the raw exception text', () => {
    // The client throws a 401 with no body and the response headers in its message.
    const error = new ApiException(401, 'Unauthorized', undefined, { 'audit-id': 'abc', 'content-type': 'x' });
    const failure = describeKubeError(error, 'pods');
    assert.equal(failure.kind, 'forbidden');
    assert.match(failure.message, /did not accept the sidecar's credentials \(401: Unauthorized\)/);
    assert.match(failure.message, /token may have expired/);
    assert.doesNotMatch(failure.message, /HTTP-Code|Headers|audit-id/);
  });

  test('409: conflict, read again', () => {
    const failure = describeKubeError(
      apiError(409, {
        message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified',
      }),
      'deployment "web"',
    );
    assert.equal(failure.kind, 'conflict');
    assert.match(
      failure.message,
      /^Conflict on deployment "web": Operation cannot be fulfilled.*Read it again and retry\.$/,
    );
  });

  test('422 and 400: invalid, with the API server reason', () => {
    const invalid = describeKubeError(
      apiError(422, { message: 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1' }),
      'deployment "web"',
    );
    assert.equal(invalid.kind, 'invalid');
    assert.equal(
      invalid.message,
      'The API server rejected the request: Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1',
    );
    const bad = describeKubeError(apiError(400, { message: 'Unable to parse continue token' }), 'pods');
    assert.equal(bad.kind, 'invalid');
    assert.match(bad.message, /Unable to parse continue token/);
  });

  test('429: throttled, retry shortly', () => {
    const failure = describeKubeError(apiError(429, { message: 'Too many requests' }), 'pods');
    assert.equal(failure.kind, 'rate-limited');
    assert.match(failure.message, /throttling requests: Too many requests\. Retry shortly\./);
  });

  test('5xx: the API server failed, retry', () => {
    for (const code of [500, 502, 503, 504]) {
      const failure = describeKubeError(apiError(code, { message: 'etcdserver: request timed out' }), 'pods');
      assert.equal(failure.kind, 'unreachable', String(code));
      assert.equal(failure.message, `The API server failed (${code}): etcdserver: request timed out. Retry shortly.`);
    }
  });

  test('other codes: the code and the message', () => {
    const failure = describeKubeError(apiError(418, { message: 'teapot' }), 'pods');
    assert.equal(failure.message, 'The API server answered 418: teapot');
  });

  test('the body as an object (a decoded V1Status)', () => {
    const error = Object.assign(new Error('HTTP-Code: 403'), { code: 403, body: { message: 'no access' } });
    assert.match(describeKubeError(error, 'pods').message, /RBAC refused this: no access\./);
    const plain = { code: 409, body: { message: 'modified' } };
    assert.match(describeKubeError(plain, 'x').message, /Conflict on x: modified/);
  });

  test('a body that is not JSON is quoted, shortened', () => {
    const failure = describeKubeError(apiError(502, `<html>${'x'.repeat(1000)}</html>`), 'pods');
    assert.ok(failure.message.startsWith('The API server failed (502): <html>xxx'));
    assert.ok(failure.message.length < 400, `${failure.message.length}`);
  });

  test('a JSON body without a message, or no body at all: short, no dump of the exception', () => {
    for (const error of [apiError(503, { reason: 'ServiceUnavailable' }), apiError(503), apiError(503, '')]) {
      const failure = describeKubeError(error, 'pods');
      assert.equal(failure.kind, 'unreachable');
      assert.doesNotMatch(failure.message, /HTTP-Code|Headers|Body:/, failure.message);
      assert.match(failure.message, /^The API server failed \(503\)/);
    }
    assert.equal(
      describeKubeError(apiError(503), 'pods').message,
      'The API server failed (503): Service Unavailable. Retry shortly.',
    );
    assert.equal(
      describeKubeError(apiError(503, { reason: 'ServiceUnavailable' }), 'pods').message,
      'The API server failed (503): ServiceUnavailable. Retry shortly.',
    );
  });
});

describe('describeKubeError: the network', () => {
  test('fetch failed with a cause code is unreachable, naming the code', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ETIMEDOUT',
      'EPIPE',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_SOCKET',
    ]) {
      const failure = describeKubeError(networkError(code), 'pods');
      assert.equal(failure.kind, 'unreachable', code);
      assert.match(failure.message, new RegExp(`^The Kubernetes API server is unreachable \\(${code}\\)`), code);
      assert.match(failure.message, /keeps serving; retry in a moment/);
    }
  });

  test('an API server that stops answering on an open connection is said so, not called unreachable', () => {
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      const failure = describeKubeError(networkError(code), 'pods');
      assert.equal(failure.kind, 'unreachable', code);
      assert.match(
        failure.message,
        new RegExp(`^The Kubernetes API server did not answer in time \\(${code}\\)`),
        code,
      );
      assert.match(failure.message, /keeps serving; retry in a moment/);
    }
  });

  test('undici errors carried directly, and a code two causes deep', () => {
    const direct = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    assert.equal(describeKubeError(direct, 'pods').kind, 'unreachable');
    const deep = new TypeError('fetch failed', {
      cause: new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
    });
    assert.match(describeKubeError(deep, 'pods').message, /unreachable \(ECONNRESET\)/);
  });

  test('fetch failed without a code, or a socket hang up', () => {
    assert.match(describeKubeError(new TypeError('fetch failed'), 'pods').message, /unreachable \(fetch failed\)/);
    assert.equal(describeKubeError(new Error('socket hang up'), 'pods').kind, 'unreachable');
    assert.equal(describeKubeError(new Error('other side closed'), 'pods').kind, 'unreachable');
  });

  test('TLS failures name the reason', () => {
    const failure = describeKubeError(networkError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'pods');
    assert.equal(failure.kind, 'unreachable');
    assert.match(failure.message, /DEPTH_ZERO_SELF_SIGNED_CERT/);
  });
});

describe('describeKubeError: everything else', () => {
  test('a NamespaceViolation is refused, not an API error', () => {
    const failure = describeKubeError(
      new NamespaceViolation('refused GET https://k/api/v1/nodes: /api/v1/nodes is not a namespaced path'),
      'nodes',
    );
    assert.equal(failure.kind, 'refused');
    assert.equal(
      failure.message,
      'podmcp refused the request: refused GET https://k/api/v1/nodes: /api/v1/nodes is not a namespaced path',
    );
  });

  test('a ToolFailure passes through unchanged', () => {
    const original = new ToolFailure('already explained', 'conflict', 3);
    assert.equal(describeKubeError(original, 'x'), original);
  });

  test('any other error says what was being read', () => {
    const failure = describeKubeError(new RangeError('bad thing'), 'deployments');
    assert.equal(failure.kind, 'invalid');
    assert.equal(failure.message, 'Reading deployments failed: bad thing');
  });

  test('non-errors do not throw', () => {
    assert.equal(describeKubeError('just a string', 'x').message, 'Reading x failed: just a string');
    assert.equal(describeKubeError(undefined, 'x').message, 'Reading x failed: undefined');
    assert.equal(describeKubeError(null, 'x').message, 'Reading x failed: null');
    assert.equal(describeKubeError({ code: 'weird' }, 'x').kind, 'invalid');
    assert.equal(describeKubeError({ code: 99 }, 'x').kind, 'invalid');
    assert.equal(isNotFound(null), false);
    assert.equal(isNotFound(undefined), false);
  });
});
