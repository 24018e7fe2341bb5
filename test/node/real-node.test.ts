/**
 * The real node itself: a pod of the test app image runs and becomes Ready behind its readiness probe,
 * `kubectl logs` reads its container log, the kubelet's port-forward reaches it, a pod reaches the API server
 * through the `kubernetes` Service with its projected token, the container's cgroup shows its memory and
 * limit, and stopping the node leaves no link, mount, iptables chain or folder behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../control-plane/kube.ts';
import { freePorts } from '../control-plane/ports.ts';
import { containerMemory, watchReadiness } from './observe.ts';
import { NETWORK } from './real-node.ts';
import { realNodeForSuite } from './suite.ts';

const { node, skip } = await realNodeForSuite();

function appPod(name: string, image: string): V1Pod {
  return {
    metadata: { name, labels: { test: name } },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
          resources: { limits: { memory: '64Mi' }, requests: { memory: '16Mi' } },
        },
      ],
    },
  };
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, timeout: 5_000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('real node', { skip }, () => {
  test('runs a pod Ready, serves its log and a port-forward, and routes the kubernetes Service', async () => {
    assert.ok(node);
    const kubeConfig = node.plane.kubeConfig;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const readiness = await watchReadiness(kubeConfig, 'default', 'test=app');
    await core.createNamespacedPod({ namespace: 'default', body: appPod('app', node.testAppImage) });
    await eventually(
      'pod app Ready',
      async () => {
        const read = await core.readNamespacedPod({ namespace: 'default', name: 'app' });
        return read.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      60_000,
    );
    const running = await core.readNamespacedPod({ namespace: 'default', name: 'app' });
    assert.ok(running.status?.podIP?.startsWith('198.18.16.'), `pod IP ${running.status?.podIP} in the pod range`);
    assert.deepEqual(
      readiness.history().map(({ ready }) => ready),
      [false, true],
    );
    readiness.stop();

    const log = await core.readNamespacedPodLog({ namespace: 'default', name: 'app', container: 'app' });
    assert.match(log, /testapp listening on :8080/);
    assert.match(log, /GET \/healthz/, 'the kubelet probed it');

    const [localPort] = (await freePorts(1)) as [number];
    const forward = spawn(
      'kubectl',
      [`--kubeconfig=${node.plane.kubeconfigFile}`, 'port-forward', 'pod/app', `${localPort}:8080`],
      { stdio: 'ignore' },
    );
    try {
      const metrics = await eventually('the port-forward', () => httpGet(localPort, '/metrics'), 20_000);
      assert.match(metrics, /testapp_requests_total \d+/);
    } finally {
      forward.kill();
    }

    const memory = await containerMemory(kubeConfig, 'default', 'app', 'app');
    assert.equal(memory.limitBytes, 64 * 1024 * 1024);
    assert.ok(memory.currentBytes > 0 && memory.peakBytes >= memory.currentBytes, JSON.stringify(memory));

    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'whoami' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: node.testAppImage, args: ['--whoami'] }] },
      },
    });
    const phase = await eventually(
      'pod whoami to finish',
      async () => {
        const read = await core.readNamespacedPod({ namespace: 'default', name: 'whoami' });
        return ['Succeeded', 'Failed'].includes(read.status?.phase ?? '') && read.status?.phase;
      },
      60_000,
    );
    const answer = await core.readNamespacedPodLog({ namespace: 'default', name: 'whoami' });
    assert.equal(phase, 'Succeeded', answer);
    assert.match(answer, /whoami: 198\.19\.0\.1:443 answered 201: system:serviceaccount:default:default/);
  });

  test('stop removes every link, mount, iptables chain and folder the node made', async () => {
    assert.ok(node);
    await node.stop();
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.doesNotMatch(links, new RegExp(`${NETWORK.nodeLink}|${NETWORK.podBridge}`));
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    assert.doesNotMatch(mounts, /podmcp-real-node/);
    for (const tool of ['iptables-save', 'ip6tables-save']) {
      assert.doesNotMatch(execFileSync(tool, { encoding: 'utf8' }), /KUBE-/, tool);
    }
    assert.equal(existsSync('/var/lib/podmcp-real-node'), false);
    assert.equal(existsSync('/run/podmcp-real-node.lock'), false);
  });
});
