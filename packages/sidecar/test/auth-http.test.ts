/**
 * Authentication and authorization of remote callers at the HTTP edge, with the API server's two answers
 * (TokenReview, SubjectAccessReview) given by a table: who a token is, for which audiences, and which tool
 * names RBAC grants whom. The edge, the MCP server and the SDK client are real; the sidecar's own API server is
 * unreachable, so a tool call that gets through answers "unreachable". Against a real API server and real RBAC:
 * test/e2e/sidecar/auth.test.ts.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeSidecarEnv } from '@podmcp/core';
import { pino } from 'pino';
import { createHttpAuth, grantableNames, type HttpAuth } from '../src/auth/http-authenticator.ts';
import type { ReviewClient } from '../src/auth/token-review.ts';
import { createSidecar, type Sidecar } from '../src/sidecar.ts';
import { type RunningHttpTransport, startHttpTransport } from '../src/transport/http.ts';

const AUDIENCE = 'podmcp-test';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const AGENT = 'system:serviceaccount:agents:reader';
const NOBODY = 'system:serviceaccount:agents:nobody';
const ADMIN = 'jane@example.com';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Token → who it is and the audiences it was issued for; user → the tool names RBAC grants (undefined: all). */
const TOKENS: Record<string, { user: string; audiences: string[] }> = {
  'agent-token': { user: AGENT, audiences: [AUDIENCE] },
  'nobody-token': { user: NOBODY, audiences: [AUDIENCE] },
  'admin-token': { user: ADMIN, audiences: [AUDIENCE] },
  'api-token': { user: AGENT, audiences: ['https://kubernetes.default.svc.cluster.local'] },
};
const GRANTS: Record<string, readonly string[] | 'all'> = { [AGENT]: ['list_pods'], [NOBODY]: [], [ADMIN]: 'all' };

class FakeReviews implements ReviewClient {
  tokenReviews: Array<{ token: string; audiences: readonly string[] }> = [];
  accessReviews: V1SubjectAccessReviewSpec[] = [];
  failing = false;
  async tokenReview(token: string, audiences: readonly string[]) {
    this.tokenReviews.push({ token, audiences });
    if (this.failing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const known = TOKENS[token];
    if (!known) return { authenticated: false, error: 'invalid bearer token' };
    const overlap = known.audiences.filter((audience) => audiences.includes(audience));
    if (overlap.length === 0)
      return { authenticated: false, error: 'token audiences is invalid for the target audiences' };
    return {
      authenticated: true,
      audiences: overlap,
      user: { username: known.user, groups: ['system:authenticated'] },
    };
  }
  async accessReview(spec: V1SubjectAccessReviewSpec) {
    this.accessReviews.push(spec);
    if (this.failing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const grant = GRANTS[spec.user ?? ''];
    const name = spec.resourceAttributes?.name ?? '';
    const allowed = grant === 'all' || (grant ?? []).includes(name);
    return { allowed, ...(allowed ? {} : { reason: '' }) };
  }
}

function kubeConfigFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'shop' }],
    currentContext: 'x',
  });
  return config;
}

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

