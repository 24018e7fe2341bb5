import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { IDENTITY_ENV, TOKEN_FILE_ENV } from '@podmcp/core';
import { resolveConnection } from '../src/kube/connection.ts';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A service-account directory with the given files (none: an empty directory, i.e. not in a pod). */
function serviceAccountDir(files: Record<string, string> = {}): string {
  const directory = mkdtempSync(join(tmpdir(), 'podmcp-sa-'));
  directories.push(directory);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
  return directory;
}

function kubeConfig(contextNamespace?: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'user-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: contextNamespace }],
    currentContext: 'ctx',
  });
  return config;
}

describe('resolveConnection: namespace precedence', () => {
  const all = () => ({
    kubeConfig: kubeConfig('from-context'),
    env: { [IDENTITY_ENV.podNamespace]: 'from-env' },
    serviceAccountDir: serviceAccountDir({ namespace: 'from-file\n' }),
  });

  test('the flag first', () => {
    const connection = resolveConnection({ ...all(), namespace: 'from-flag' });
    assert.deepEqual([connection.namespace, connection.namespaceSource], ['from-flag', '--namespace']);
  });

  test('then PODMCP_POD_NAMESPACE', () => {
    const connection = resolveConnection(all());
    assert.deepEqual([connection.namespace, connection.namespaceSource], ['from-env', 'PODMCP_POD_NAMESPACE']);
  });

  test('then the service-account namespace file, trimmed', () => {
    const options = { ...all(), env: {} };
    const connection = resolveConnection(options);
    assert.equal(connection.namespace, 'from-file');
    assert.equal(connection.namespaceSource, join(options.serviceAccountDir, 'namespace'));
  });

  test('then the kubeconfig context', () => {
    const connection = resolveConnection({ ...all(), env: {}, serviceAccountDir: serviceAccountDir() });
    assert.deepEqual([connection.namespace, connection.namespaceSource], ['from-context', 'kubeconfig context']);
  });

  test('then default', () => {
    const connection = resolveConnection({ kubeConfig: kubeConfig(), env: {}, serviceAccountDir: serviceAccountDir() });
    assert.deepEqual(
      [connection.namespace, connection.namespaceSource],
      ['default', 'default (no namespace configured)'],
    );
  });

  test('empty values do not count', () => {
    const connection = resolveConnection({
      kubeConfig: kubeConfig('from-context'),
      namespace: '',
      env: { [IDENTITY_ENV.podNamespace]: '' },
      serviceAccountDir: serviceAccountDir({ namespace: '  \n' }),
    });
    assert.equal(connection.namespace, 'from-context');
  });

  test('an explicit kubeconfig is used as given, with no token file', () => {
    const config = kubeConfig('x');
    const connection = resolveConnection({ kubeConfig: config, env: {}, serviceAccountDir: serviceAccountDir() });
    assert.equal(connection.kubeConfig, config);
    assert.equal(connection.tokenFile, undefined);
  });
});

describe('resolveConnection: in a pod', () => {
  test('PODMCP_TOKEN_FILE with KUBERNETES_SERVICE_HOST: the cluster, the CA next to the token, a tokenFile user', () => {
    const connection = resolveConnection({
      env: {
        [TOKEN_FILE_ENV]: '/var/run/secrets/podmcp.dev/token',
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        KUBERNETES_SERVICE_PORT: '6443',
        [IDENTITY_ENV.podNamespace]: 'team',
      },
      serviceAccountDir: serviceAccountDir(),
    });
    assert.equal(connection.namespace, 'team');
    assert.equal(connection.tokenFile, '/var/run/secrets/podmcp.dev/token');
    const cluster = connection.kubeConfig.getCurrentCluster();
    assert.equal(cluster?.server, 'https://10.96.0.1:6443');
    assert.equal(cluster?.caFile, '/var/run/secrets/podmcp.dev/ca.crt');
    assert.equal(cluster?.skipTLSVerify, false);
    const user = connection.kubeConfig.getCurrentUser();
    assert.equal(user?.authProvider?.name, 'tokenFile');
    assert.deepEqual(user?.authProvider?.config, { tokenFile: '/var/run/secrets/podmcp.dev/token' });
    assert.equal(user?.token, undefined);
  });

  test('port 443 when the port is not set', () => {
    const connection = resolveConnection({
      env: { [TOKEN_FILE_ENV]: '/t/token', KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc' },
      serviceAccountDir: serviceAccountDir(),
    });
    assert.equal(connection.kubeConfig.getCurrentCluster()?.server, 'https://kubernetes.default.svc:443');
  });

  test('an IPv6 service host is bracketed', () => {
    const connection = resolveConnection({
      env: { [TOKEN_FILE_ENV]: '/t/token', KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: serviceAccountDir(),
    });
    assert.equal(connection.kubeConfig.getCurrentCluster()?.server, 'https://[fd00:10:96::1]:443');
  });

  test("the pod's own service-account token when no PODMCP_TOKEN_FILE, from the environment given", () => {
    const directory = serviceAccountDir({ token: 'sa-token', namespace: 'team', 'ca.crt': 'ca' });
    const connection = resolveConnection({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: directory,
    });
    assert.equal(connection.tokenFile, join(directory, 'token'));
    assert.deepEqual([connection.namespace, connection.namespaceSource], ['team', join(directory, 'namespace')]);
    const cluster = connection.kubeConfig.getCurrentCluster();
    assert.equal(cluster?.server, 'https://10.96.0.1:443');
    assert.equal(cluster?.caFile, join(directory, 'ca.crt'));
    assert.deepEqual(connection.kubeConfig.getCurrentUser()?.authProvider?.config, {
      tokenFile: join(directory, 'token'),
    });
  });
});

describe('resolveConnection: nothing configured', () => {
  test("client-node's last resort, http://localhost:8080 without credentials, in the default namespace", () => {
    // HOME without a .kube/config and no KUBECONFIG: nothing of this machine's configuration can leak in.
    const env = { HOME: serviceAccountDir() };
    const connection = resolveConnection({ env, serviceAccountDir: serviceAccountDir() });
    assert.equal(connection.kubeConfig.getCurrentCluster()?.server, 'http://localhost:8080');
    assert.equal(connection.kubeConfig.getCurrentUser()?.name, 'user');
    assert.equal(connection.tokenFile, undefined);
    assert.deepEqual(
      [connection.namespace, connection.namespaceSource],
      ['default', 'default (no namespace configured)'],
    );
  });
});
