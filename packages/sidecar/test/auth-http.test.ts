/**
 * The HTTP edge's own answers to remote callers, before any review: no token, an Authorization header that is
 * not a bearer token, the protected-resource metadata, and a review that cannot be made. The sidecar, its real
 * review client (reviewsFrom its namespaced clients), the edge and the MCP server are real; the API server is
 * an address nothing listens on, so no test here depends on what a TokenReview or SubjectAccessReview would
 * answer. Everything that does — audiences, grants, the narrowed catalogue, caching, expiry — is tested against
 * the real API server and real tokens in test/e2e/sidecar/auth.test.ts.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeSidecarEnv } from '@podmcp/core';
import { pino } from 'pino';
import { createHttpAuth, grantableNames } from '../src/auth/http-authenticator.ts';
import { reviewsFrom } from '../src/auth/token-review.ts';
import { createSidecar, type Sidecar } from '../src/sidecar.ts';
import { type RunningHttpTransport, startHttpTransport } from '../src/transport/http.ts';
import { INITIALIZE, kubeConfigFor, MCP_HEADERS } from './edge-fixtures.ts';

const AUDIENCE = 'podmcp-test';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function send(
  port: number,
  options: { method?: string; path?: string; token?: string; body?: unknown; authorization?: string },
) {
  return new Promise<Answer>((resolve, reject) => {
    const headers: Record<string, string> = { ...MCP_HEADERS };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.authorization) headers.authorization = options.authorization;
    const call = request(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/mcp', headers },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    call.on('error', reject);
    call.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

describe('HTTP authentication at the edge, before any review', () => {
  let sidecar: Sidecar;
  let edge: RunningHttpTransport;

  before(async () => {
    const decoded = decodeSidecarEnv({ PODMCP_TOKEN_AUDIENCE: AUDIENCE });
    if (!decoded.ok) throw new Error(decoded.errors.join('; '));
    const logger = pino({ level: 'silent' });
    sidecar = createSidecar({
      settings: decoded.settings,
      connection: { kubeConfig: kubeConfigFor('https://127.0.0.1:1'), namespace: 'shop', namespaceSource: 'test' },
      logger,
    });
    const auth = createHttpAuth({
      reviews: reviewsFrom(sidecar.services.kube),
      audience: AUDIENCE,
      namespace: 'shop',
      names: grantableNames(sidecar.catalogue),
      logger,
      audit: sidecar.services.audit,
      issuer: ISSUER,
    });
    edge = await startHttpTransport({
      sidecar: auth.restrict(sidecar),
      host: '127.0.0.1',
      port: 0,
      authenticate: auth.authenticate,
      authorize: auth.authorize,
      protectedResourceMetadata: auth.metadata,
      logger,
    });
  });
  after(() => edge?.close({ drainMs: 0 }));

  const metadataUrl = () => `http://127.0.0.1:${edge.port}/.well-known/oauth-protected-resource/mcp`;

  test('no token: 401 with a Bearer challenge pointing at the metadata, and no review sent', async () => {
    const sent = sidecar.services.kube.requestCount();
    const answer = await send(edge.port, { body: INITIALIZE });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], `Bearer resource_metadata="${metadataUrl()}"`);
    assert.match(JSON.parse(answer.body).error.message, /kubectl create token SERVICE_ACCOUNT --audience podmcp-test/);
    assert.equal(sidecar.services.kube.requestCount(), sent);
  });

  test('the protected-resource metadata (RFC 9728) is served without a token', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const answer = await send(edge.port, { method: 'GET', path });
      assert.equal(answer.status, 200, path);
      assert.deepEqual(JSON.parse(answer.body), {
        resource: `http://127.0.0.1:${edge.port}/mcp`,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
        resource_name: 'podmcp sidecar for namespace shop',
        resource_documentation: 'https://github.com/podmcp/podmcp#connecting-remote-agents-authentication',
        podmcp_token_audience: AUDIENCE,
      });
    }
  });

  test('an Authorization header that is not a bearer token: 401 invalid_token, nothing reviewed', async () => {
    const sent = sidecar.services.kube.requestCount();
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words']) {
      const answer = await send(edge.port, { authorization, body: INITIALIZE });
      assert.equal(answer.status, 401, authorization);
      assert.match(String(answer.headers['www-authenticate']), /error="invalid_token"/);
    }
    assert.equal(sidecar.services.kube.requestCount(), sent);
  });

  test('the API server cannot be asked: 503 with Retry-After, and the next call asks again', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const sent = sidecar.services.kube.requestCount();
      const answer = await send(edge.port, { token: 'some-token', body: INITIALIZE });
      assert.equal(answer.status, 503);
      assert.equal(answer.headers['retry-after'], '5');
      assert.match(JSON.parse(answer.body).error.message, /cannot verify bearer tokens/);
      assert.equal(sidecar.services.kube.requestCount(), sent + 1, 'one TokenReview was attempted, none cached');
    }
  });
});
