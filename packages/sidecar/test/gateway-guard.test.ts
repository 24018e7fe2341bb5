/**
 * The namespace guard's wiring: the gateway's real sender (createSender) and the gateway itself
 * (createNamespacedKube), pointed at an address nothing listens on. A request or a watch outside the
 * namespace, or about Secrets, must throw the namespace violation before anything leaves (the request count
 * stays 0, no request is observed); one inside passes the guard and fails only on the wire. The gateway's own
 * calls pass the same guard, each observed once at its path. The rules themselves: namespace-guard.test.ts.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { type CallToolResult, Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { decodeSidecarEnv } from '@podmcp/core';
import { pino } from 'pino';
import { createNamespacedKube } from '../src/kube/namespaced-kube.ts';
import { createSender, NamespaceViolation, type Request } from '../src/kube/sender.ts';
import { createSidecar } from '../src/sidecar.ts';

const NS = 'team';

function unreachable(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'nowhere', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 'unused' }],
    contexts: [{ name: 'c', cluster: 'nowhere', user: 'u', namespace: NS }],
    currentContext: 'c',
  });
  return config;
}

function guarded() {
  const observed: string[] = [];
  const kube = createSender(unreachable(), NS, (method, path) => observed.push(`${method} ${path}`));
  return { kube, observed };
}

function gateway() {
  const observed: string[] = [];
  const kube = createNamespacedKube(unreachable(), NS, (method, path) => observed.push(`${method} ${path}`));
  return { kube, observed };
}

const isViolation = (error: unknown) => error instanceof NamespaceViolation;

describe("requests through the gateway's sender", () => {
  const refused: Array<[string, Request]> = [
    ['pods in another namespace', { method: 'GET', path: '/api/v1/namespaces/other/pods' }],
    ['a Deployment in another namespace', { method: 'GET', path: '/apis/apps/v1/namespaces/x/deployments/web' }],
    [
      'a patch in another namespace',
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/other/deployments/web',
        body: [{ op: 'test', path: '/x' }],
        contentType: 'application/json-patch+json',
      },
    ],
    ['pods of every namespace', { method: 'GET', path: '/api/v1/pods' }],
    ['the namespaces', { method: 'GET', path: '/api/v1/namespaces' }],
    ['the nodes', { method: 'GET', path: '/api/v1/nodes' }],
    ['Secrets in its own namespace', { method: 'GET', path: `/api/v1/namespaces/${NS}/secrets` }],
    ['one Secret in its own namespace', { method: 'GET', path: `/api/v1/namespaces/${NS}/secrets/db` }],
    [
      'a Secret created in its own namespace',
      { method: 'POST', path: `/api/v1/namespaces/${NS}/secrets`, body: { metadata: { name: 'x' } } },
    ],
    [
      'a TokenReview without audiences',
      {
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { spec: { token: 'caller-token' } },
      },
    ],
    [
      'an access review about another namespace',
      {
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: {
          spec: {
            user: 'u',
            resourceAttributes: { namespace: 'other', group: 'podmcp.dev', resource: 'tools', verb: 'use' },
          },
        },
      },
    ],
    ['metrics of another namespace', { method: 'GET', path: '/apis/metrics.k8s.io/v1beta1/namespaces/other/pods' }],
  ];
  for (const [what, request] of refused) {
    test(`${what}: the namespace violation, and nothing is sent`, async () => {
      const { kube, observed } = guarded();
      await assert.rejects(kube.json(request, undefined), isViolation);
      assert.equal(kube.requestCount(), 0);
      assert.deepEqual(observed, []);
    });
  }

  test('a call inside the namespace passes the guard and fails only on the wire', async () => {
    const { kube, observed } = guarded();
    await assert.rejects(
      kube.json({ method: 'GET', path: `/api/v1/namespaces/${NS}/pods` }, 'V1PodList'),
      (error: unknown) => !isViolation(error),
    );
    assert.equal(kube.requestCount(), 1);
    assert.deepEqual(observed, [`GET /api/v1/namespaces/${NS}/pods`]);
  });
});

describe("the gateway's calls", () => {
  const wireError = (error: unknown) => !isViolation(error);
  test('each goes to its path in the namespace, through the guard', async () => {
    const { kube, observed } = gateway();
    await assert.rejects(kube.pods.list({ limit: 1 }), wireError);
    await assert.rejects(kube.pods.log('web-0', { container: 'app' }), wireError);
    await assert.rejects(kube.deployments.patch('web', {}, 'merge', 'All'), wireError);
    await assert.rejects(kube.statefulSets.patchScale('db', {}, undefined), wireError);
    await assert.rejects(kube.podMetrics.read('web-0'), wireError);
    await assert.rejects(kube.reviews.selfSubjectRules(), wireError);
    await assert.rejects(kube.reviews.token('caller-token', ['podmcp']), wireError);
    assert.equal(kube.requestCount(), 7);
    assert.deepEqual(observed, [
      `GET /api/v1/namespaces/${NS}/pods`,
      `GET /api/v1/namespaces/${NS}/pods/web-0/log`,
      `PATCH /apis/apps/v1/namespaces/${NS}/deployments/web`,
      `PATCH /apis/apps/v1/namespaces/${NS}/statefulsets/db/scale`,
      `GET /apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web-0`,
      'POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      'POST /apis/authentication.k8s.io/v1/tokenreviews',
    ]);
  });
});

describe('watches through the gateway', () => {
  const ignore = () => undefined;
  for (const [what, path] of [
    ['pods in another namespace', '/api/v1/namespaces/other/pods'],
    ['pods of every namespace', '/api/v1/pods'],
    ['Secrets in its own namespace', `/api/v1/namespaces/${NS}/secrets`],
    ['a path that climbs out of the namespace', `/api/v1/namespaces/${NS}/pods/../../other/pods`],
  ] as const) {
    test(`${what}: the namespace violation, and nothing is sent`, async () => {
      const { kube, observed } = gateway();
      await assert.rejects(kube.watch(path, { watch: true }, ignore, ignore), isViolation);
      assert.equal(kube.requestCount(), 0);
      assert.deepEqual(observed, []);
    });
  }

  test('a watch inside the namespace passes the guard and ends with the connection error', async () => {
    const { kube, observed } = gateway();
    let done: (error: unknown) => void = ignore;
    const ended = new Promise<unknown>((resolve) => {
      done = resolve;
    });
    const controller = await kube.watch(`/api/v1/namespaces/${NS}/pods`, { watch: true }, ignore, done);
    try {
      assert.equal(kube.requestCount(), 1);
      assert.deepEqual(observed, [`WATCH /api/v1/namespaces/${NS}/pods`]);
      const error = await ended;
      assert.ok(error && !isViolation(error), `ended with ${String(error)}`);
    } finally {
      controller.abort();
    }
  });
});

describe('get_resources', () => {
  test('Secrets are refused at the kind lookup, in any spelling, before any request', async () => {
    const decoded = decodeSidecarEnv({});
    if (!decoded.ok) throw new Error(decoded.errors.join('; '));
    const sidecar = createSidecar({
      settings: decoded.settings,
      connection: { kubeConfig: unreachable(), namespace: NS, namespaceSource: 'test' },
      logger: pino({ level: 'silent' }),
    });
    const server = sidecar.server(() => ({ id: 'agent', transport: 'in-memory' }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'guard-test', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      for (const kind of ['secrets', 'Secret', 'secret', 'SECRETS', ' secrets ']) {
        for (const args of [{ kind }, { kind, name: 'db-password' }]) {
          const result = (await client.callTool({ name: 'get_resources', arguments: args })) as CallToolResult;
          const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
          assert.equal(result.isError, true, JSON.stringify(args));
          assert.match(
            text,
            /^podmcp never reads Secrets: .* the sidecar refuses every Secret request/,
            JSON.stringify(args),
          );
        }
      }
      assert.equal(sidecar.services.kube.requestCount(), 0);
    } finally {
      await client.close();
    }
  });
});
