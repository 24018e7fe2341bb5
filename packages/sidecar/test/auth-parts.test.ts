/**
 * The pieces of remote-caller authentication on their own: the review cache, the verdict of a TokenReview,
 * the SubjectAccessReview it asks, the message that spells out a missing permission, the catalogue a caller
 * sees, and the rule that an exposed MCP port must authenticate.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1SubjectAccessReviewStatus, V1TokenReviewStatus } from '@kubernetes/client-node';
import { describeMissingPermission, reviewAccess } from '../src/auth/access-review.ts';
import { hashKey, ReviewCache } from '../src/auth/cache.ts';
import { narrowCatalogue } from '../src/auth/narrow.ts';
import { jwtExpiry, type ReviewClient, reviewToken } from '../src/auth/token-review.ts';
import type { Catalogue } from '../src/mcp/server.ts';
import { checkExposure, planSidecar, SidecarConfigError } from '../src/serve.ts';

function client(tokenStatus: V1TokenReviewStatus, accessStatus: V1SubjectAccessReviewStatus = { allowed: false }) {
  const asked: unknown[] = [];
  const reviews: ReviewClient = {
    async tokenReview(token, audiences) {
      asked.push({ token, audiences });
      return tokenStatus;
    },
    async accessReview(spec) {
      asked.push(spec);
      return accessStatus;
    },
  };
  return { reviews, asked };
}

describe('review cache', () => {
  test('reuses an answer until its time is up, shares one in flight, and bounds its size', async () => {
    let now = 0;
    const cache = new ReviewCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => now });
    let computed = 0;
    const compute = async () => {
      computed += 1;
      return computed;
    };
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    assert.deepEqual([a, b, computed], [1, 1, 1]);
    now = 999;
    assert.equal(await cache.get('k', compute), 1);
    now = 1_000;
    assert.equal(await cache.get('k', compute), 2);
    await cache.get('x', compute);
    await cache.get('y', compute);
    assert.equal(cache.size, 2);
  });

  test("a failure is not kept; ttlFor shortens an answer's life", async () => {
    let now = 0;
    const cache = new ReviewCache<string>({ ttlMs: 1_000, maxEntries: 10, now: () => now });
    await assert.rejects(cache.get('k', () => Promise.reject(new Error('away'))));
    assert.equal(await cache.get('k', async () => 'back'), 'back');
    await cache.get(
      'short',
      async () => 'no',
      () => 100,
    );
    now = 100;
    assert.equal(await cache.get('short', async () => 'again'), 'again');
  });

  test('keys are hashes that do not contain what they were made of', () => {
    const key = hashKey('token', 'eyJhbGciOi.secret.part');
    assert.ok(!key.includes('secret'));
    assert.notEqual(key, hashKey('token', 'eyJhbGciOi.secret.parT'));
    assert.notEqual(hashKey('a', 'bc'), hashKey('ab', 'c'));
  });
});

describe('TokenReview verdict', () => {
  test('authenticated for our audience: the user; the review named exactly that audience', async () => {
    const { reviews, asked } = client({
      authenticated: true,
      audiences: ['podmcp'],
      user: { username: 'system:serviceaccount:a:b', uid: 'u-1', groups: ['system:serviceaccounts'] },
    });
    const verdict = await reviewToken(reviews, 'tok', 'podmcp');
    assert.deepEqual(verdict, {
      ok: true,
      identity: {
        username: 'system:serviceaccount:a:b',
        uid: 'u-1',
        groups: ['system:serviceaccounts'],
        extra: undefined,
      },
      expiresAtMs: undefined,
    });
    assert.deepEqual(asked, [{ token: 'tok', audiences: ['podmcp'] }]);
  });

  test('not authenticated, or authenticated without our audience in status.audiences: refused', async () => {
    const refused = await reviewToken(client({ authenticated: false, error: 'bad' }).reviews, 't', 'podmcp');
    assert.deepEqual(refused, { ok: false, reason: 'the token was not accepted: bad' });
    for (const audiences of [undefined, [], ['https://kubernetes.default.svc']]) {
      const verdict = await reviewToken(
        client({ authenticated: true, audiences, user: { username: 'x' } }).reviews,
        't',
        'podmcp',
      );
      assert.equal(verdict.ok, false, JSON.stringify(audiences));
    }
  });

  test("a JWT's exp bounds the verdict; anything else has none", () => {
    const jwt = `h.${Buffer.from(JSON.stringify({ exp: 1_700_000_000 })).toString('base64url')}.s`;
    assert.equal(jwtExpiry(jwt), 1_700_000_000_000);
    assert.equal(jwtExpiry('opaque'), undefined);
    assert.equal(jwtExpiry('a.!!!.c'), undefined);
  });
});

describe('SubjectAccessReview', () => {
  test('asks about the caller (user, uid, groups, extra) using a tool in this namespace', async () => {
    const { reviews, asked } = client({}, { allowed: true });
    const verdict = await reviewAccess(
      reviews,
      { username: 'u', uid: 'id', groups: ['g'], extra: { 'authentication.kubernetes.io/pod-name': ['p'] } },
      'shop',
      'list_pods',
    );
    assert.equal(verdict.allowed, true);
    assert.deepEqual(asked, [
      {
        user: 'u',
        uid: 'id',
        groups: ['g'],
        extra: { 'authentication.kubernetes.io/pod-name': ['p'] },
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

  test('denied wins over allowed', async () => {
    const { reviews } = client({}, { allowed: true, denied: true });
    assert.equal((await reviewAccess(reviews, { username: 'u', groups: [] }, 'shop', 'x')).allowed, false);
  });

  test('the missing permission, spelled out for a ServiceAccount and for a user', () => {
    assert.equal(
      describeMissingPermission('system:serviceaccount:agents:bot', 'shop', ['restart_deployment']),
      'system:serviceaccount:agents:bot cannot use tools.podmcp.dev "restart_deployment" in namespace shop; grant it with a Role: kubectl create role podmcp-agent -n shop --verb=use --resource=tools.podmcp.dev --resource-name=restart_deployment && kubectl create rolebinding podmcp-agent -n shop --role=podmcp-agent --serviceaccount=agents:bot',
    );
    assert.match(describeMissingPermission('jane@example.com', 'shop', []), /any tools.podmcp.dev of this sidecar/);
    assert.match(describeMissingPermission('jane@example.com', 'shop', []), /--user=jane@example.com/);
  });
});

describe('the catalogue a caller sees', () => {
  const tool = (name: string) => ({ name }) as unknown as Catalogue['tools'][number];
  const catalogue = {
    tools: [tool('diagnose'), tool('list_pods'), tool('get_pod_logs')],
    resources: [{ uri: 'podmcp://events' }],
    prompts: [{ name: 'triage' }],
    instructions: 'podmcp serves x.\nTools: diagnose, list_pods, get_pod_logs.',
  } as unknown as Catalogue;

  test('only the tools it may use; resources and prompts only with their names; instructions follow', () => {
    const narrow = narrowCatalogue(catalogue, new Set(['list_pods']));
    assert.deepEqual(
      narrow.tools.map((t) => t.name),
      ['list_pods'],
    );
    assert.deepEqual([narrow.resources, narrow.prompts], [[], []]);
    assert.equal(narrow.instructions, 'podmcp serves x.\nTools you may use: list_pods.');
    const wide = narrowCatalogue(catalogue, new Set(['diagnose', 'resources', 'prompts']));
    assert.equal(wide.resources.length, 1);
    assert.equal(wide.prompts.length, 1);
  });
});

describe('an exposed MCP port must authenticate', () => {
  const exposed = { PODMCP_POD_NAME: 'web-1', PODMCP_POD_IP: '10.244.0.7', PODMCP_EXPOSE: 'true' };

  test('PODMCP_EXPOSE or a --host beyond loopback without an audience refuses to start, saying how to fix it', () => {
    for (const plan of [
      planSidecar({ env: exposed }),
      planSidecar({ env: { PODMCP_POD_NAME: 'web-1' }, host: '0.0.0.0' }),
      planSidecar({ env: {}, transport: 'http', host: '10.0.0.5' }),
    ]) {
      assert.throws(
        () => checkExposure(plan),
        (error: unknown) =>
          error instanceof SidecarConfigError &&
          /beyond loopback, without authentication: set PODMCP_TOKEN_AUDIENCE/.test(error.message),
      );
    }
  });

  test("with an audience, with an embedder's authenticate(), on loopback, or over stdio: it starts", () => {
    checkExposure(planSidecar({ env: { ...exposed, PODMCP_TOKEN_AUDIENCE: 'podmcp' } }));
    // --token-audience overrides the environment.
    const flagged = planSidecar({ env: { ...exposed, PODMCP_TOKEN_AUDIENCE: 'from-env' }, tokenAudience: 'from-flag' });
    assert.equal(flagged.settings.tokenAudience, 'from-flag');
    checkExposure(planSidecar({ env: exposed, tokenAudience: 'from-flag' }));
    checkExposure(planSidecar({ env: exposed }), () => ({ id: 'x', transport: 'http' }));
    checkExposure(planSidecar({ env: { PODMCP_POD_NAME: 'web-1' } }));
    checkExposure(planSidecar({ env: {}, transport: 'http', host: '::1' }));
    checkExposure(planSidecar({ env: exposed, transport: 'stdio' }));
  });
});
