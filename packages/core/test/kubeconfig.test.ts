import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { inClusterKubeConfig, type KubeConfigError, kubeconfigFiles, loadKubeConfig } from '../src/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'podmcp-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, contexts: string[]): string {
  const file = join(dir, name);
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...contexts.map((context) => `- name: ${context}\n  cluster: { server: 'https://127.0.0.1:6443' }`),
    'users:',
    ...contexts.map((context) => `- name: user-${context}\n  user: { token: t }`),
    'contexts:',
    ...contexts.map((context) => `- name: ${context}\n  context: { cluster: ${context}, user: user-${context} }`),
    `current-context: ${contexts[0]}`,
  ].join('\n');
  writeFileSync(file, yaml);
  return file;
}

const first = kubeconfig('first.yaml', ['one']);
const second = kubeconfig('second.yaml', ['two']);
const home = join(dir, 'home');
mkdirSync(join(home, '.kube'), { recursive: true });
const homeConfig = kubeconfig(join('home', '.kube', 'config'), ['home']);
const empty = join(dir, 'empty-home');

describe('kubeconfigFiles: kubectl order', () => {
  test("$KUBECONFIG's existing files first, missing ones skipped", () => {
    assert.deepEqual(kubeconfigFiles({ HOME: home, KUBECONFIG: `${join(dir, 'none')}:${first}:${second}` }), [
      first,
      second,
    ]);
  });

  test('else ~/.kube/config, else nothing', () => {
    assert.deepEqual(kubeconfigFiles({ HOME: home }), [homeConfig]);
    assert.deepEqual(kubeconfigFiles({ HOME: empty }), []);
  });
});

describe('loadKubeConfig', () => {
  test('an explicit file wins; a missing one is missing-file', () => {
    const config = loadKubeConfig({ file: second, env: { HOME: home } });
    assert.equal(config?.getCurrentContext(), 'two');
    assert.throws(
      () => loadKubeConfig({ file: join(dir, 'nope.yaml'), env: {} }),
      (error: KubeConfigError) => {
        return error.problem === 'missing-file' && /--kubeconfig .*nope\.yaml does not exist/.test(error.message);
      },
    );
  });

  test("$KUBECONFIG's files are merged, and --context picks among them", () => {
    const config = loadKubeConfig({ env: { HOME: empty, KUBECONFIG: `${first}:${second}` }, context: 'two' });
    assert.equal(config?.getCurrentContext(), 'two');
    assert.equal(config?.getCurrentCluster()?.name, 'two');
  });

  test('an unknown context names the known ones; an unreadable file is unreadable', () => {
    assert.throws(() => loadKubeConfig({ file: first, context: 'prod', env: {} }), {
      name: 'KubeConfigError',
      message: '--context "prod" is not in the kubeconfig; its contexts: one',
    });
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'clusters: [ {');
    assert.throws(
      () => loadKubeConfig({ file: broken, env: {} }),
      (error: KubeConfigError) => {
        return error.problem === 'unreadable' && error.message.startsWith(`cannot read the kubeconfig ${broken}: `);
      },
    );
  });

  test('nothing to find is undefined; in a pod, its ServiceAccount (unless turned off)', () => {
    assert.equal(loadKubeConfig({ env: { HOME: empty } }), undefined);
    const serviceAccountDir = join(dir, 'sa');
    mkdirSync(serviceAccountDir, { recursive: true });
    writeFileSync(join(serviceAccountDir, 'token'), 'token');
    const env = { HOME: empty, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '6443' };
    const config = loadKubeConfig({ env, serviceAccountDir });
    assert.equal(config?.getCurrentCluster()?.server, 'https://10.0.0.1:6443');
    assert.equal(config?.getCurrentCluster()?.caFile, join(serviceAccountDir, 'ca.crt'));
    assert.equal(loadKubeConfig({ env, serviceAccountDir, inCluster: false }), undefined);
  });

  test('an IPv6 service host is bracketed in the server URL', () => {
    const config = inClusterKubeConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, join(dir, 'sa', 'token'));
    assert.equal(config.getCurrentCluster()?.server, 'https://[fd00::1]:443');
  });
});
