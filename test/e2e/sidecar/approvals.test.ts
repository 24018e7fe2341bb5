/**
 * Human in the loop: a mutating tool asks the client's user through MCP elicitation, showing what the
 * server-side dry run says will change, and acts only on an explicit yes. A no, a cancel, no answer in time or
 * a client that cannot ask (without the unattended policy) changes nothing. Every outcome is audited. Each
 * answer is proven in memory and over Streamable HTTP in both protocol eras: a 2025 client's session (the
 * question travels on the tools/call's stream), and a 2026-07-28 client, which gets the question as the call's
 * "input required" answer and calls again with the user's answer (no session; both requests audited, linked).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ElicitResult } from '@modelcontextprotocol/client';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { callTool, callToolError, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const READ_WRITE = { PODMCP_MODE: 'read-write', PODMCP_ACTION_COOLDOWN: '0', PODMCP_RATE_LIMIT: '6000' };
const REASON = 'e2e: the app leaks memory; a restart buys time until the fix ships';
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** How the client reaches the sidecar: in memory, or over HTTP as a 2025 or a 2026-07-28 client. */
type Transport = 'in-memory' | 'http' | 'http-modern';

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

  /**
   * A sidecar whose client answers every elicitation with `answer` (or never, when undefined), recording what
   * it was asked. Over Streamable HTTP the client initializes a session, so the server answering tools/call is
   * the one that saw it declare elicitation, and the question travels on the tools/call's SSE stream.
   */
  async function withAnswer(
    transport: Transport,
    answer: ElicitResult | undefined,
    options: { approvalTimeoutMs?: number } = {},
  ) {
    const asked: string[] = [];
    const sidecar = await connectSidecar(world, {
      podName: ownPod,
      env: READ_WRITE,
      transport: transport === 'in-memory' ? 'in-memory' : 'http',
      era: transport === 'http-modern' ? 'modern' : 'legacy',
      claimedIdentity: 'alice/e2e',
      clientCapabilities: { elicitation: { form: {} } },
      ...options,
      prepareClient: (client) =>
        client.setRequestHandler('elicitation/create', async (request) => {
          asked.push(request.params.message);
          return answer ?? new Promise<ElicitResult>(() => undefined);
        }),
    });
    return { sidecar, asked };
  }

  const replicas = async () =>
    (await world.admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: world.namespace }))
      .spec?.replicas;

  for (const transport of ['in-memory', 'http', 'http-modern'] as const) {
    test(`${transport} yes: the user sees the dry run, then the restart is applied and audited as approved by a human`, async () => {
      const before = await restartedAt();
      const { sidecar, asked } = await withAnswer(transport, { action: 'accept', content: { approve: true } });
      try {
        const result = await callTool<{ applied: boolean }>(sidecar.client, 'restart_deployment', {
          // Named: the first restart replaced the pod this sidecar pretends to run in ("self").
          workload: 'deploy/web',
          reason: REASON,
        });
        assert.equal(result.structured.applied, true);
        assert.equal(asked.length, 1);
        assert.match(asked[0] ?? '', /dry run says/);
        assert.match(asked[0] ?? '', /Deployment\/web|web/);
        assert.match(asked[0] ?? '', new RegExp(REASON.slice(0, 20)));
        const after = await restartedAt();
        assert.ok(after && after !== before, 'the Deployment was restarted');
        const record = sidecar.audit.find((entry) => entry.name === 'restart_deployment' && entry.outcome === 'ok');
        assert.equal(record?.approval, 'human');
        if (transport === 'http') {
          assert.equal(record?.transport, 'http');
          assert.equal(record?.claimed, 'alice/e2e');
          assert.equal(sidecar.http?.sessions(), 1, 'one session carried the call and the question');
        }
        if (transport === 'http-modern') {
          assert.equal(sidecar.client.getProtocolEra(), 'modern');
          assert.equal(sidecar.http?.sessions(), 0, 'no session: the answer came with a second request');
          const rounds = sidecar.audit.filter((entry) => entry.name === 'restart_deployment');
          assert.deepEqual(
            rounds.map((entry) => [entry.outcome, entry.transport, entry.claimed]),
            [
              ['approval-requested', 'http', 'alice/e2e'],
              ['ok', 'http', 'alice/e2e'],
            ],
          );
          assert.equal(rounds[0]?.approvalId, rounds[1]?.approvalId, 'both requests name the same approval');
        }
      } finally {
        await sidecar.close();
      }
    });

    for (const [label, answer] of [
      ['no', { action: 'decline' }],
      ['cancel', { action: 'cancel' }],
      ['accepted without approving', { action: 'accept', content: { approve: false } }],
      ['no answer in time', undefined],
    ] as const) {
      // A 2026-07-28 client holds the question itself: an unanswered one never comes back (unit-tested).
      if (transport === 'http-modern' && answer === undefined) continue;
      test(`${transport} ${label}: nothing changes, the answer says so, and the refusal is audited`, async () => {
        const before = await restartedAt();
        const { sidecar, asked } = await withAnswer(transport, answer as ElicitResult | undefined, {
          approvalTimeoutMs: answer === undefined ? 1_500 : 60_000,
        });
        try {
          const text = await callToolError(sidecar.client, 'scale_workload', {
            workload: 'deploy/web',
            replicas: 3,
            reason: REASON,
          });
          assert.match(text, /Nothing was changed/);
          if (answer === undefined) assert.match(text, /approval was not answered/);
          assert.equal(asked.length, 1);
          assert.equal(await replicas(), 1);
          assert.equal(await restartedAt(), before);
          assert.ok(sidecar.audit.some((entry) => entry.name === 'scale_workload' && entry.outcome === 'refused'));
        } finally {
          await sidecar.close();
        }
      });
    }
  }

  test('http-modern: the Deployment changes while the question is open: asked again with the new dry run, and the yes to that one is what applies', async () => {
    const apps = world.admin.makeApiClient(AppsV1Api);
    const start = (await replicas()) ?? 1;
    const asked: string[] = [];
    const sidecar = await connectSidecar(world, {
      podName: ownPod,
      env: READ_WRITE,
      transport: 'http',
      era: 'modern',
      clientCapabilities: { elicitation: { form: {} } },
      prepareClient: (client) =>
        client.setRequestHandler('elicitation/create', async (request) => {
          asked.push(request.params.message);
          if (asked.length === 1) {
            // Someone else scales it before the user answers: the change asked about is no longer the one to apply.
            await apps.patchNamespacedDeployment(
              { name: 'web', namespace: world.namespace, body: { spec: { replicas: start + 1 } } },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            );
          }
          return { action: 'accept', content: { approve: true } };
        }),
    });
    try {
      const result = await callTool<{ applied: boolean }>(sidecar.client, 'scale_workload', {
        workload: 'deploy/web',
        replicas: start + 2,
        reason: REASON,
      });
      assert.equal(result.structured.applied, true);
      assert.equal(asked.length, 2, 'asked again after the change');
      assert.match(asked[0] ?? '', new RegExp(`\\b${start}\\b.*\\b${start + 2}\\b`));
      assert.match(asked[1] ?? '', new RegExp(`\\b${start + 1}\\b.*\\b${start + 2}\\b`));
      assert.equal(await replicas(), start + 2);
      const rounds = sidecar.audit.filter((entry) => entry.name === 'scale_workload');
      assert.deepEqual(
        rounds.map((entry) => [entry.outcome, entry.approvalStatus]),
        [
          ['approval-requested', 'asked'],
          ['approval-requested', 'preview-changed'],
          ['ok', 'approved'],
        ],
      );
    } finally {
      await sidecar.close();
    }
  });

  test('http: a session answers only the caller that created it; its id cannot borrow approvals', async () => {
    const { sidecar } = await withAnswer('http', { action: 'accept', content: { approve: true } });
    try {
      const http = sidecar.http;
      assert.ok(http);
      const session = (sidecar.client.transport as { sessionId?: string } | undefined)?.sessionId;
      assert.ok(session, 'the SDK client holds a session id');
      const before = await restartedAt();
      const borrowed = await fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
          'podmcp-claimed-identity': 'mallory',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'restart_deployment', arguments: { reason: REASON } },
        }),
      });
      assert.equal(borrowed.status, 404);
      assert.equal(((await borrowed.json()) as { error: { code: number } }).error.code, -32001);
      assert.equal(await restartedAt(), before);
      // The owner's session is untouched.
      const { tools } = await sidecar.client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'restart_deployment'));
    } finally {
      await sidecar.close();
    }
  });

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
