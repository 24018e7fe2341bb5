import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseInjectorConfig } from '../src/config.ts';
import { decide } from '../src/decide.ts';
import { escapePointerToken } from '../src/patch.ts';
import { podWith } from './fixtures.ts';

const config = parseInjectorConfig(`
sidecar:
  image: ghcr.io/podmcp/podmcp:0.1.0
allowedImages: ["ghcr.io/podmcp/podmcp:*", "registry.internal/podmcp@sha256:*"]
`);
const cluster = { nativeSidecars: true };

describe('decide: skips', () => {
  test('no opt-in annotation', () => {
    const pod = podWith({});
    delete pod.metadata?.annotations?.['podmcp.dev/inject'];
    const decision = decide(pod, config, cluster);
    assert.deepEqual([decision.action, decision.reason], ['skip', 'not-opted-in']);
  });

  test('explicit opt-out', () => {
    const decision = decide(podWith({ 'podmcp.dev/inject': 'false' }), config, cluster);
    assert.deepEqual([decision.action, decision.reason], ['skip', 'opted-out']);
  });

  test('already injected (status annotation and container)', () => {
    const pod = podWith({ 'podmcp.dev/status': '{}' }, { initContainers: [{ name: 'podmcp' }] });
    assert.equal(decide(pod, config, cluster).reason, 'already-injected');
  });
});

/** Each denial: the annotations/spec that cause it and the exact message a user reads. */
const DENIALS: Array<{
  name: string;
  annotations: Record<string, string>;
  spec?: object;
  reason: string;
  message: string;
}> = [
  {
    name: 'invalid value',
    annotations: { 'podmcp.dev/inject': 'yes' },
    reason: 'invalid-annotation',
    message: 'podmcp.dev/inject: "yes" is not valid; allowed: true, false',
  },
  {
    name: 'action tool in read-only mode',
    annotations: { 'podmcp.dev/tools': 'delete_pod' },
    reason: 'invalid-annotation',
    message: 'podmcp.dev/tools: delete_pod is an action tool; set podmcp.dev/mode: read-write to allow actions',
  },
  {
    name: 'sidecar port used by an app container',
    annotations: { 'podmcp.dev/port': '8080' },
    spec: { containers: [{ name: 'web', image: 'web', ports: [{ name: 'http', containerPort: 8080 }] }] },
    reason: 'port-conflict',
    message:
      'podmcp.dev/port: 8080 clashes with containerPort 8080 (http) of container "web"; set podmcp.dev/port to a free port',
  },
  {
    name: 'default health port used by an init container',
    annotations: {},
    spec: {
      initContainers: [{ name: 'proxy', image: 'p', ports: [{ containerPort: 9811 }] }],
      containers: [{ name: 'web', image: 'web' }],
    },
    reason: 'port-conflict',
    message:
      'podmcp.dev/health-port: 9811 clashes with containerPort 9811 of init container "proxy"; set podmcp.dev/health-port to a free port',
  },
  {
    name: 'app metrics port pointing at the sidecar',
    annotations: { 'podmcp.dev/app-metrics-port': '9810' },
    reason: 'port-conflict',
    message: "podmcp.dev/app-metrics-port: 9810 is the sidecar's own podmcp.dev/port; point it at the app",
  },
  {
    name: 'a container already named podmcp',
    annotations: {},
    spec: { containers: [{ name: 'podmcp', image: 'mine' }] },
    reason: 'name-conflict',
    message: 'the pod already has a container named "podmcp" that podmcp did not inject; rename it',
  },
  {
    name: 'a volume named like ours',
    annotations: {},
    spec: { containers: [{ name: 'web', image: 'web' }], volumes: [{ name: 'podmcp-tmp', emptyDir: {} }] },
    reason: 'name-conflict',
    message: 'the pod already has a volume named "podmcp-tmp", which podmcp needs; rename it',
  },
  {
    name: 'host network',
    annotations: {},
    spec: { hostNetwork: true, containers: [{ name: 'web', image: 'web' }] },
    reason: 'host-network',
    message:
      "the pod uses hostNetwork, so the sidecar's loopback-only endpoint would be the node's loopback; podmcp does not inject into host-network pods",
  },
  {
    name: 'a Windows pod',
    annotations: {},
    spec: { os: { name: 'windows' }, containers: [{ name: 'web', image: 'web' }] },
    reason: 'unsupported-os',
    message:
      'spec.os.name is "windows": the podmcp sidecar is a Linux container and cannot run in this pod; remove podmcp.dev/inject from its pod template',
  },
  {
    name: 'image override outside the allow-list',
    annotations: { 'podmcp.dev/image': 'evil.example/podmcp:latest' },
    reason: 'image-not-allowed',
    message:
      'podmcp.dev/image: "evil.example/podmcp:latest" is not allowed by the injector configuration; allowed: ghcr.io/podmcp/podmcp:0.1.0, ghcr.io/podmcp/podmcp:*, registry.internal/podmcp@sha256:*',
  },
];

