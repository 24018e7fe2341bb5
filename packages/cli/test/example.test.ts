/** examples/demo: what the README tells people to run must keep working. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { REPO, runCli } from './helpers.ts';

const DEMO = join(REPO, 'examples', 'demo');
const DEPLOYMENT = join(DEMO, 'deployment.yaml');

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  spec?: {
    template?: {
      metadata: { annotations?: Record<string, string> };
      spec: { serviceAccountName?: string; initContainers?: Array<{ name: string; restartPolicy?: string }> };
    };
  };
}

function kustomize(dir: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error('kubectl is not on PATH; this test needs it');
    throw new Error(`kubectl kustomize failed:\n${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
  return parseAllDocuments(output).map((document) => document.toJS() as K8sObject);
}

function one(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  assert.equal(found.length, 1, `exactly one ${kind}/${name}`);
  return found[0] as K8sObject;
}

describe('examples/demo', () => {
  test('inject adds the native sidecar to the demo Deployment, with no warning', async () => {
    const run = await runCli(['inject', '-f', DEPLOYMENT]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const deployment = parse(run.stdout) as K8sObject;
    const sidecar = deployment.spec?.template?.spec.initContainers?.find((container) => container.name === 'podmcp');
    assert.ok(sidecar, 'initContainers has an entry named podmcp');
    assert.equal(sidecar.restartPolicy, 'Always');
  });

  test('injecting the injected Deployment again is a no-op', async () => {
    const first = await runCli(['inject', '-f', DEPLOYMENT]);
    const second = await runCli(['inject'], first.stdout);
    assert.equal(second.code, 0);
    assert.equal(second.stdout, first.stdout);
    const check = await runCli(['inject', '--check'], first.stdout);
    assert.match(check.stdout, /Deployment\/demo-app: skip \(already-injected\)/);
  });

  test('kubectl kustomize renders the demo, with the read-only sidecar role bound to its ServiceAccount', () => {
    const objects = kustomize(DEMO);
    one(objects, 'Namespace', 'podmcp-demo');
    for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) {
      assert.equal(object.metadata.namespace, 'podmcp-demo', `${object.kind}/${object.metadata.name}`);
    }
    const deployment = one(objects, 'Deployment', 'demo-app');
    const template = deployment.spec?.template;
    assert.equal(template?.metadata.annotations?.['podmcp.dev/inject'], 'true');
    const serviceAccount = template?.spec.serviceAccountName ?? 'default';
    one(objects, 'ServiceAccount', serviceAccount);
    one(objects, 'ConfigMap', template?.metadata.annotations?.['podmcp.dev/runbooks'] ?? '(no runbooks annotation)');

    const binding = one(objects, 'RoleBinding', 'podmcp-sidecar-read-only');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'podmcp-sidecar-read-only',
    });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: serviceAccount, namespace: 'podmcp-demo' }]);
    const shippedRoles = readFileSync(
      join(REPO, 'manifests', 'components', 'sidecar-rbac', 'clusterroles.yaml'),
      'utf8',
    );
    assert.match(shippedRoles, /^ {2}name: podmcp-sidecar-read-only$/m, 'the bound ClusterRole is the shipped one');
  });

  test('inject on the whole rendered demo injects only the Deployment and passes the rest through', async () => {
    const rendered = execFileSync('kubectl', ['kustomize', DEMO], { encoding: 'utf8' });
    const run = await runCli(['inject', '--check', '-o', 'json'], rendered);
    assert.equal(run.code, 0, run.stdout);
    const report = JSON.parse(run.stdout) as { objects: Array<{ object: string; action: string; warnings: string[] }> };
    assert.deepEqual(
      report.objects.map(({ object, action, warnings }) => ({ object, action, warnings })),
      [{ object: 'Deployment/demo-app', action: 'inject', warnings: [] }],
    );
    const injected = await runCli(['inject'], rendered);
    const before = parseAllDocuments(rendered).map((document) => document.toJS() as K8sObject);
    const after = parseAllDocuments(injected.stdout).map((document) => document.toJS() as K8sObject);
    assert.equal(after.length, before.length);
    after.forEach((object, index) => {
      if (object.kind !== 'Deployment') assert.deepEqual(object, before[index]);
    });
  });
});
