import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubePool, poolFor, sameMaterial } from '../src/kube-pool.ts';

test('TLS material is the same when every field is, certificates compared by bytes', () => {
  const ca = Buffer.from('ca-bytes');
  assert.equal(sameMaterial({ ca, servername: 'api' }, { ca: Buffer.from('ca-bytes'), servername: 'api' }), true);
  assert.equal(sameMaterial({}, {}), true);
});

test('a rotated certificate, key, CA or a changed server name is new material (a new pool)', () => {
  const base = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key'), servername: 'api' };
  assert.equal(sameMaterial(base, { ...base, cert: Buffer.from('cert-2') }), false);
  assert.equal(sameMaterial(base, { ...base, key: Buffer.from('key-2') }), false);
  assert.equal(sameMaterial(base, { ...base, ca: Buffer.from('ca-2') }), false);
  assert.equal(sameMaterial(base, { ...base, servername: 'other' }), false);
  assert.equal(sameMaterial(base, { ...base, rejectUnauthorized: false }), false);
});

test('one pool per KubeConfig object', () => {
  const one = new KubeConfig();
  const two = new KubeConfig();
  assert.equal(poolFor(one), poolFor(one));
  assert.notEqual(poolFor(one), poolFor(two));
});

test('send: plain requests carry the credentials and share one keep-alive connection', async () => {
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization, body });
      const found = request.url?.startsWith('/api/v1/namespaces/team/pods');
      response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(found ? { kind: 'PodList', items: [] } : { kind: 'Status', message: 'nope' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loopbackConfig(`http://127.0.0.1:${port}`, true);
  const pool = createKubePool(config);
  try {
    const url = `http://127.0.0.1:${port}/api/v1/namespaces/team/pods`;
    const opened: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const answer = await pool.send({ method: 'GET', url });
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.text), { kind: 'PodList', items: [] });
      assert.equal(answer.headers['content-type'], 'application/json');
      opened.push(pool.connectionsOpened());
    }
    const missing = await pool.send({ method: 'POST', url: `http://127.0.0.1:${port}/x`, body: '{"a":1}' });
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"kind":"Status","message":"nope"}');
    // The first two requests may each find no idle connection yet; after that none is opened.
    assert.ok((opened[1] ?? 0) <= 2, `opened ${opened.join(', ')}`);
    assert.equal(pool.connectionsOpened(), opened[1]);
    assert.deepEqual(
      seen.map((request) => [request.method, request.authorization, request.body]),
      [...Array.from({ length: 8 }, () => ['GET', 'Bearer tok', '']), ['POST', 'Bearer tok', '{"a":1}']],
    );
  } finally {
    await pool.close();
    server.close();
  }
});

test('send: a redirect is answered, never followed, so no request leaves for a URL the caller did not ask for', async () => {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(request.url ?? '');
    response.writeHead(302, { location: '/api/v1/namespaces/kube-system/secrets' });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loopbackConfig(`http://127.0.0.1:${port}`, true);
  const pool = createKubePool(config);
  try {
    const answer = await pool.send({ method: 'GET', url: `http://127.0.0.1:${port}/api/v1/namespaces/team/pods` });
    assert.equal(answer.status, 302);
    assert.deepEqual(seen, ['/api/v1/namespaces/team/pods']);
  } finally {
    await pool.close();
    server.close();
  }
});

test('send: credentials never go over plain HTTP unless the kubeconfig skips TLS verification', async () => {
  const config = loopbackConfig('http://127.0.0.1:9', false);
  const pool = createKubePool(config);
  try {
    await assert.rejects(pool.send({ method: 'GET', url: 'http://127.0.0.1:9/api' }), /HTTP protocol is not allowed/);
  } finally {
    await pool.close();
  }
});

/** A kubeconfig for a test-owned loopback server, with a bearer token. */
function loopbackConfig(server: string, skipTLSVerify: boolean): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'local', server, ...(skipTLSVerify ? { skipTLSVerify } : {}) }],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'c', cluster: 'local', user: 'u' }],
    currentContext: 'c',
  });
  return config;
}
