/**
 * The namespace lock, checked on the wire: the API server's own audit log records every request the sidecar's
 * ServiceAccount makes while every tool, resource and prompt is exercised, and each one must be inside the
 * sidecar's namespace (or a self review about it). Nothing cluster-scoped, nothing in another namespace, no
 * Secrets.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { exerciseEverything } from './exercise.ts';
import {
  apiServerAuditLog,
  type ConnectedSidecar,
  connectSidecar,
  createWorld,
  deployApp,
  SERVICE_ACCOUNT,
  type World,
} from './fixture.ts';

const audit = apiServerAuditLog('podmcp-audit-');
const auditLog = audit.log;

const { plane, skip } = await controlPlaneForSuite({
  nodes: true,
  needsLocal: true,
  extraApiserverArgs: [...audit.args, '--audit-log-mode=blocking'],
});
// After the control plane's own stop (hooks run in the order they were registered): nothing writes the log then.
after(() => rmSync(audit.directory, { recursive: true, force: true }));

interface AuditEvent {
  readonly user: { readonly username: string };
  readonly verb: string;
  readonly requestURI: string;
  readonly objectRef?: { readonly namespace?: string; readonly resource?: string };
}

describe('every request the sidecar sends stays in its namespace (API server audit log)', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let podName: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'lock' });
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    await deployApp(world, 'other-web', { namespace: world.otherNamespace });
    await world.admin.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: world.namespace,
      body: { metadata: { name: 'runbooks' }, data: { 'crash.md': '# Crash' } },
    });
    podName = pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, { podName, env: { PODMCP_RUNBOOKS: 'runbooks', PODMCP_RATE_LIMIT: '6000' } });
  });
  after(() => sidecar?.close());

  test('exercising everything issues only namespaced requests in namespace A', async () => {
    const before = sidecar.sidecar.services.kube.requestCount();
    const answers = await exerciseEverything(sidecar.client, {
      names: [podName, 'web', 'deploy/web', 'other-web', 'runbooks', 'self', 'kube-system', '../../api/v1/nodes'],
    });
    assert.ok(answers.length > 5);
    const sent = sidecar.sidecar.services.kube.requestCount() - before;
    assert.ok(sent > 0, 'the exercise reached the API server');

    const username = `system:serviceaccount:${world.namespace}:${SERVICE_ACCOUNT}`;
    const events = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditEvent)
      .filter((event) => event.user.username === username);
    assert.ok(events.length >= sent, `the audit log has ${events.length} of the sidecar's ${sent} requests`);
    const outside = events.filter((event) => !insideNamespace(event, world.namespace));
    assert.deepEqual(
      outside.map((event) => `${event.verb} ${event.requestURI}`),
      [],
      'requests outside the namespace',
    );
    assert.ok(!events.some((event) => event.objectRef?.resource === 'secrets'), 'no request touched Secrets');
  });

  test('an idle sidecar sends no requests', async () => {
    const before = sidecar.sidecar.services.kube.requestCount();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(sidecar.sidecar.services.kube.requestCount(), before);
  });
});

function insideNamespace(event: AuditEvent, namespace: string): boolean {
  const path = event.requestURI.split('?')[0] ?? '';
  if (path === '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews') return true;
  if (path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') return true;
  return (
    event.objectRef?.namespace === namespace &&
    (path.startsWith(`/api/v1/namespaces/${namespace}/`) ||
      new RegExp(`^/apis/[^/]+/[^/]+/namespaces/${namespace}/`).test(path))
  );
}