describe('HTTP authentication and authorization', () => {
  let reviews: FakeReviews;
  let auth: HttpAuth;
  let sidecar: Sidecar;
  let edge: RunningHttpTransport;
  const audit: Array<Record<string, unknown>> = [];
  let clock = 1_000_000;

  before(async () => {
    const decoded = decodeSidecarEnv({ PODMCP_TOKEN_AUDIENCE: AUDIENCE });
    if (!decoded.ok) throw new Error(decoded.errors.join('; '));
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) {
          if (line.trim() === '') continue;
          const record = JSON.parse(line) as Record<string, unknown>;
          if (record.audit) audit.push(record);
        }
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    sidecar = createSidecar({
      settings: decoded.settings,
      connection: { kubeConfig: kubeConfigFor('https://127.0.0.1:1'), namespace: 'shop', namespaceSource: 'test' },
      logger,
    });
    reviews = new FakeReviews();
    auth = createHttpAuth({
      reviews,
      audience: AUDIENCE,
      namespace: 'shop',
      names: grantableNames(sidecar.catalogue),
      logger,
      audit: sidecar.services.audit,
      issuer: ISSUER,
      now: () => clock,
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
  beforeEach(() => {
    // A fresh hour for every test: nothing cached by another test is reused.
    clock += 3_600_000;
    reviews.failing = false;
    reviews.tokenReviews = [];
    reviews.accessReviews = [];
  });

  const metadataUrl = () => `http://127.0.0.1:${edge.port}/.well-known/oauth-protected-resource/mcp`;

  test('no token: 401 with a Bearer challenge pointing at the metadata, and no review sent', async () => {
    const answer = await send(edge.port, { body: INITIALIZE });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], `Bearer resource_metadata="${metadataUrl()}"`);
    assert.match(JSON.parse(answer.body).error.message, /kubectl create token SERVICE_ACCOUNT --audience podmcp-test/);
    assert.equal(reviews.tokenReviews.length, 0);
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

  test('a token the API server does not accept, or one for another audience: 401 invalid_token', async () => {
    for (const token of ['garbage', 'api-token']) {
      const answer = await send(edge.port, { token, body: INITIALIZE });
      assert.equal(answer.status, 401, token);
      const challenge = String(answer.headers['www-authenticate']);
      assert.match(challenge, /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="/);
      assert.ok(challenge.endsWith(`resource_metadata="${metadataUrl()}"`));
      assert.match(JSON.parse(answer.body).error.message, /issued for the audience podmcp-test/);
    }
    assert.deepEqual(
      reviews.tokenReviews.map((review) => review.audiences),
      [[AUDIENCE], [AUDIENCE]],
    );
  });

  test('an Authorization header that is not a bearer token: 401 invalid_token, nothing reviewed', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words']) {
      const answer = await send(edge.port, { authorization, body: INITIALIZE });
      assert.equal(answer.status, 401, authorization);
      assert.match(String(answer.headers['www-authenticate']), /error="invalid_token"/);
    }
    assert.equal(reviews.tokenReviews.length, 0);
  });

  test('a caller without any grant: 403 insufficient_scope that spells out the Role to create', async () => {
    const answer = await send(edge.port, { token: 'nobody-token', body: INITIALIZE });
    assert.equal(answer.status, 403);
    assert.match(String(answer.headers['www-authenticate']), /^Bearer error="insufficient_scope"/);
    const message = JSON.parse(answer.body).error.message as string;
    assert.match(
      message,
      /system:serviceaccount:agents:nobody cannot use any tools.podmcp.dev of this sidecar in namespace shop/,
    );
    assert.match(message, /kubectl create role podmcp-agent -n shop --verb=use --resource=tools.podmcp.dev/);
    assert.match(message, /--serviceaccount=agents:nobody/);
  });

  test('granted list_pods only: the list shows it alone, calling it passes, another tool is 403', async () => {
    const client = new Client({ name: 'agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(edge.url), {
        requestInit: { headers: { authorization: 'Bearer agent-token' } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['list_pods'],
      );
      assert.deepEqual((await client.listResources()).resources, []);
      assert.deepEqual((await client.listPrompts()).prompts, []);
      const result = await client.callTool({ name: 'list_pods', arguments: {} });
      // Through the gate: the (unreachable) API server answers, not the edge.
      assert.equal(result.isError, true);
      assert.match(JSON.stringify(result.content), /reach|unreachable/i);
    } finally {
      await client.close();
    }
    const record = audit.findLast((line) => line.name === 'list_pods');
    assert.equal(record?.caller, AGENT);
    assert.equal(record?.transport, 'http');

    const refused = await send(edge.port, {
      token: 'agent-token',
      body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'diagnose', arguments: {} } },
    });
    assert.equal(refused.status, 403);
    assert.match(String(refused.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.match(
      JSON.parse(refused.body).error.message,
      /^Forbidden: system:serviceaccount:agents:reader cannot use tools.podmcp.dev "diagnose" in namespace shop; grant it with a Role: kubectl create role podmcp-agent -n shop --verb=use --resource=tools.podmcp.dev --resource-name=diagnose && kubectl create rolebinding podmcp-agent -n shop --role=podmcp-agent --serviceaccount=agents:reader$/,
    );
    // Refused before the gate, and audited as such under the caller's identity.
    const refusal = audit.filter((line) => line.name === 'diagnose');
    assert.equal(refusal.length, 1);
    assert.equal(refusal[0]?.caller, AGENT);
    assert.equal(refusal[0]?.outcome, 'refused');
    assert.equal(refusal[0]?.error, 'forbidden');
  });

  test('a grant without names: every tool, resources and prompts', async () => {
    const answer = await send(edge.port, {
      token: 'admin-token',
      body: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
    });
    assert.equal(answer.status, 200);
    const names = (JSON.parse(answer.body).result.tools as Array<{ name: string }>).map((tool) => tool.name);
    assert.deepEqual(
      names,
      sidecar.catalogue.tools.map((tool) => tool.name),
    );
    const prompts = await send(edge.port, {
      token: 'admin-token',
      body: { jsonrpc: '2.0', id: 3, method: 'prompts/list', params: {} },
    });
    assert.equal(JSON.parse(prompts.body).result.prompts.length, sidecar.catalogue.prompts.length);
  });

  test('every review asks about use of tools.podmcp.dev in this namespace, as the caller', async () => {
    await send(edge.port, {
      token: 'agent-token',
      body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'list_pods', arguments: {} } },
    });
    assert.deepEqual(reviews.accessReviews, [
      {
        user: AGENT,
        groups: ['system:authenticated'],
        resourceAttributes: {
          namespace: 'shop',
          group: 'podmcp.dev',
          resource: 'tools',
          verb: 'use',
          name: 'list_pods',
        },
      },
    ]);
  });

  test('answers are cached by token hash and identity, and refusals for less time', async () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_pods', arguments: {} } };
    for (let i = 0; i < 3; i += 1) await send(edge.port, { token: 'agent-token', body: call });
    await Promise.all([1, 2, 3].map(() => send(edge.port, { token: 'agent-token', body: call })));
    assert.equal(reviews.tokenReviews.length, 1);
    assert.equal(reviews.accessReviews.length, 1);
    for (let i = 0; i < 2; i += 1) await send(edge.port, { token: 'garbage', body: INITIALIZE });
    assert.equal(reviews.tokenReviews.length, 2, 'a refused token is remembered too');

    clock += 15_000;
    await send(edge.port, { token: 'garbage', body: INITIALIZE });
    await send(edge.port, { token: 'agent-token', body: call });
    assert.equal(reviews.tokenReviews.length, 3, 'after 15 s the refusal is asked again, the acceptance is not');
    clock += 20_000;
    await send(edge.port, { token: 'agent-token', body: call });
    assert.equal(reviews.tokenReviews.length, 4, 'after 35 s everything is asked again');
    assert.equal(reviews.accessReviews.length, 2);
  });

  test('a token whose exp has passed is not served from the cache', async () => {
    const exp = Math.floor(clock / 1000) + 5;
    const jwt = `x.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.y`;
    TOKENS[jwt] = { user: ADMIN, audiences: [AUDIENCE] };
    try {
      assert.equal((await send(edge.port, { token: jwt, body: INITIALIZE })).status, 200);
      clock += 6_000;
      const late = await send(edge.port, { token: jwt, body: INITIALIZE });
      assert.equal(reviews.tokenReviews.length, 2, 'asked again once the token expired');
      // Even an API server that still accepted it cannot revive a token past its exp.
      assert.equal(late.status, 401);
      assert.match(JSON.parse(late.body).error.message, /the token has expired/);
    } finally {
      delete TOKENS[jwt];
    }
  });

  test('the API server cannot be asked: 503 with Retry-After, and nothing is cached', async () => {
    reviews.failing = true;
    const answer = await send(edge.port, { token: 'admin-token', body: INITIALIZE });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '5');
    assert.match(JSON.parse(answer.body).error.message, /cannot verify bearer tokens/);
    reviews.failing = false;
    assert.equal((await send(edge.port, { token: 'admin-token', body: INITIALIZE })).status, 200);
  });

  test('a batch is allowed only when every call in it is', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_pods', arguments: {} } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'diagnose', arguments: {} } },
    ];
    const answer = await send(edge.port, { token: 'agent-token', body: batch });
    assert.equal(answer.status, 403);
    assert.match(JSON.parse(answer.body).error.message, /"diagnose"/);
  });
});
