import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import {
  apiMessageOf,
  apiStatusOf,
  httpStatusOf,
  isNotFound,
  networkCodeOf,
  transportFailureOf,
} from '../src/api-errors.ts';

const forbidden = JSON.stringify({
  kind: 'Status',
  reason: 'Forbidden',
  message: 'pods is forbidden: User "x" cannot list resource "pods"',
  code: 403,
});

describe('the anatomy of an API error', () => {
  test("an answered call: status, Status body parsed from text, the API server's own words", () => {
    const error = new ApiException(403, 'Forbidden', forbidden, {});
    assert.equal(httpStatusOf(error), 403);
    assert.equal(apiStatusOf(error)?.reason, 'Forbidden');
    assert.equal(apiMessageOf(error), 'pods is forbidden: User "x" cannot list resource "pods"');
    assert.equal(transportFailureOf(error), undefined);
  });

  test('a body that is not JSON is the message, cut short; no body falls back to the reason phrase', () => {
    assert.equal(apiMessageOf(new ApiException(502, 'x', `bad gateway ${'x'.repeat(1000)}`, {})).length, 300);
    assert.equal(apiMessageOf(new ApiException(401, 'Unknown API Status Code!', '', {})), 'Unauthorized');
    assert.equal(apiMessageOf({ code: 404, body: { reason: 'NotFound' } }), 'NotFound');
  });

  test('statusCode counts as the status; numbers outside HTTP do not', () => {
    assert.equal(httpStatusOf({ statusCode: 409 }), 409);
    assert.equal(httpStatusOf({ code: 'ECONNREFUSED' }), undefined);
    assert.equal(httpStatusOf({ code: 7 }), undefined);
    assert.equal(isNotFound(new ApiException(404, 'x', '', {})), true);
    assert.equal(isNotFound(undefined), false);
  });

  test('no answer: the network code under fetch failed, or silence on an open connection', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    assert.equal(networkCodeOf(refused), 'ECONNREFUSED');
    assert.deepEqual(transportFailureOf(refused), { kind: 'unreachable', detail: 'ECONNREFUSED' });
    assert.equal(apiMessageOf(refused), 'fetch failed');
    const silent = Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } });
    assert.deepEqual(transportFailureOf(silent), { kind: 'silent', detail: 'UND_ERR_HEADERS_TIMEOUT' });
    assert.deepEqual(transportFailureOf(new Error('socket hang up')), {
      kind: 'unreachable',
      detail: 'socket hang up',
    });
    assert.equal(transportFailureOf(new Error('something else')), undefined);
  });
});
