import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type ConnectedSidecar, connectSidecar, createWorld, deployApp, type World } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

describe('resources against the real API server, as the read-only ServiceAccount', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'res' });
    const { pods } = await deployApp(world, 'web', { replicas: 2 });
    ownPod = pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, { podName: ownPod });
  });
  after(() => sidecar?.close());

  test('self shows this pod, its owner chain and its Deployment', async () => {
    const { contents } = await sidecar.client.readResource({ uri: 'podmcp://self' });
    const text = textOf(contents);
    assert.match(text, new RegExp(`pod ${ownPod} in namespace ${world.namespace}`));
    assert.match(text, /owner chain: ReplicaSet\/web-[a-z0-9]+ → Deployment\/web/);
    assert.match(text, /## Deployment web/);
    assert.match(text, /mode: read-only/);
  });

  test('self/permissions is what the API server says the ServiceAccount may do', async () => {
    const { contents } = await sidecar.client.readResource({ uri: 'podmcp://self/permissions' });
    const text = textOf(contents);
    assert.match(text, /\| core \| pods, events, configmaps/);
    assert.match(text, /\| core \| pods\/log \| get \|/);
    assert.doesNotMatch(text, /secrets/);
    assert.doesNotMatch(text, /\| apps \| deployments \| patch/);
  });

  test('an unknown resource is a -32602 error naming the URI and what to do', async () => {
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://nope' }), (error) => {
      assert.ok(error instanceof ProtocolError);
      assert.deepEqual([error.code, error.data], [ProtocolErrorCode.InvalidParams, { uri: 'podmcp://nope' }]);
      assert.match(error.message, /Unknown resource podmcp:\/\/nope\. List resources and templates/);
      return true;
    });
  });

  test('subscribing to self signals a change of this pod', async () => {
    const updates: string[] = [];
    sidecar.client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    const requestsBefore = sidecar.sidecar.services.kube.requestCount();
    await sidecar.client.subscribeResource({ uri: 'podmcp://self' });
    assert.equal(sidecar.sidecar.services.kube.requestCount(), requestsBefore + 1, 'one watch request');
    const core = world.admin.makeApiClient(CoreV1Api);
    await core.patchNamespacedPod(
      { name: ownPod, namespace: world.namespace, body: { metadata: { labels: { touched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('a resources/updated notification for podmcp://self', () => updates.includes('podmcp://self'));
    assert.deepEqual(sidecar.sidecar.watched(), ['podmcp://self']);
    await sidecar.client.unsubscribeResource({ uri: 'podmcp://self' });
    assert.deepEqual(sidecar.sidecar.watched(), [], 'the watch stops with the last subscriber');
  });

  test('subscribing to a resource without a change feed is refused', async () => {
    await assert.rejects(
      sidecar.client.subscribeResource({ uri: 'podmcp://self/permissions' }),
      /does not support subscriptions/,
    );
  });
});

describe('change notifications over Streamable HTTP: subscriptions/listen (2026-07-28), resources/subscribe (2025)', {
  skip,
}, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'listen' });
    const { pods } = await deployApp(world, 'web', { replicas: 1 });
    ownPod = pods[0]?.metadata?.name ?? '';
    sidecar = await connectSidecar(world, { podName: ownPod, transport: 'http', era: 'modern' });
  });
  after(() => sidecar?.close());

  test('a listen is acknowledged for what can be watched only; self then signals a change of this pod', async () => {
    assert.equal(sidecar.client.getProtocolEra(), 'modern');
    const updates: string[] = [];
    sidecar.client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    const requestsBefore = sidecar.sidecar.services.kube.requestCount();
    const listening = await sidecar.client.listen({
      resourceSubscriptions: [
        'podmcp://self',
        'podmcp://self/permissions',
        `podmcp://pods/${ownPod}`,
        'podmcp://elsewhere/secrets',
      ],
    });
    try {
      assert.deepEqual(listening.honoredFilter.resourceSubscriptions, ['podmcp://self']);
      assert.deepEqual(sidecar.sidecar.watched(), ['podmcp://self'], 'no watch for what was not granted');
      assert.equal(sidecar.sidecar.services.kube.requestCount(), requestsBefore + 1, 'one watch request');
      const core = world.admin.makeApiClient(CoreV1Api);
      await core.patchNamespacedPod(
        { name: ownPod, namespace: world.namespace, body: { metadata: { labels: { listened: 'yes' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually('a resources/updated notification for podmcp://self', () => updates.includes('podmcp://self'));
    } finally {
      await listening.close();
    }
    await eventually('the watch stops when the stream closes', () => sidecar.sidecar.watched().length === 0);
  });

  test('a 2025 client over HTTP hears resources/updated on its GET stream; the session ending stops the watch', async () => {
    const legacy = await connectSidecar(world, { podName: ownPod, transport: 'http' });
    try {
      assert.equal(legacy.client.getProtocolEra(), 'legacy');
      const updates: string[] = [];
      legacy.client.setNotificationHandler('notifications/resources/updated', (notification) => {
        updates.push(notification.params.uri);
      });
      // The SDK client opens its session's GET stream by itself after initialize.
      await eventually('the session GET stream is open', () => legacy.http?.streams() === 1);
      await legacy.client.subscribeResource({ uri: 'podmcp://self' });
      assert.deepEqual(legacy.sidecar.watched(), ['podmcp://self']);
      const core = world.admin.makeApiClient(CoreV1Api);
      await core.patchNamespacedPod(
        { name: ownPod, namespace: world.namespace, body: { metadata: { labels: { subscribed: 'yes' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually('a resources/updated notification for podmcp://self on the GET stream', () =>
        updates.includes('podmcp://self'),
      );
      const transport = legacy.client.transport as { terminateSession?: () => Promise<void> } | undefined;
      assert.ok(transport?.terminateSession);
      await transport.terminateSession();
      await eventually('the watch stops with the session', () => legacy.sidecar.watched().length === 0);
      await eventually('the GET stream ends with the session', () => legacy.http?.streams() === 0);
    } finally {
      await legacy.close();
    }
  });

  test('resources/subscribe is not a 2026-07-28 method; reads answer alike', async () => {
    await assert.rejects(sidecar.client.subscribeResource({ uri: 'podmcp://self' }));
    const { contents } = await sidecar.client.readResource({ uri: 'podmcp://self' });
    assert.match(textOf(contents), new RegExp(`pod ${ownPod} in namespace ${world.namespace}`));
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://nope' }), (error) => {
      assert.ok(error instanceof ProtocolError);
      assert.deepEqual([error.code, error.data], [ProtocolErrorCode.InvalidParams, { uri: 'podmcp://nope' }]);
      return true;
    });
  });
});

function textOf(contents: ReadonlyArray<{ text?: unknown } | object>): string {
  return contents.map((content) => ('text' in content ? String(content.text) : '')).join('\n');
}

describe('resource templates and prompts, read through the tools', { skip }, () => {
  let world: World;
  let sidecar: ConnectedSidecar;
  let ownPod: string;
  before(async () => {
    if (!plane) return;
    world = await createWorld(plane, { prefix: 'tpl' });
    const { pods } = await deployApp(world, 'api', { replicas: 1 });
    ownPod = pods[0]?.metadata?.name ?? '';
    const core = world.admin.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: world.namespace,
      body: {
        metadata: { name: 'api-runbooks' },
        data: { 'crash-loop.md': '# API crash loop\n\nCheck the database first.', 'slow.md': '# Slow\n' },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: world.namespace,
      body: { metadata: { name: 'api-settings' }, data: { 'log-level': 'debug', 'db-password': 'not-for-models' } },
    });
    await core.createNamespacedEvent({
      namespace: world.namespace,
      body: {
        metadata: { name: 'api-backoff' },
        involvedObject: { kind: 'Pod', name: ownPod, namespace: world.namespace },
        reason: 'BackOff',
        message: 'Back-off restarting failed container app',
        type: 'Warning',
        count: 4,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        source: { component: 'kubelet' },
      },
    });
    sidecar = await connectSidecar(world, { podName: ownPod, env: { PODMCP_RUNBOOKS: 'api-runbooks' } });
  });
  after(() => sidecar?.close());

  test('templates are listed, and concrete resources include this pod and the runbooks', async () => {
    const { resourceTemplates } = await sidecar.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate).sort(), [
      'podmcp://configmaps/{name}',
      'podmcp://pods/{name}',
      'podmcp://pods/{name}/logs',
      'podmcp://runbooks/{name}',
      'podmcp://workloads/{kind}/{name}',
    ]);
    const { resources } = await sidecar.client.listResources();
    const uris = resources.map((resource) => resource.uri);
    assert.ok(uris.includes(`podmcp://pods/${ownPod}`));
    assert.ok(uris.includes('podmcp://runbooks/crash-loop.md'));
    assert.ok(uris.includes('podmcp://events'));
    assert.ok(!uris.includes('podmcp://app/metrics'), 'no app metrics port configured, so no metrics resource');
  });

  test('each template reads real data', async () => {
    const read = async (uri: string) => textOf((await sidecar.client.readResource({ uri })).contents);
    assert.match(await read(`podmcp://pods/${ownPod}`), new RegExp(ownPod));
    const runbook = await read('podmcp://runbooks/crash-loop.md');
    assert.match(runbook, /Check the database first/);
    // Written by whoever edits the ConfigMap, so framed with this answer's nonce like every cluster text.
    assert.match(
      runbook,
      /^<<<untrusted ([0-9a-f]{12}): runbook crash-loop\.md [^\n]*>>>\n[\s\S]*\n<<<end untrusted \1>>>$/,
    );
    assert.match(await read('podmcp://events'), /BackOff/);
    const settings = await read('podmcp://configmaps/api-settings');
    assert.match(settings, /log-level/);
    assert.doesNotMatch(settings, /not-for-models/);
    assert.match(await read('podmcp://workloads/deployments/api'), /"replicas": 1/);
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://workloads/secrets/db' }), /kind must be one of/);
    await assert.rejects(sidecar.client.readResource({ uri: 'podmcp://pods/missing-pod' }), /missing-pod/);
  });

  test('completion offers names that exist', async () => {
    const pods = await sidecar.client.complete({
      ref: { type: 'ref/resource', uri: 'podmcp://pods/{name}' },
      argument: { name: 'name', value: 'api-' },
    });
    assert.deepEqual(pods.completion.values, [ownPod]);
    const runbooks = await sidecar.client.complete({
      ref: { type: 'ref/resource', uri: 'podmcp://runbooks/{name}' },
      argument: { name: 'name', value: 's' },
    });
    assert.deepEqual(runbooks.completion.values, ['slow.md']);
  });

  test('prompts gather live facts', async () => {
    const { prompts } = await sidecar.client.listPrompts();
    assert.deepEqual(
      prompts.map((prompt) => prompt.name),
      ['diagnose_crash_loop', 'investigate_rollout', 'namespace_health', 'explain_warnings'],
    );
    const crash = await sidecar.client.getPrompt({ name: 'diagnose_crash_loop', arguments: { pod: ownPod } });
    const crashText = promptText(crash);
    assert.match(crashText, new RegExp(`## Diagnosis[\\s\\S]*${ownPod}`));
    assert.match(crashText, /What to answer/);
    const warnings = await sidecar.client.getPrompt({ name: 'explain_warnings', arguments: { since_minutes: '30' } });
    assert.match(promptText(warnings), /Back-off restarting failed container/);
    const health = await sidecar.client.getPrompt({ name: 'namespace_health', arguments: {} });
    assert.match(promptText(health), /## Workloads[\s\S]*api/);
    const rollout = await sidecar.client.getPrompt({ name: 'investigate_rollout', arguments: {} });
    assert.match(promptText(rollout), /Deployment|api/);
    await assert.rejects(sidecar.client.getPrompt({ name: 'nope', arguments: {} }), /Unknown prompt nope/);
  });

  test('subscribing to events signals a new event in the namespace', async () => {
    const updates: string[] = [];
    sidecar.client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    await sidecar.client.subscribeResource({ uri: 'podmcp://events' });
    await world.admin.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: world.namespace,
      body: {
        metadata: { name: 'api-unhealthy' },
        involvedObject: { kind: 'Pod', name: ownPod, namespace: world.namespace },
        reason: 'Unhealthy',
        message: 'Readiness probe failed',
        type: 'Warning',
        source: { component: 'kubelet' },
      },
    });
    await eventually('a resources/updated notification for podmcp://events', () => updates.includes('podmcp://events'));
    await sidecar.client.unsubscribeResource({ uri: 'podmcp://events' });
  });

  test('a workload that allows fewer tools gets fewer resources and prompts', async () => {
    const narrow = await connectSidecar(world, { podName: ownPod, env: { PODMCP_TOOLS: 'list_pods,list_events' } });
    try {
      const { resourceTemplates } = await narrow.client.listResourceTemplates();
      assert.deepEqual(resourceTemplates, []);
      const { prompts } = await narrow.client.listPrompts();
      assert.deepEqual(
        prompts.map((prompt) => prompt.name),
        ['explain_warnings'],
      );
    } finally {
      await narrow.close();
    }
  });
});

function promptText(result: { messages: ReadonlyArray<{ content: unknown }> }): string {
  return result.messages.map((message) => (message.content as { text?: string }).text ?? '').join('\n');
}
