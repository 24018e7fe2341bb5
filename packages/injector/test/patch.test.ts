/**
 * The webhook encodes its patch without building and stringifying the whole operation list each time: the
 * sidecar is encoded once per plan and the pod's own operations around it. That must never change a byte, so
 * every pod shape the operations depend on is encoded both ways and compared as text. Also: decisions for one
 * set of annotations share their plan, and different sets never do.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { type AdmissionReviewResponse, encodeReview, review } from '../src/admission.ts';
import { defaultInjectorConfig, parseInjectorConfig } from '../src/config.ts';
import { decide } from '../src/decide.ts';
import { buildPatch, encodePatch, patchBase64 } from '../src/patch.ts';
import { admissionReview, podWith } from './fixtures.ts';

const config = defaultInjectorConfig();
const prometheusConfig = parseInjectorConfig(`
sidecar:
  image: ghcr.io/podmcp/podmcp:0.1.0
  runAsUser: null
prometheus:
  url: https://prometheus.monitoring.svc:9090
  auth: service-account
`);

const goldenDir = new URL('./golden/', import.meta.url);
const goldenPods = readdirSync(goldenDir)
  .filter((file) => file.endsWith('.yaml') && !file.endsWith('.injected.yaml'))
  .map((file) => ({ name: file, pod: parse(readFileSync(new URL(file, goldenDir), 'utf8')) as V1Pod }));

/** Each part of the pod the operations look at, present and absent. */
const SHAPES: Array<{ name: string; pod: V1Pod }> = [
  ...goldenPods,
  { name: 'plain', pod: podWith({}) },
  {
    name: 'labels and volumes present',
    pod: {
      metadata: { annotations: { 'podmcp.dev/inject': 'true' }, labels: { app: 'shop' } },
      spec: { containers: [{ name: 'app' }], volumes: [{ name: 'data', emptyDir: {} }], initContainers: [] },
    },
  },
  {
    name: 'default container already chosen',
    pod: podWith({ 'kubectl.kubernetes.io/default-container': 'other' }),
  },
  {
    name: 'no containers',
    pod: { metadata: { annotations: { 'podmcp.dev/inject': 'true' } }, spec: {} } as unknown as V1Pod,
  },
  {
    name: 'keys that need escaping and non-ASCII text',
    pod: podWith({ 'example.com/a~b': 'ü "quoted" \\ \u2028' }, { containers: [{ name: 'app-ü' }] }),
  },
  { name: 'read-write, exposed', pod: podWith({ 'podmcp.dev/mode': 'read-write' }) },
  { name: 'automount off', pod: podWith({}, { automountServiceAccountToken: false, containers: [{ name: 'a' }] }) },
];

const CASES = [
  { name: 'native sidecars', config, cluster: { nativeSidecars: true } },
  { name: 'regular container', config, cluster: { nativeSidecars: false } },
  { name: 'Prometheus token volume, platform uid', config: prometheusConfig, cluster: { nativeSidecars: true } },
];

describe('encodePatch', () => {
  for (const { name: caseName, config: caseConfig, cluster } of CASES) {
    for (const { name, pod } of SHAPES) {
      test(`${caseName}, ${name}: the same bytes as JSON.stringify(buildPatch(…)), every time`, () => {
        const decision = decide(pod, caseConfig, cluster);
        assert.equal(decision.action, 'inject', decision.messages.join('; '));
        if (decision.action !== 'inject') return;
        const expected = JSON.stringify(buildPatch(pod, decision.plan, caseConfig));
        assert.equal(encodePatch(pod, decision.plan, caseConfig), expected);
        // The second time comes from the encoded sidecar of the plan.
        const again = decide(pod, caseConfig, cluster);
        assert.ok(again.action === 'inject');
        assert.equal(encodePatch(pod, again.plan, caseConfig), expected);
        // And as the answer carries it, first encoded for this shape, then taken from the shape's encoding.
        for (const _ of [1, 2]) assert.equal(decoded(patchBase64(pod, again.plan, caseConfig)), expected);
      });
    }
  }

  test('a plan encoded under one configuration is encoded again under another, not reused', () => {
    const pod = podWith({});
    const decision = decide(pod, config, { nativeSidecars: true });
    assert.equal(decision.action, 'inject');
    if (decision.action !== 'inject') return;
    const first = encodePatch(pod, decision.plan, config);
    const other = parseInjectorConfig('sidecar:\n  image: registry.internal/podmcp:9\n  imagePullPolicy: Always\n');
    const second = encodePatch(pod, decision.plan, other);
    assert.notEqual(second, first);
    assert.equal(second, JSON.stringify(buildPatch(pod, decision.plan, other)));
  });

  test('pods of one plan and one shape share an encoding; any other shape is encoded for itself', () => {
    const cluster = { nativeSidecars: false };
    const variants = [
      podWith({}),
      podWith({}, { containers: [{ name: 'web' }] }),
      podWith({}, { containers: [{ name: 'web' }], volumes: [] }),
      podWith({ 'kubectl.kubernetes.io/default-container': 'web' }, { containers: [{ name: 'web' }] }),
      podWith({}, { containers: [{ name: 'web' }], initContainers: [] }),
    ];
    const seen = new Set<string>();
    for (const pod of [...variants, ...variants]) {
      const decision = decide(pod, config, cluster);
      assert.ok(decision.action === 'inject');
      const patch = decoded(patchBase64(pod, decision.plan, config));
      assert.equal(patch, JSON.stringify(buildPatch(pod, decision.plan, config)));
      seen.add(patch);
    }
    // The last variant differs from the second only in initContainers, which a regular container never touches.
    assert.equal(seen.size, variants.length - 1);
  });

  test("the webhook's answer carries exactly that patch", () => {
    const pod = podWith({ 'podmcp.dev/tools': 'list_pods,get_pod_logs' });
    const answer = review(admissionReview(pod), config, { nativeSidecars: true }).review.response;
    const decision = decide(pod, config, { nativeSidecars: true });
    assert.equal(decision.action, 'inject');
    if (decision.action !== 'inject') return;
    const expected = JSON.stringify(buildPatch(pod, decision.plan, config));
    assert.equal(Buffer.from(answer.patch ?? '', 'base64').toString('utf8'), expected);
  });
});

