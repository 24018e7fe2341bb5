import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listen } from '../src/listen.ts';
import { createProbeServer } from '../src/probe-server.ts';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createProbeServer', () => {
  let ready = false;
  let failing = false;
  const registry = {
    contentType: 'text/plain; version=0.0.4',
    metrics: async () => {
      if (failing) throw new Error('collector broke');
      return 'up 1\n';
    },
  };
  const server = createProbeServer({ ready: () => ready, registry });
  let port = 0;
  before(async () => {
    port = await listen(server, 0, '127.0.0.1');
  });
  after(() => server.close());

  test('/healthz answers while the process runs; /readyz follows ready()', async () => {
    assert.deepEqual(await get(port, '/healthz'), { status: 200, type: 'text/plain', body: 'ok\n' });
    assert.equal((await get(port, '/readyz')).status, 503);
    ready = true;
    assert.deepEqual(await get(port, '/readyz?verbose'), { status: 200, type: 'text/plain', body: 'ready\n' });
  });

  test('/metrics serves the registry in its content type; a failing collector is a 500 that says so', async () => {
    assert.deepEqual(await get(port, '/metrics'), { status: 200, type: registry.contentType, body: 'up 1\n' });
    failing = true;
    const broken = await get(port, '/metrics');
    failing = false;
    assert.equal(broken.status, 500);
    assert.match(broken.body, /collector broke/);
  });

  test('other paths are 404 and other methods 405', async () => {
    assert.equal((await get(port, '/mcp')).status, 404);
    assert.equal((await get(port, '/healthz', 'POST')).status, 405);
  });
});
