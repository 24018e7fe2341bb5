/**
 * `podmcp connect`, the parts that need no cluster: the command line, which pod of a workload is chosen from
 * plain V1Pod objects, the messages a user reads, and the agent configuration snippets in examples/agents,
 * whose command lines must be accepted by the same parser. The port-forward itself is covered end to end in
 * test/e2e/connect.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { CLAIMED_IDENTITY_HEADER, CLAIMED_IDENTITY_MAX_CHARS, isInjected } from '@podmcp/core';
import { UsageError } from '../src/command.ts';
import { forbiddenToPortForward, selectorString } from '../src/connect/cluster.ts';
import {
  claimedIdentityOf,
  kubeConfigAvailable,
  loadKubeConfig,
  parseConnectArgs,
  parseListen,
} from '../src/connect/command.ts';
import { upgradeStatus } from '../src/connect/forward.ts';
import { choosePod, isSidecarReady, mcpPort, NoPodError } from '../src/connect/pods.ts';
import { parseTarget } from '../src/connect/target.ts';
import { REPO, runCli } from './helpers.ts';

const STATUS = JSON.stringify({ version: '1', native: false, containers: ['podmcp'], volumes: [], configHash: 'x' });

function pod(
  name: string,
  options: {
    injected?: boolean;
    phase?: string;
    sidecarReady?: boolean;
    created?: string;
    deleting?: boolean;
    endpoint?: string;
    native?: boolean;
  } = {},
): V1Pod {
  const injected = options.injected ?? true;
  const sidecar = { name: 'podmcp', image: 'ghcr.io/podmcp/podmcp:0.1.0' };
  const app = { name: 'app', image: 'app:1' };
  const ready = options.sidecarReady ?? true;
  const statuses = [
    { name: 'app', ready: true, restartCount: 0, image: 'app:1', imageID: '' },
    ...(injected ? [{ name: 'podmcp', ready, restartCount: 0, image: sidecar.image, imageID: '' }] : []),
  ];
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: new Date(options.created ?? '2026-01-01T00:00:00Z'),
      ...(options.deleting ? { deletionTimestamp: new Date('2026-01-02T00:00:00Z') } : {}),
      annotations: injected
        ? { 'podmcp.dev/status': STATUS, 'podmcp.dev/endpoint': options.endpoint ?? 'http://127.0.0.1:9810/mcp' }
        : {},
    },
    spec: {
      containers: injected && !options.native ? [app, sidecar] : [app],
      ...(injected && options.native ? { initContainers: [{ ...sidecar, restartPolicy: 'Always' }] } : {}),
    },
    status: {
      phase: options.phase ?? 'Running',
      ...(options.native
        ? { containerStatuses: statuses.slice(0, 1), initContainerStatuses: statuses.slice(1) }
        : { containerStatuses: statuses }),
    },
  };
}

const where = { target: 'deploy/checkout', namespace: 'shop' };

describe('target argument', () => {
  test('kinds as kubectl spells them, and a bare name', () => {
    assert.deepEqual(parseTarget('deploy/checkout'), { kind: 'deployment', name: 'checkout' });
    assert.deepEqual(parseTarget('deployment/checkout'), { kind: 'deployment', name: 'checkout' });
    assert.deepEqual(parseTarget('deployment.apps/checkout'), { kind: 'deployment', name: 'checkout' });
    assert.deepEqual(parseTarget('sts/db'), { kind: 'statefulset', name: 'db' });
    assert.deepEqual(parseTarget('StatefulSet/db'), { kind: 'statefulset', name: 'db' });
    assert.deepEqual(parseTarget('ds/agent'), { kind: 'daemonset', name: 'agent' });
    assert.deepEqual(parseTarget('pod/web-0'), { kind: 'pod', name: 'web-0' });
    assert.deepEqual(parseTarget('po/web-0'), { kind: 'pod', name: 'web-0' });
    assert.deepEqual(parseTarget('checkout'), { kind: undefined, name: 'checkout' });
  });

  test('an unknown kind or an invalid name says what is accepted', () => {
    const kind = parseTarget('svc/checkout');
    assert.ok('error' in kind);
    assert.match(kind.error, /unknown kind "svc".*deploy\/NAME, sts\/NAME, ds\/NAME, pod\/NAME or NAME/);
    for (const bad of ['deploy/', 'deploy/Checkout', 'a/b/c', '', 'deploy/-x']) {
      const parsed = parseTarget(bad);
      assert.ok('error' in parsed, bad);
    }
  });
});

describe('command line', () => {
  test('flags and the target', () => {
    assert.deepEqual(
      parseConnectArgs(['-n', 'shop', '--kubeconfig', 'k.yaml', '--context', 'prod', 'sts/db', '--listen', '9000']),
      {
        target: { kind: 'statefulset', name: 'db' },
        namespace: 'shop',
        kubeconfig: 'k.yaml',
        context: 'prod',
        listen: { host: '127.0.0.1', port: 9000 },
      },
    );
    assert.equal(parseConnectArgs(['--namespace=shop', 'checkout']).namespace, 'shop');
    assert.equal(parseConnectArgs(['checkout']).listen, undefined);
  });

  test('--listen accepts PORT, HOST:PORT and [IPv6]:PORT', () => {
    assert.deepEqual(parseListen('0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListen('0.0.0.0:9810'), { host: '0.0.0.0', port: 9810 });
    assert.deepEqual(parseListen('localhost:9810'), { host: 'localhost', port: 9810 });
    assert.deepEqual(parseListen('[::1]:9810'), { host: '::1', port: 9810 });
    for (const bad of ['', 'x', '70000', 'host:', ':9810', '1.2.3.4:port']) {
      assert.throws(() => parseListen(bad), UsageError, bad);
    }
  });

  test('usage errors: no target, two targets, an unknown flag, an empty flag', () => {
    assert.throws(() => parseConnectArgs([]), /name the workload to connect to/);
    assert.throws(() => parseConnectArgs(['a', 'b']), /one workload only/);
    assert.throws(() => parseConnectArgs(['--port', '1', 'a']), UsageError);
    assert.throws(() => parseConnectArgs(['--context', '', 'a']), /--context must not be empty/);
    assert.throws(() => parseConnectArgs(['svc/a']), /unknown kind/);
  });

  test('through the dispatcher: usage errors exit 2, --help exits 0, an unreadable kubeconfig exits 1', async () => {
    const none = await runCli(['connect']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /podmcp connect: name the workload/);
    const help = await runCli(['connect', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /podmcp connect \[flags\] deploy\/NAME/);
    const top = await runCli(['--help']);
    assert.match(top.stdout, /connect\s+Connect a local MCP client/);
    const missing = await runCli(['connect', '--kubeconfig', join(REPO, 'no-such-kubeconfig.yaml'), 'deploy/x']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /podmcp connect: cannot read the kubeconfig/);
    assert.equal(missing.stdout, '');
  });
});

describe('pod choice', () => {
  test('an injected pod is recognised by the status annotation and the podmcp container, classic or native', () => {
    assert.equal(isInjected(pod('a')), true);
    assert.equal(isInjected(pod('a', { native: true })), true);
    assert.equal(isInjected(pod('a', { injected: false })), false);
    const annotationOnly = pod('a');
    annotationOnly.spec = { containers: [{ name: 'app' }] };
    assert.equal(isInjected(annotationOnly), false);
    assert.equal(isSidecarReady(pod('a', { native: true })), true);
    assert.equal(isSidecarReady(pod('a', { native: true, sidecarReady: false })), false);
  });

  test('no pods at all', () => {
    assert.throws(
      () => choosePod([], where),
      (error: unknown) =>
        error instanceof NoPodError &&
        error.reason === 'no-pods' &&
        /deploy\/checkout in namespace shop has no pods/.test(error.message),
    );
  });

  test('pods without the sidecar: the message names podmcp.dev/inject', () => {
    assert.throws(
      () => choosePod([pod('a', { injected: false }), pod('b', { injected: false })], where),
      (error: unknown) => {
        assert.ok(error instanceof NoPodError);
        assert.equal(error.reason, 'not-injected');
        assert.match(error.message, /deploy\/checkout in namespace shop has no podmcp sidecar injected/);
        assert.match(error.message, /none of its 2 pods/);
        assert.match(error.message, /podmcp\.dev\/inject: "true"/);
        return true;
      },
    );
  });

  test('injected pods that are not ready: the message lists each pod and why', () => {
    const pods = [
      pod('a', { sidecarReady: false }),
      pod('b', { phase: 'Pending' }),
      pod('c', { deleting: true }),
      pod('plain', { injected: false }),
    ];
    assert.throws(
      () => choosePod(pods, where),
      (error: unknown) => {
        assert.ok(error instanceof NoPodError);
        assert.equal(error.reason, 'not-ready');
        assert.match(error.message, /no pod whose podmcp sidecar is ready/);
        assert.match(error.message, /a \(sidecar not ready\), b \(Pending\), c \(terminating\)/);
        assert.match(error.message, /kubectl logs -n shop POD -c podmcp/);
        return true;
      },
    );
  });

  test('the oldest ready injected pod, skipping unready, terminating and uninjected ones', () => {
    const pods = [
      pod('young', { created: '2026-03-01T00:00:00Z' }),
      pod('old-unready', { created: '2026-01-01T00:00:00Z', sidecarReady: false }),
      pod('old-deleting', { created: '2026-01-01T00:00:00Z', deleting: true }),
      pod('old-plain', { created: '2026-01-01T00:00:00Z', injected: false }),
      pod('middle', { created: '2026-02-01T00:00:00Z', endpoint: 'http://127.0.0.1:9900/mcp' }),
    ];
    assert.deepEqual(choosePod(pods, where), { name: 'middle', uid: 'uid-middle', port: 9900 });
  });

  test('pods that failed are avoided while another is ready, and used again when none is', () => {
    const pods = [pod('a', { created: '2026-01-01T00:00:00Z' }), pod('b', { created: '2026-02-01T00:00:00Z' })];
    assert.equal(choosePod(pods, { ...where, avoid: new Set(['a']) }).name, 'b');
    assert.equal(choosePod(pods, { ...where, avoid: new Set(['a', 'b']) }).name, 'a');
  });

  test('the MCP port: the endpoint annotation, else PODMCP_PORT of the container, else 9810', () => {
    assert.equal(mcpPort(pod('a', { endpoint: 'http://127.0.0.1:9999/mcp' })), 9999);
    const fromEnv = pod('a', { endpoint: 'not a url' });
    fromEnv.spec?.containers.push({ name: 'x' });
    const sidecar = fromEnv.spec?.containers.find((container) => container.name === 'podmcp');
    if (sidecar) sidecar.env = [{ name: 'PODMCP_PORT', value: '9555' }];
    assert.equal(mcpPort(fromEnv), 9555);
    assert.equal(mcpPort(pod('a', { injected: false })), 9810);
  });
});

describe('cluster messages and helpers', () => {
  test('forbidden to port-forward names the RBAC permission and how to check it', () => {
    const message = forbiddenToPortForward('shop', 'checkout-1').message;
    assert.match(message, /forbidden to port-forward to pod checkout-1 in namespace shop/);
    assert.match(message, /create pods\/portforward/);
    assert.match(message, /kubectl auth can-i create pods\/portforward -n shop/);
  });

  test('label selectors become the labelSelector query', () => {
    assert.equal(
      selectorString({
        matchLabels: { app: 'web', tier: 'front' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['a', 'b'] },
          { key: 'skip', operator: 'NotIn', values: ['x'] },
          { key: 'has', operator: 'Exists' },
          { key: 'not', operator: 'DoesNotExist' },
        ],
      }),
      'app=web,tier=front,env in (a,b),skip notin (x),has,!not',
    );
    assert.equal(selectorString(undefined), '');
  });

  test('the status of a refused WebSocket upgrade', () => {
    assert.equal(upgradeStatus('Unexpected server response: 403'), 403);
    assert.equal(upgradeStatus('socket hang up'), undefined);
  });
});

describe('kubeconfig and identity', () => {
  const KUBECONFIG_TEXT = [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
    'users: [{name: alice, user: {token: t}}]',
    'contexts: [{name: x, context: {cluster: c, user: alice}}]',
    'current-context: x',
  ].join('\n');

  test('no kubeconfig anywhere: says so plainly, before client-node falls back to localhost:8080', () => {
    const home = mkdtempSync(join(tmpdir(), 'podmcp-connect-home-'));
    try {
      const env = { HOME: home, KUBECONFIG: join(home, 'missing.yaml') };
      assert.equal(kubeConfigAvailable(env), false);
      assert.throws(() => loadKubeConfig({ kubeconfig: undefined, context: undefined }, env), {
        message: 'no kubeconfig found; set KUBECONFIG or --kubeconfig',
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a kubeconfig in KUBECONFIG or in ~/.kube/config is found', () => {
    const home = mkdtempSync(join(tmpdir(), 'podmcp-connect-home-'));
    try {
      const file = join(home, 'config.yaml');
      writeFileSync(file, KUBECONFIG_TEXT);
      assert.equal(
        kubeConfigAvailable({ HOME: join(home, 'nowhere'), KUBECONFIG: `${join(home, 'none')}:${file}` }),
        true,
      );
      mkdirSync(join(home, '.kube'));
      writeFileSync(join(home, '.kube', 'config'), KUBECONFIG_TEXT);
      assert.equal(kubeConfigAvailable({ HOME: home }), true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('the claimed identity is the kubeconfig user and this process, so two agents of one user differ', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(KUBECONFIG_TEXT);
    assert.equal(claimedIdentityOf(kubeConfig, '0a1b2c3d'), 'alice#0a1b2c3d');
    assert.notEqual(claimedIdentityOf(kubeConfig), claimedIdentityOf(kubeConfig));
    assert.match(claimedIdentityOf(kubeConfig), /^alice#[0-9a-f]{8}$/);
  });

  test('a user name outside Latin-1 or too long is cleaned to a valid header value, keeping the instance', () => {
    const named = (user: string) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(KUBECONFIG_TEXT.replaceAll('alice', JSON.stringify(user)));
      return claimedIdentityOf(kubeConfig, '0a1b2c3d');
    };
    const accented = named('Zoë Łukasz');
    assert.equal(accented, 'Zo_ukasz#0a1b2c3d');
    assert.doesNotThrow(() => new Headers({ [CLAIMED_IDENTITY_HEADER]: accented }));
    assert.equal(named('管理者'), 'unknown#0a1b2c3d');
    const long = named('a'.repeat(500));
    assert.equal(long.length, CLAIMED_IDENTITY_MAX_CHARS);
    assert.ok(long.endsWith('#0a1b2c3d'));
  });
});

describe('examples/agents snippets', () => {
  const dir = join(REPO, 'examples', 'agents');

  /** Every `podmcp connect …` command line in the snippets, as argv after "connect". */
  function connectCommandLines(): Array<{ source: string; argv: string[] }> {
    const found: Array<{ source: string; argv: string[] }> = [];
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
      const config = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        mcpServers?: Record<string, { command: string; args: string[] }>;
        servers?: Record<string, { command: string; args: string[] }>;
      };
      for (const [name, server] of Object.entries({ ...config.mcpServers, ...config.servers })) {
        assert.equal(server.command, 'npx', `${file} ${name}`);
        assert.deepEqual(server.args.slice(0, 2), ['podmcp', 'connect'], `${file} ${name}`);
        found.push({ source: `${file} ${name}`, argv: server.args.slice(2) });
      }
    }
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const block of readme.matchAll(/```json\n([\s\S]*?)```/g)) JSON.parse(block[1] ?? '');
    for (const text of [readFileSync(join(dir, 'claude-code.sh'), 'utf8'), readme]) {
      for (const match of text.matchAll(/npx podmcp connect ([^\n`"]+)/g)) {
        found.push({ source: match[0], argv: (match[1] ?? '').trim().split(/\s+/) });
      }
    }
    return found;
  }

  test('every snippet is valid JSON and its podmcp connect command line parses', () => {
    const lines = connectCommandLines();
    assert.ok(lines.length >= 5, JSON.stringify(lines));
    for (const { source, argv } of lines) {
      assert.doesNotThrow(() => parseConnectArgs(argv), source);
    }
  });
});
