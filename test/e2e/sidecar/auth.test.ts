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
 *   the shipped agent-rbac/read-only Role        → exactly the read tools
 *
 * The API server's own audit log shows that every request came from the sidecar's ServiceAccount (or the
 * test's admin): no caller's token was ever used as a credential.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { READ_TOOLS } from '@podmcp/core';
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
    for (const name of ['agent', 'reader', 'stranger']) {
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
    ] as never[]);
    for (const name of ['agent', 'reader', 'stranger']) tokens[name] = await audienceToken(name);
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
  async function audienceToken(name: string): Promise<string> {
    const minted = await world.admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      namespace: world.namespace,
      name,
      body: { spec: { audiences: [AUDIENCE], expirationSeconds: 3600 } },
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
    const callers = ['agent', 'reader', 'stranger'].map(user);
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
