/**
 * Remote callers of an HTTP sidecar, against the real control plane and real RBAC: `podmcp serve --transport
 * http` runs as a process with PODMCP_TOKEN_AUDIENCE=podmcp-test, as its own ServiceAccount bound to the shipped
 * read-only sidecar ClusterRole (RoleBinding) and to the shipped podmcp-sidecar-auth ClusterRole
 * (ClusterRoleBinding, from manifests/sidecar-rbac/auth). Callers bring TokenRequest-minted tokens:
 *
 *   no token                                     → 401, WWW-Authenticate points at the RFC 9728 metadata
 *   a token for the API server's audience, garbage → 401 invalid_token
 *   the right audience, no RoleBinding           → 403 naming the permission and how to grant it
 *   a Role granting `use` on list_pods only       → tools/list shows list_pods alone, it runs and is audited
 *                                                   under the agent's identity; diagnose is 403
 *   the shipped agent-rbac/read-only Role        → exactly the read tools, with resources and prompts
 *   a Role granting use of every tool (no names)  → every tool, resource and prompt
 *   a batch with one forbidden call              → 403 for the whole batch
 *
 * The authenticator's memory is checked in this process too (createHttpAuth with the sidecar's real review
 * client and a clock the test moves): answers are cached per token and per caller identity, refusals for less
 * time, a token past its exp is refused even while the API server still accepts it, and an API server that
 * cannot be asked gives 503 and leaves nothing cached.
 *
 * The API server's own audit log shows that every request came from the sidecar's ServiceAccount (or the
 * test's admin): no caller's token was ever used as a credential.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeSidecarEnv, READ_TOOLS } from '@podmcp/core';
import { pino } from 'pino';
import { createHttpAuth, grantableNames } from '../../../packages/sidecar/src/auth/http-authenticator.ts';
import { type ReviewClient, reviewsFrom } from '../../../packages/sidecar/src/auth/token-review.ts';
import { createNamespacedKube } from '../../../packages/sidecar/src/kube/namespaced-kube.ts';
import { createSidecar } from '../../../packages/sidecar/src/sidecar.ts';
import { type RunningHttpTransport, startHttpTransport } from '../../../packages/sidecar/src/transport/http.ts';
import { createAll, eventually, serviceAccountToken } from '../../control-plane/kube.ts';
import { controlPlaneForSuite, skipOrFail } from '../../control-plane/suite.ts';
import { MANIFESTS, render } from '../../manifests/render.ts';
import { apiServerAuditLog, callTool, createWorld, SERVICE_ACCOUNT, type World } from './fixture.ts';
import { get, type HttpSidecar, startHttpSidecar } from './process-helpers.ts';

const AUDIENCE = 'podmcp-test';

// The API server writes an audit event for every request, so the test can see whose credentials each one used.
const { directory: scratch, log: auditLog, args: auditArgs } = apiServerAuditLog('podmcp-e2e-auth-');
const { plane, skip } = await controlPlaneForSuite({ extraApiserverArgs: auditArgs });

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

interface AuditEvent {
  readonly user?: { username?: string };
  readonly verb?: string;
  readonly requestURI?: string;
  readonly responseStatus?: { code?: number };
}

describe('remote callers of an HTTP sidecar: TokenReview and SubjectAccessReview', { skip }, () => {
  let world: World;
  let sidecar: HttpSidecar;
  let sidecarUser: string;
  const children = new Set<ChildProcess>();
  const tokens: Record<string, string> = {};
  const user = (name: string) => `system:serviceaccount:${world.namespace}:${name}`;

  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'auth' });
    sidecarUser = `system:serviceaccount:${world.namespace}:${SERVICE_ACCOUNT}`;
    const core = world.admin.makeApiClient(CoreV1Api);
    // The shipped binding for podmcp-sidecar-auth, pointed at this sidecar's ServiceAccount.
    const binding = render(join(MANIFESTS, 'sidecar-rbac', 'auth')).one('ClusterRoleBinding');
    await createAll(world.admin, [
      {
        ...binding,
        metadata: { ...binding.metadata, name: `podmcp-sidecar-auth-${world.namespace}-${SERVICE_ACCOUNT}` },
        subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: world.namespace }],
      } as never,
    ]);
    // Agents: one granted list_pods only (what `kubectl create role --resource-name=list_pods` makes), one with
    // the shipped read-only agent Role, one with nothing.
    for (const name of ['agent', 'reader', 'stranger', 'wide']) {
      await core.createNamespacedServiceAccount({ namespace: world.namespace, body: { metadata: { name } } });
    }
    const readOnly = render(join(MANIFESTS, 'agent-rbac', 'read-only'));
    const readOnlyRole = readOnly.one('Role');
    const readOnlyBinding = readOnly.one('RoleBinding');
    await createAll(world.admin, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'agent', namespace: world.namespace },
        rules: [{ apiGroups: ['podmcp.dev'], resources: ['tools'], verbs: ['use'], resourceNames: ['list_pods'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'agent', namespace: world.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent' },
        subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: world.namespace }],
      },
      { ...readOnlyRole, metadata: { ...readOnlyRole.metadata, namespace: world.namespace } },
      {
        ...readOnlyBinding,
        metadata: { ...readOnlyBinding.metadata, namespace: world.namespace },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: world.namespace }],
      },
      // Use of every tool of this sidecar: a rule without resourceNames.
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'wide', namespace: world.namespace },
        rules: [{ apiGroups: ['podmcp.dev'], resources: ['tools'], verbs: ['use'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'wide', namespace: world.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wide' },
        subjects: [{ kind: 'ServiceAccount', name: 'wide', namespace: world.namespace }],
      },
    ] as never[]);
    for (const name of ['agent', 'reader', 'stranger', 'wide']) tokens[name] = await audienceToken(name);
    tokens.plain = await serviceAccountToken(world.admin, world.namespace, 'agent');

    const kubeconfigFile = join(scratch, 'sidecar.kubeconfig');
    writeFileSync(kubeconfigFile, plane.kubeConfigForToken(world.sidecarToken).exportConfig(), { mode: 0o600 });
    sidecar = await startHttpSidecar({
      PATH: process.env.PATH ?? '',
      HOME: scratch,
      KUBECONFIG: kubeconfigFile,
      PODMCP_POD_NAMESPACE: world.namespace,
      PODMCP_TOKEN_AUDIENCE: AUDIENCE,
    });
    children.add(sidecar.child);
  });
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A token for the sidecar's audience, as `kubectl create token NAME --audience podmcp-test` mints it. */
  async function audienceToken(name: string, expirationSeconds = 3600): Promise<string> {
    const minted = await world.admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      namespace: world.namespace,
      name,
      body: { spec: { audiences: [AUDIENCE], expirationSeconds } },
    });
    assert.ok(minted.status?.token);
    return minted.status.token;
  }

  const metadataUrl = () => `http://127.0.0.1:${sidecar.port}/.well-known/oauth-protected-resource/mcp`;
  const call = (name: string, id = 1) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: {} },
  });
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };

  test('the listening line says how callers are authenticated', () => {
    const listening = sidecar
      .stderr()
      .split('\n')
      .find((line) => line.includes('"msg":"listening"'));
    assert.match(listening ?? '', /"auth":"bearer tokens for audience podmcp-test"/);
  });

  test('no token: 401 pointing at the protected-resource metadata, which is served', async () => {
    const answer = await post(sidecar.port, initialize);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers['www-authenticate'], `Bearer resource_metadata="${metadataUrl()}"`);
    const metadata = await get(sidecar.port, '/.well-known/oauth-protected-resource/mcp');
    assert.equal(metadata.status, 200);
    const document = JSON.parse(metadata.body) as Record<string, unknown>;
    assert.equal(document.resource, `http://127.0.0.1:${sidecar.port}/mcp`);
    assert.deepEqual(document.bearer_methods_supported, ['header']);
    assert.equal(document.podmcp_token_audience, AUDIENCE);
    // The issuer of the sidecar's own ServiceAccount token: the cluster's.
    const issuer = JSON.parse(Buffer.from(world.sidecarToken.split('.')[1] ?? '', 'base64url').toString()).iss;
    assert.deepEqual(document.authorization_servers, [issuer]);
  });

  test("a token for the API server's audience is refused: 401 invalid_token", async () => {
    const answer = await post(sidecar.port, initialize, tokens.plain);
    assert.equal(answer.status, 401);
    assert.match(String(answer.headers['www-authenticate']), /^Bearer error="invalid_token", error_description=/);
    assert.match(String(answer.headers['www-authenticate']), /resource_metadata="http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(JSON.parse(answer.body).error.message, /audience podmcp-test/);
  });

  test('garbage is refused: 401 invalid_token', async () => {
    for (const token of ['garbage', `${tokens.agent?.slice(0, -4)}AAAA`]) {
      const answer = await post(sidecar.port, initialize, token);
      assert.equal(answer.status, 401);
      assert.match(String(answer.headers['www-authenticate']), /error="invalid_token"/);
    }
  });

  test('the right audience without a RoleBinding: 403 that names the missing permission', async () => {
    const connect = await post(sidecar.port, initialize, tokens.stranger);
    assert.equal(connect.status, 403);
    assert.match(String(connect.headers['www-authenticate']), /^Bearer error="insufficient_scope"/);
    assert.match(
      JSON.parse(connect.body).error.message,
      new RegExp(`${user('stranger')} cannot use any tools.podmcp.dev of this sidecar in namespace ${world.namespace}`),
    );
    const tool = await post(sidecar.port, call('list_pods'), tokens.stranger);
    assert.equal(tool.status, 403);
    assert.equal(
      JSON.parse(tool.body).error.message,
      `Forbidden: ${user('stranger')} cannot use tools.podmcp.dev "list_pods" in namespace ${world.namespace}; grant it with a Role: kubectl create role podmcp-agent -n ${world.namespace} --verb=use --resource=tools.podmcp.dev --resource-name=list_pods && kubectl create rolebinding podmcp-agent -n ${world.namespace} --role=podmcp-agent --serviceaccount=${world.namespace}:stranger`,
    );
    const refusal = await eventually('the audit line of the refusal', () =>
      auditLines(sidecar.stderr()).find((line) => line.caller === user('stranger')),
    );
    assert.deepEqual([refusal.name, refusal.outcome, refusal.error], ['list_pods', 'refused', 'forbidden']);
  });

  test('a Role granting use of list_pods: it is all the agent sees and may call, audited as the agent', async () => {
    const client = new Client({ name: 'podmcp-e2e-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecar.port}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${tokens.agent}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['list_pods'],
      );
      const { structured } = await callTool<{ namespace: string }>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
      // Resources and prompts come only with their own names, which this Role does not grant.
      assert.deepEqual((await client.listResources()).resources, []);
      assert.deepEqual((await client.listPrompts()).prompts, []);
    } finally {
      await client.close();
    }
    const forbidden = await post(sidecar.port, call('diagnose'), tokens.agent);
    assert.equal(forbidden.status, 403);
    assert.match(String(forbidden.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.match(JSON.parse(forbidden.body).error.message, /cannot use tools.podmcp.dev "diagnose"/);

    const audit = await eventually('the audit line of list_pods', () =>
      auditLines(sidecar.stderr()).find((line) => line.name === 'list_pods' && line.outcome === 'ok'),
    );
    assert.equal(audit.caller, user('agent'));
    assert.equal(audit.transport, 'http');
    assert.equal(audit.outcome, 'ok');
    // The process writes its stderr asynchronously: wait for the line, then check it is the only one.
    await eventually('the audit line of the refused diagnose', () =>
      auditLines(sidecar.stderr()).some((line) => line.name === 'diagnose'),
    );
    const refusal = auditLines(sidecar.stderr()).filter((line) => line.name === 'diagnose');
    assert.deepEqual(
      refusal.map((line) => [line.caller, line.outcome, line.error]),
      [[user('agent'), 'refused', 'forbidden']],
      'diagnose never ran; its refusal is audited',
    );
  });

  test('the shipped read-only agent Role grants exactly the read tools', async () => {
    const answer = await post(sidecar.port, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, tokens.reader);
    assert.equal(answer.status, 200);
    const names = (JSON.parse(answer.body).result.tools as Array<{ name: string }>).map((tool) => tool.name);
    assert.deepEqual(names.sort(), [...READ_TOOLS].sort());
    // A read-only sidecar has no action tools: not a permission question, an unknown tool (a JSON-RPC error).
    const action = await post(sidecar.port, call('restart_deployment'), tokens.reader);
    assert.equal(action.status, 200);
    assert.match(JSON.parse(action.body).error.message, /Unknown tool restart_deployment\. Available: diagnose, /);
    // And it names only what the caller may use.
    const narrow = await post(sidecar.port, call('restart_deployment'), tokens.agent);
    assert.match(JSON.parse(narrow.body).error.message, /Unknown tool restart_deployment\. Available: list_pods$/);
    // The Role names `prompts`: the reader sees them.
    const prompts = await post(
      sidecar.port,
      { jsonrpc: '2.0', id: 3, method: 'prompts/list', params: {} },
      tokens.reader,
    );
    assert.ok(JSON.parse(prompts.body).result.prompts.length > 0);
  });

  test('a Role without resource names grants every tool, and the prompts', async () => {
    const tools = await post(sidecar.port, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, tokens.wide);
    assert.equal(tools.status, 200);
    const names = (JSON.parse(tools.body).result.tools as Array<{ name: string }>).map((tool) => tool.name);
    assert.deepEqual(names.sort(), [...READ_TOOLS].sort());
    const prompts = await post(
      sidecar.port,
      { jsonrpc: '2.0', id: 3, method: 'prompts/list', params: {} },
      tokens.wide,
    );
    assert.ok(JSON.parse(prompts.body).result.prompts.length > 0);
  });

  test('an MCP session is bound to the token that started it, and ends when what its caller may use changes', async () => {
    const namespace = world.namespace;
    const role = (names: string[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'grantee', namespace },
      rules: [{ apiGroups: ['podmcp.dev'], resources: ['tools'], verbs: ['use'], resourceNames: names }],
    });
    await world.admin
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'grantee' } } });
    await createAll(world.admin, [
      role(['list_pods']),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'grantee', namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'grantee' },
        subjects: [{ kind: 'ServiceAccount', name: 'grantee', namespace }],
      },
    ] as never[]);
    const token = await audienceToken('grantee');
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecar.port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'podmcp-e2e-grantee', version: '1.0.0' });
    await client.connect(transport);
    const session = transport.sessionId;
    assert.ok(session, 'initialize started a session');
    const inSession = (bearer: string, method = 'tools/list') =>
      fetch(`http://127.0.0.1:${sidecar.port}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${bearer}`,
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method, params: {} }),
      });
    try {
      // Another caller with a valid token and wider grants cannot use the session: it is not theirs.
      const borrowed = await inSession(tokens.wide ?? '');
      assert.equal(borrowed.status, 404);
      assert.equal(((await borrowed.json()) as { error: { code: number } }).error.code, -32001);
      assert.deepEqual(
        (await client.listTools()).tools.map((tool) => tool.name),
        ['list_pods'],
      );
      // The grant widens: once the sidecar sees it (refusals are cached 10 s), the session ends with 404 so
      // the client initializes again, and the new session serves the wider set.
      await world.admin
        .makeApiClient(RbacAuthorizationV1Api)
        .replaceNamespacedRole({ name: 'grantee', namespace, body: role(['list_pods', 'diagnose']) });
      await eventually(
        'the session ended for the changed grants',
        async () => (await inSession(token)).status === 404,
        30_000,
      );
    } finally {
      await client.close();
    }
    const again = new Client({ name: 'podmcp-e2e-grantee', version: '1.0.0' });
    await again.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${sidecar.port}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      assert.deepEqual((await again.listTools()).tools.map((tool) => tool.name).sort(), ['diagnose', 'list_pods']);
    } finally {
      await again.close();
    }
  });

  test('a batch is allowed only when every call in it is', async () => {
    const answer = await post(sidecar.port, [call('list_pods', 1), call('diagnose', 2)], tokens.agent);
    assert.equal(answer.status, 403);
    assert.match(JSON.parse(answer.body).error.message, /cannot use tools.podmcp.dev "diagnose"/);
  });

  describe('the authenticator in this process: real reviews, a clock the test moves', () => {
    let edge: RunningHttpTransport;
    let clock = Date.now();
    /** Where the reviews go: the real API server, or (to test an outage) an address nothing listens on. */
    let away = false;
    const asked: { tokens: string[]; access: V1SubjectAccessReviewSpec[] } = { tokens: [], access: [] };

    before(async () => {
      if (!plane) return;
      const decoded = decodeSidecarEnv({ PODMCP_TOKEN_AUDIENCE: AUDIENCE });
      if (!decoded.ok) throw new Error(decoded.errors.join('; '));
      const logger = pino({ level: 'silent' });
      const inProcess = createSidecar({
        settings: decoded.settings,
        connection: { kubeConfig: world.sidecarKubeConfig, namespace: world.namespace, namespaceSource: 'test' },
        logger,
      });
      const real = reviewsFrom(inProcess.services.kube);
      const nowhere = new KubeConfig();
      nowhere.loadFromOptions({
        clusters: [{ name: 'nowhere', server: 'https://127.0.0.1:1' }],
        users: [{ name: 'u', token: world.sidecarToken }],
        contexts: [{ name: 'c', cluster: 'nowhere', user: 'u' }],
        currentContext: 'c',
      });
      const unreachable = reviewsFrom(createNamespacedKube(nowhere, world.namespace));
      // The real review client, with a note of what was asked: no answer here is made up.
      const reviews: ReviewClient = {
        tokenReview(token, audiences) {
          asked.tokens.push(token);
          return (away ? unreachable : real).tokenReview(token, audiences);
        },
        accessReview(spec) {
          asked.access.push(spec);
          return (away ? unreachable : real).accessReview(spec);
        },
      };
      const auth = createHttpAuth({
        reviews,
        audience: AUDIENCE,
        namespace: world.namespace,
        names: grantableNames(inProcess.catalogue),
        logger,
        now: () => clock,
      });
      edge = await startHttpTransport({
        sidecar: auth.restrict(inProcess),
        host: '127.0.0.1',
        port: 0,
        authenticate: auth.authenticate,
        authorize: auth.authorize,
        logger,
      });
    });
    after(() => edge?.close({ drainMs: 0 }));
    beforeEach(() => {
      // Past every cached answer of the test before (answers live 30 s), well within the tokens' hour.
      clock += 60_000;
      asked.tokens.length = 0;
      asked.access.length = 0;
    });

    test('each review asks about use of tools.podmcp.dev in this namespace, as the caller the token names', async () => {
      const token = await audienceToken('agent');
      assert.equal((await post(edge.port, call('list_pods'), token)).status, 200);
      assert.deepEqual(asked.tokens, [token]);
      assert.equal(asked.access.length, 1);
      const [spec] = asked.access;
      assert.equal(spec?.user, user('agent'));
      assert.ok(spec?.uid, 'the caller uid the API server gave');
      assert.ok(spec?.groups?.includes(`system:serviceaccounts:${world.namespace}`), JSON.stringify(spec?.groups));
      assert.deepEqual(spec?.resourceAttributes, {
        namespace: world.namespace,
        group: 'podmcp.dev',
        resource: 'tools',
        verb: 'use',
        name: 'list_pods',
      });
    });

    test('answers are cached per token and per caller; refusals for less time', async () => {
      const token = await audienceToken('agent');
      for (let i = 0; i < 3; i += 1) assert.equal((await post(edge.port, call('list_pods'), token)).status, 200);
      const together = await Promise.all([1, 2, 3].map(() => post(edge.port, call('list_pods'), token)));
      assert.deepEqual(
        together.map((answer) => answer.status),
        [200, 200, 200],
      );
      assert.deepEqual([asked.tokens.length, asked.access.length], [1, 1], 'one review of each for six calls');
      // Another token of the same ServiceAccount is reviewed on its own, and so is its access: the cache key is
      // the identity the API server names, and that carries each token's credential id.
      const second = await audienceToken('agent');
      assert.equal((await post(edge.port, call('list_pods'), second)).status, 200);
      assert.deepEqual([asked.tokens.length, asked.access.length], [2, 2]);
      const [first, other] = asked.access.map((spec) => spec.extra?.['authentication.kubernetes.io/credential-id']);
      assert.ok(first && other && first[0] !== other[0], 'two credential ids');

      const refused = await audienceToken('stranger');
      for (let i = 0; i < 2; i += 1) assert.equal((await post(edge.port, call('list_pods'), refused)).status, 403);
      for (let i = 0; i < 2; i += 1) assert.equal((await post(edge.port, initialize, 'garbage')).status, 401);
      assert.deepEqual([asked.tokens.length, asked.access.length], [4, 3], 'refusals are remembered too');

      clock += 15_000;
      assert.equal((await post(edge.port, initialize, 'garbage')).status, 401);
      assert.equal((await post(edge.port, call('list_pods'), refused)).status, 403);
      assert.equal((await post(edge.port, call('list_pods'), token)).status, 200);
      assert.deepEqual(
        [asked.tokens.length, asked.access.length],
        [5, 4],
        'after 15 s the refusals are asked again (the refused token, the refused access), the acceptances are not',
      );

      clock += 20_000;
      assert.equal((await post(edge.port, call('list_pods'), token)).status, 200);
      assert.deepEqual([asked.tokens.length, asked.access.length], [6, 5], 'after 35 s everything is asked again');
    });

    test('a token past its exp is refused, even while the API server still accepts it', async () => {
      const token = await audienceToken('reader', 600);
      const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp as number;
      assert.equal((await post(edge.port, initialize, token)).status, 200);
      const wasClock = clock;
      clock = exp * 1000 + 1_000;
      try {
        const late = await post(edge.port, initialize, token);
        assert.equal(asked.tokens.length, 2, 'asked again once the token expired');
        assert.equal(late.status, 401);
        assert.match(JSON.parse(late.body).error.message, /the token has expired/);
      } finally {
        clock = wasClock;
      }
    });

    test('the API server cannot be asked: 503 with Retry-After, and nothing is cached', async () => {
      const token = await audienceToken('reader');
      away = true;
      try {
        const answer = await post(edge.port, initialize, token);
        assert.equal(answer.status, 503);
        assert.equal(answer.headers['retry-after'], '5');
        assert.match(JSON.parse(answer.body).error.message, /cannot verify bearer tokens/);
      } finally {
        away = false;
      }
      assert.equal((await post(edge.port, initialize, token)).status, 200);
      assert.deepEqual(asked.tokens, [token, token]);
    });
  });

  test("the sidecar's API requests are all its own: no caller's token reached the API server", async (t) => {
    if (plane?.external) {
      t.skip(skipOrFail('needs the local control plane and its audit log (KUBECONFIG is set)'));
      return;
    }
    // A local control plane always writes the log: its absence is broken audit logging, not a reason to skip.
    assert.ok(existsSync(auditLog), `the API server wrote no audit log at ${auditLog}`);
    const events = await eventually('audit events of the reviews', () => {
      const all = readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AuditEvent);
      return all.some((event) => event.requestURI?.startsWith('/apis/authorization.k8s.io/v1/subjectaccessreviews'))
        ? all
        : undefined;
    });
    const callers = ['agent', 'reader', 'stranger', 'wide'].map(user);
    const asCaller = events.filter((event) => callers.includes(event.user?.username ?? ''));
    assert.deepEqual(asCaller, [], 'no request was made as a caller');
    const failedLogins = events.filter((event) => event.responseStatus?.code === 401);
    assert.deepEqual(failedLogins, [], 'no request carried a token the API server would not accept');
    const sidecarEvents = events.filter((event) => event.user?.username === sidecarUser);
    const sent = (prefix: string) => sidecarEvents.filter((event) => event.requestURI?.startsWith(prefix)).length;
    assert.ok(sent('/apis/authentication.k8s.io/v1/tokenreviews') > 0, 'TokenReviews were sent as the sidecar');
    assert.ok(sent('/apis/authorization.k8s.io/v1/subjectaccessreviews') > 0, 'access reviews as the sidecar');
    assert.ok(sent(`/api/v1/namespaces/${world.namespace}/pods`) > 0, 'list_pods read pods as the sidecar');
    const users = new Set(events.map((event) => event.user?.username));
    for (const name of users) {
      assert.ok(
        name === sidecarUser || name === 'podmcp-admin' || name?.startsWith('system:apiserver') || name === undefined,
        `unexpected user in the audit log: ${name}`,
      );
    }
  });
});

function auditLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.includes('"audit":true'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function post(port: number, body: unknown, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    };
    const call = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    call.on('error', reject);
    call.end(JSON.stringify(body));
  });
}
