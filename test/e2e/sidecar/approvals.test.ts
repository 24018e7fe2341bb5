/**
 * Human in the loop: a mutating tool asks the client's user through MCP elicitation, showing what the
 * server-side dry run says will change, and acts only on an explicit yes. A no, a cancel or a client that
 * cannot ask (without the unattended policy) changes nothing. Every outcome is audited.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AppsV1Api } from '@kubernetes/client-node';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { callTool, callToolError, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const READ_WRITE = { PODMCP_MODE: 'read-write', PODMCP_ACTION_COOLDOWN: '0', PODMCP_RATE_LIMIT: '6000' };
const REASON = 'e2e: the app leaks memory; a restart buys time until the fix ships';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

describe('actions need a human yes where the client can ask', { skip }, () => {
  let world: World;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { access: 'read-write', prefix: 'approve' });
    const { pods } = await deployApp(world, 'web');
    ownPod = pods[0]?.metadata?.name ?? '';
  });

  const restartedAt = async () => {
    const deployment = await world.admin
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'web', namespace: world.namespace });
    return deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT];
  };

  /** A sidecar whose client answers every elicitation with `answer`, recording what it was asked. */
  async function withAnswer(answer: ElicitResult, env: Record<string, string> = READ_WRITE) {
    const asked: string[] = [];
    const sidecar = await connectSidecar(world, {
      podName: ownPod,
      env,
      clientCapabilities: { elicitation: { form: {} } },
      prepareClient: (client) =>
        client.setRequestHandler(ElicitRequestSchema, async (request) => {
          asked.push(request.params.message);
          return answer;
        }),
    });
    return { sidecar, asked };
  }

  test('yes: the user sees the dry run, then the restart is applied and audited as approved by a human', async () => {
    const { sidecar, asked } = await withAnswer({ action: 'accept', content: { approve: true } });
    try {
      const result = await callTool<{ applied: boolean }>(sidecar.client, 'restart_deployment', { reason: REASON });
      assert.equal(result.structured.applied, true);
      assert.equal(asked.length, 1);
      assert.match(asked[0] ?? '', /dry run says/);
      assert.match(asked[0] ?? '', /Deployment\/web|web/);
      assert.match(asked[0] ?? '', new RegExp(REASON.slice(0, 20)));
      assert.ok(await restartedAt(), 'the Deployment was restarted');
      const record = sidecar.audit.find((entry) => entry.name === 'restart_deployment' && entry.outcome === 'ok');
      assert.equal(record?.approval, 'human');
    } finally {
      await sidecar.close();
    }
  });

  for (const [label, answer] of [
    ['no', { action: 'decline' }],
    ['cancel', { action: 'cancel' }],
    ['accepted without approving', { action: 'accept', content: { approve: false } }],
  ] as const) {
    test(`${label}: nothing changes, the answer says so, and the refusal is audited`, async () => {
      const before = await restartedAt();
      const { sidecar, asked } = await withAnswer(answer as ElicitResult);
      try {
        const text = await callToolError(sidecar.client, 'scale_workload', {
          workload: 'deploy/web',
          replicas: 3,
          reason: REASON,
        });
        assert.match(text, /Nothing was changed/);
        assert.equal(asked.length, 1);
        const deployment = await world.admin
          .makeApiClient(AppsV1Api)
          .readNamespacedDeployment({ name: 'web', namespace: world.namespace });
        assert.equal(deployment.spec?.replicas, 1);
        assert.equal(await restartedAt(), before);
        assert.ok(sidecar.audit.some((entry) => entry.name === 'scale_workload' && entry.outcome === 'refused'));
      } finally {
        await sidecar.close();
      }
    });
  }

  test('a client that cannot ask: refused by default, with the way forward; the preview still works', async () => {
    const sidecar = await connectSidecar(world, { podName: ownPod, env: READ_WRITE });
    try {
      const text = await callToolError(sidecar.client, 'scale_workload', {
        workload: 'deploy/web',
        replicas: 2,
        reason: REASON,
      });
      assert.match(text, /cannot ask a human/);
      assert.match(text, /podmcp\.dev\/unattended-actions/);
      const preview = await callTool<{ applied: boolean }>(sidecar.client, 'scale_workload', {
        workload: 'deploy/web',
        replicas: 2,
        reason: REASON,
        dry_run: true,
      });
      assert.equal(preview.structured.applied, false);
    } finally {
      await sidecar.close();
    }
  });

  test('a client that cannot ask, with unattended actions allowed: applied, audited as approved by policy', async () => {
    const sidecar = await connectSidecar(world, {
      podName: ownPod,
      env: { ...READ_WRITE, PODMCP_UNATTENDED_ACTIONS: 'true' },
    });
    try {
      const result = await callTool<{ applied: boolean }>(sidecar.client, 'scale_workload', {
        workload: 'deploy/web',
        replicas: 2,
        reason: REASON,
      });
      assert.equal(result.structured.applied, true);
      const record = sidecar.audit.find((entry) => entry.name === 'scale_workload' && entry.outcome === 'ok');
      assert.equal(record?.approval, 'policy');
    } finally {
      await sidecar.close();
    }
  });
});
