import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { audienceProblem } from '../src/metrics-history/client.ts';

/** An unsigned token with these claims: the sidecar judges the audience only; the Prometheus side verifies. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(claims)}.signature`;
}

describe('which token may be sent to Prometheus', () => {
  test('one bound to the Prometheus audience alone', () => {
    assert.equal(audienceProblem(jwt({ aud: ['prometheus'] }), 'prometheus'), undefined);
    assert.equal(audienceProblem(jwt({ aud: 'prometheus' }), 'prometheus'), undefined);
  });

  test("never the API server's token, nor one that also names the API server", () => {
    assert.match(
      audienceProblem(jwt({ aud: ['https://kubernetes.default.svc.cluster.local'] }), 'prometheus') ?? '',
      /its audience is https:\/\/kubernetes\.default\.svc\.cluster\.local, not prometheus alone/,
    );
    assert.match(
      audienceProblem(jwt({ aud: ['prometheus', 'https://kubernetes.default.svc'] }), 'prometheus') ?? '',
      /not prometheus alone/,
    );
  });

  test('nothing without an audience, nothing that is not a token', () => {
    assert.match(audienceProblem(jwt({ sub: 'x' }), 'prometheus') ?? '', /names no audience/);
    assert.match(audienceProblem('not-a-token', 'prometheus') ?? '', /not a ServiceAccount token/);
    assert.match(audienceProblem('a.!!!.c', 'prometheus') ?? '', /not a ServiceAccount token/);
  });
});
