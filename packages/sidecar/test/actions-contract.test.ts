import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACTION_TOOLS } from '@podmcp/core';
import { z } from 'zod';
import { type ActionResult, actionHints, actionInputFields, renderAction } from '../src/actions/contract.ts';
import { TOOL_DEFINITIONS } from '../src/tools/catalog.ts';

const fields = z.object(actionInputFields).strict();

describe('the fields every action takes', () => {
  test('reason is required, 10-500 characters after trimming', () => {
    assert.equal(fields.safeParse({}).success, false);
    assert.equal(fields.safeParse({ reason: 'too short' }).success, false);
    assert.equal(fields.safeParse({ reason: `   ${'x'.repeat(8)}   ` }).success, false);
    assert.equal(fields.safeParse({ reason: 'x'.repeat(501) }).success, false);
    assert.equal(fields.safeParse({ reason: 'pods stuck after rollout' }).success, true);
  });

  test('dry_run defaults to false', () => {
    assert.deepEqual(fields.parse({ reason: 'pods stuck after rollout' }), {
      reason: 'pods stuck after rollout',
      dry_run: false,
    });
  });

  test('hints: never read-only, always destructive and closed-world', () => {
    assert.deepEqual(actionHints({ idempotent: true }), {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    });
  });
});

describe('the four action tools', () => {
  const tools = ACTION_TOOLS.map((name) => {
    const tool = TOOL_DEFINITIONS[name];
    assert.ok(tool, `${name} is registered`);
    return tool;
  });

  test('each is an action with a cooldown target, and only scaling to a count is idempotent', () => {
    for (const tool of tools) {
      assert.equal(tool.hints.readOnlyHint, false, tool.name);
      assert.equal(tool.hints.destructiveHint, true, tool.name);
      assert.equal(tool.hints.openWorldHint, false, tool.name);
      assert.equal(tool.hints.idempotentHint, tool.name === 'scale_workload', tool.name);
      assert.equal(typeof tool.target, 'function', tool.name);
    }
  });

  test('each requires a reason, takes dry_run, and has no namespace argument', () => {
    for (const tool of tools) {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as {
        properties: Record<string, { description?: string }>;
        required?: string[];
        additionalProperties?: boolean;
      };
      assert.ok(schema.required?.includes('reason'), tool.name);
      assert.ok('dry_run' in schema.properties, tool.name);
      assert.ok(!('namespace' in schema.properties), tool.name);
      assert.equal(schema.additionalProperties, false, `${tool.name} refuses unknown arguments`);
      for (const [field, property] of Object.entries(schema.properties)) {
        assert.ok(property.description, `${tool.name}.${field} is described`);
      }
    }
  });

  test('the inputs are bounded', () => {
    const scale = TOOL_DEFINITIONS.scale_workload?.input;
    const reason = 'traffic spike on checkout';
    assert.equal(scale?.safeParse({ replicas: -1, reason }).success, false);
    assert.equal(scale?.safeParse({ replicas: 1.5, reason }).success, false);
    assert.equal(scale?.safeParse({ replicas: 1001, reason }).success, false);
    assert.equal(scale?.safeParse({ replicas: 3, reason, namespace: 'other' }).success, false);
    const remove = TOOL_DEFINITIONS.delete_pod?.input;
    assert.equal(remove?.safeParse({ name: 'web-1', reason }).success, true);
    assert.equal(remove?.safeParse({ name: 'self', reason }).success, true);
    assert.equal(remove?.safeParse({ name: '../other/pods/x', reason }).success, false);
    assert.equal(remove?.safeParse({ name: 'web-1', reason, grace_period_seconds: 0 }).success, false);
    const rollback = TOOL_DEFINITIONS.rollback_deployment?.input;
    assert.equal(rollback?.safeParse({ to_revision: 0, reason }).success, false);
  });
});

describe('renderAction', () => {
  const base: ActionResult = {
    applied: false,
    dry_run: true,
    target: 'Deployment/web',
    summary: 'Deployment/web would be scaled up from 2 to 5 replica(s).',
    changes: [{ field: 'spec.replicas', before: '2', after: '5' }],
    warnings: [],
  };

  test('a dry run says nothing changed, shows the change and how to apply it', () => {
    assert.equal(
      renderAction(base),
      [
        'Dry run, nothing changed: Deployment/web would be scaled up from 2 to 5 replica(s).',
        '  spec.replicas: 2 → 5',
        'Call again with dry_run: false to apply.',
      ].join('\n'),
    );
  });

  test('an applied action shows the verification, the Event and the warnings', () => {
    const text = renderAction({
      ...base,
      applied: true,
      dry_run: false,
      summary: 'Deployment/web scaled up from 2 to 5 replica(s).',
      verification: { state: 'in-progress', detail: 'spec.replicas is 5; 5 pod(s) exist, 3 ready when the wait ended' },
      event: { recorded: true, reason: 'PodmcpScale', name: 'web.1' },
      warnings: ['HorizontalPodAutoscaler web manages Deployment/web'],
    });
    assert.match(text, /^Done: Deployment\/web scaled up/);
    assert.match(text, /\nIn progress: spec.replicas is 5; 5 pod\(s\) exist, 3 ready when the wait ended\n/);
    assert.match(text, /\nEvent PodmcpScale recorded on Deployment\/web\.\n/);
    assert.match(text, /\nWarning: HorizontalPodAutoscaler web manages/);
    assert.ok(!text.includes('dry_run'));
  });

  test('an Event that could not be written is said plainly, after the action', () => {
    const text = renderAction({
      ...base,
      applied: true,
      dry_run: false,
      event: { recorded: false, reason: 'PodmcpScale', error: 'Kubernetes RBAC refused this: …' },
    });
    assert.match(text, /The action was applied, but Event PodmcpScale could not be written: Kubernetes RBAC refused/);
  });

  test('a no-op says nothing changed', () => {
    const text = renderAction({
      ...base,
      dry_run: false,
      summary: 'Deployment/web already has 2 replica(s).',
      changes: [],
    });
    assert.equal(text, 'Nothing changed: Deployment/web already has 2 replica(s).');
  });
});
