/**
 * The shipped overlays against a real API server: every object validates server-side (schemas, RBAC
 * escalation checks, webhook configuration rules), and the default overlay applies for real.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import { MANIFESTS } from '../manifests/render.ts';

const { plane, skip } = await controlPlaneForSuite({ needsLocal: true });

function kubectl(...args: string[]): string {
  if (!plane) throw new Error('no control plane');
  try {
    return execFileSync('kubectl', [...args, `--kubeconfig=${plane.kubeconfigFile}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(`kubectl ${args.join(' ')} failed:\n${(error as { stderr?: string }).stderr}`);
  }
}

describe('shipped manifests on a real API server', { skip }, () => {
  test('the default overlay passes a server-side dry run', async () => {
    if (!plane) return;
    // A dry run creates nothing, so namespaced objects need their namespace to exist already.
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'podmcp-system' } } });
    const output = kubectl('apply', '--dry-run=server', '-k', join(MANIFESTS, 'overlays/default'));
    assert.match(output, /deployment\.apps\/podmcp-injector created \(server dry run\)/);
    assert.match(output, /mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/podmcp-injector created/);
    assert.match(output, /role\.rbac\.authorization\.k8s\.io\/podmcp-injector-self-signed created/);
  });

  test('the default overlay applies, and the webhook configuration keeps its safety properties', async () => {
    if (!plane) return;
    kubectl('apply', '-k', join(MANIFESTS, 'overlays/default'));
    const configuration = await plane.kubeConfig
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: 'podmcp-injector' });
    const webhook = configuration.webhooks?.[0];
    assert.equal(webhook?.clientConfig.service?.namespace, 'podmcp-system');
    assert.equal(webhook?.clientConfig.caBundle, undefined, 'the caBundle is filled in at run time, never shipped');
    assert.deepEqual(webhook?.rules?.[0]?.operations, ['CREATE']);
    assert.ok(webhook?.matchConditions?.length, 'the API server kept matchConditions');
    assert.equal(webhook?.sideEffects, 'NoneOnDryRun');
  });

  test('the per-namespace sidecar RoleBindings apply in an application namespace', async () => {
    if (!plane) return;
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'shop' } } });
    for (const binding of ['read-only', 'read-write']) {
      const output = kubectl('apply', '--dry-run=server', '-n', 'shop', '-k', join(MANIFESTS, 'sidecar-rbac', binding));
      assert.match(output, /rolebinding\.rbac\.authorization\.k8s\.io\/\S+ created \(server dry run\)/);
    }
  });
});