describe('decide: denials name the key, the value and the fix', () => {
  for (const denial of DENIALS) {
    test(denial.name, () => {
      const decision = decide(podWith(denial.annotations, denial.spec), config, cluster);
      assert.equal(decision.action, 'deny');
      assert.equal(decision.reason, denial.reason);
      assert.deepEqual(decision.messages, [denial.message]);
    });
  }

  test('native sidecar requested on a cluster without them', () => {
    const decision = decide(podWith({ 'podmcp.dev/native-sidecar': 'true' }), config, { nativeSidecars: false });
    assert.equal(decision.reason, 'native-sidecar-unsupported');
  });
});

describe('decide: injections', () => {
  test('a pod that declares Linux, or no OS at all, is injected', () => {
    const linux = decide(
      podWith({}, { os: { name: 'linux' }, containers: [{ name: 'web', image: 'web' }] }),
      config,
      cluster,
    );
    assert.equal(linux.action, 'inject');
    assert.equal(decide(podWith({}), config, cluster).action, 'inject');
  });

  test('a Windows pod that did not opt in is skipped as any other, not denied', () => {
    const pod = podWith({ 'podmcp.dev/inject': 'false' }, { os: { name: 'windows' }, containers: [{ name: 'w' }] });
    assert.deepEqual([decide(pod, config, cluster).action, decide(pod, config, cluster).reason], ['skip', 'opted-out']);
  });

  test('an allowed image override is used', () => {
    const decision = decide(podWith({ 'podmcp.dev/image': 'ghcr.io/podmcp/podmcp:0.2.0' }), config, cluster);
    assert.equal(decision.action === 'inject' && decision.plan.image, 'ghcr.io/podmcp/podmcp:0.2.0');
  });

  test('native follows the cluster when auto, and the configuration can force it', () => {
    const pod = podWith({});
    const native = (facts: { nativeSidecars: boolean | undefined }, mode: 'auto' | 'always' | 'never' = 'auto') => {
      const decision = decide(pod, { ...config, nativeSidecars: mode }, facts);
      return decision.action === 'inject' && decision.plan.native;
    };
    assert.equal(native({ nativeSidecars: true }), true);
    assert.equal(native({ nativeSidecars: false }), false);
    assert.equal(native({ nativeSidecars: undefined }), true);
    assert.equal(native({ nativeSidecars: true }, 'never'), false);
    assert.equal(native({ nativeSidecars: false }, 'always'), true);
  });

  test('unknown keys are warnings, not denials', () => {
    const decision = decide(podWith({ 'podmcp.dev/moed': 'read-write' }), config, cluster);
    assert.equal(decision.action, 'inject');
    assert.deepEqual(decision.warnings, [
      'unknown annotation podmcp.dev/moed is ignored; did you mean podmcp.dev/mode?',
    ]);
  });
});

test('JSON pointer escaping: ~ before /', () => {
  assert.equal(escapePointerToken('a/b~c'), 'a~1b~0c');
  assert.equal(escapePointerToken('~1'), '~01');
});

describe('injector configuration', () => {
  test('errors list every bad field with its path', () => {
    assert.throws(
      () =>
        parseInjectorConfig(
          'sidecar:\n  image: x\n  port: 80\n  resources: { cpuRequest: lots, memoryRequest: 1Mi, memoryLimit: 2Mi }\nextra: 1',
        ),
      (error: Error) =>
        /sidecar\.port: .*1024/.test(error.message) &&
        /sidecar\.resources\.cpuRequest: must be a Kubernetes quantity/.test(error.message) &&
        /extra|Unrecognized key/.test(error.message),
    );
  });

  test('bad YAML says so', () => {
    assert.throws(() => parseInjectorConfig('sidecar: [unclosed'), /not valid YAML/);
  });
});

describe('exposure needs an audience', () => {
  test('expose without token-audience is denied with the annotation to add; with it, injected', () => {
    const exposed = decide(podWith({ 'podmcp.dev/expose': 'true' }), config, cluster);
    assert.equal(exposed.action, 'deny');
    assert.match(exposed.messages.join('\n'), /podmcp\.dev\/expose: "true" needs podmcp\.dev\/token-audience/);
    const withAudience = decide(
      podWith({ 'podmcp.dev/expose': 'true', 'podmcp.dev/token-audience': 'web-mcp' }),
      config,
      cluster,
    );
    assert.equal(withAudience.action, 'inject');
  });
});