describe('encodeReview', () => {
  test('every answer is JSON.stringify of the review, byte for byte: injected, with warnings, skipped, denied', () => {
    const job = podWith({ 'podmcp.dev/native-sidecar': 'false', 'podmcp.dev/typo': 'x' });
    job.metadata = { ...job.metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }] };
    const pods = [
      ...SHAPES.map(({ pod }) => pod),
      job,
      podWith({ 'podmcp.dev/inject': 'false' }),
      podWith({ 'podmcp.dev/mode': 'god' }),
      podWith({}, { hostNetwork: true, containers: [{ name: 'a' }] }),
    ];
    let injected = 0;
    for (const pod of pods) {
      for (const { config: caseConfig, cluster } of CASES) {
        const answer = review(admissionReview(pod), caseConfig, cluster).review;
        if (answer.response.patch !== undefined) injected += 1;
        assert.equal(encodeReview(answer), JSON.stringify(answer));
      }
    }
    assert.ok(injected >= SHAPES.length * CASES.length, 'the injected answers were among them');
  });

  test('a response whose fields come in another order is stringified as it is', () => {
    const answer: AdmissionReviewResponse = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { allowed: true, uid: 'u', patch: 'W10=', patchType: 'JSONPatch', warnings: ['w'] },
    };
    assert.equal(encodeReview(answer), JSON.stringify(answer));
  });
});

describe('decisions share what one set of annotations resolves to', () => {
  const cluster = { nativeSidecars: true };

  test('the same annotations give the same plan; other annotations, configurations or pods do not', () => {
    const plan = (pod: V1Pod, withConfig = config) => {
      const decision = decide(pod, withConfig, cluster);
      assert.equal(decision.action, 'inject');
      return decision.action === 'inject' ? decision.plan : undefined;
    };
    const first = plan(podWith({ 'podmcp.dev/port': '9001' }));
    assert.equal(plan(podWith({ 'podmcp.dev/port': '9001' })), first);
    assert.notEqual(plan(podWith({ 'podmcp.dev/port': '9002' })), first);
    assert.equal(plan(podWith({ 'podmcp.dev/port': '9002' }))?.settings.sidecar.port, 9002);
    assert.notEqual(plan(podWith({ 'podmcp.dev/port': '9001' }), prometheusConfig), first);
    const ownToken = plan(podWith({ 'podmcp.dev/port': '9001' }, { automountServiceAccountToken: false }));
    assert.equal(ownToken?.ownToken, true);
    assert.equal(first?.ownToken, false);
  });

  test('annotations that only differ in where a key ends and its value begins are told apart', () => {
    const a = decide(podWith({ 'podmcp.dev/mode': 'read-only', 'podmcp.dev/x': '1' }), config, cluster);
    const b = decide(podWith({ 'podmcp.dev/mode': 'read-only1:podmcp.dev/x', 'podmcp.dev/x': '1' }), config, cluster);
    assert.equal(a.action, 'inject');
    assert.deepEqual([b.action, b.reason], ['deny', 'invalid-annotation']);
  });

  test('a value that is not a string is read as it is, never as the empty string', () => {
    const empty = decide(podWith({ 'podmcp.dev/mode': '' }), config, cluster);
    const nothing = decide(podWith({ 'podmcp.dev/mode': null as unknown as string }), config, cluster);
    assert.match(empty.messages.join(), /podmcp\.dev\/mode: "" is not valid/);
    assert.match(nothing.messages.join(), /podmcp\.dev\/mode: null is not valid/);
  });

  test('warnings are the decision’s own: adding to one does not reach the next', () => {
    const job = podWith({ 'podmcp.dev/native-sidecar': 'false', 'podmcp.dev/typo': 'x' });
    job.metadata = { ...job.metadata, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }] };
    const first = decide(job, config, cluster);
    const second = decide(job, config, cluster);
    assert.equal(first.warnings.length, 2);
    assert.deepEqual(second.warnings, first.warnings);
    assert.notEqual(second.warnings, first.warnings);
  });
});

function decoded(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}
