/**
 * A generator across every path (issue 14): fast-check plants random secrets in random places and encodings
 * (redact-plantings.ts) in a Deployment's pods (env, command/args, annotations), the Deployment, a ConfigMap
 * (also the runbooks ConfigMap), a Warning event, the pod's log and the app's health and metrics bodies; then
 * every tool, resource template and prompt the servers list is called — a read-only sidecar and a read-write
 * one whose actions run as dry runs, plus one real restart whose reason carries a planting — with the smallest
 * budgets the tools accept and plantings padded so cuts fall anywhere. No fragment of 8 characters or more of
 * any secret planted so far may appear in any answer (text, structured content, resource contents, prompt
 * messages, errors), in any audit record, or in any Event the sidecar wrote. Each run seeds a new namespace.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@modelcontextprotocol/client';
import fc from 'fast-check';
import {
  assertNoSecretFragment,
  plantedWorld,
  type StructuredPlanting,
  structuredPlanting,
  type TextPlanting,
  textPlanting,
} from '../../../packages/sidecar/test/redact-plantings.ts';
import { appendPodLog } from '../../control-plane/harness.ts';
import { eventually } from '../../control-plane/kube.ts';
import { controlPlaneForSuite } from '../../control-plane/suite.ts';
import { type Answer, callPaced, exerciseEverything } from './exercise.ts';
import { type ConnectedSidecar, connectSidecar, createWorld, SERVICE_ACCOUNT } from './fixture.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const RUNS = Number(process.env.PODMCP_PROPERTY_RUNS ?? 3);
const SEED = process.env.PODMCP_PROPERTY_SEED === undefined ? undefined : Number(process.env.PODMCP_PROPERTY_SEED);
const NAME = 'planted';
const PLANTED_EVENT = 'planted-warning';
const READ_WRITE = {
  PODMCP_MODE: 'read-write',
  PODMCP_ACTION_COOLDOWN: '0',
  PODMCP_UNATTENDED_ACTIONS: 'true',
};

/** A secret an innocent 8-character stretch of an answer (a run of zeros in a timestamp) cannot match. */
const varied = (secret: string) => new Set(secret).size >= 8;
/** Ordinary words before a planting, so the caps and budgets cut at every position of it across runs. */
const padding = (length: number) =>
  'level=info GET /healthz 200 ok '.repeat(Math.ceil(length / 31) + 1).slice(0, length);

/** The app's own endpoints over loopback; `body` is what its health and metrics pages carry. */
async function startApp(): Promise<{ port: number; body: { text: string }; close(): Promise<void> }> {
  const body = { text: '' };
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      const label = JSON.stringify(body.text);
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(`# TYPE app_info gauge\napp_info{config=${label}} 1\napp_requests_total 5\n`);
    } else {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(body.text);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    body,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Numeric {
  readonly type?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
}

/**
 * The calls exerciseEverything does not make: each numeric argument at its smallest and largest (max_bytes at
 * 512 forces a log answer to be cut), alone and with each name — read from the listed schemas.
 */
async function budgetAnswers(client: Client, names: readonly string[], reason: string) {
  const answers: Answer[] = [];
  const { tools } = await client.listTools();
  for (const tool of tools) {
    const schema = tool.inputSchema as { properties?: Record<string, Numeric> };
    const properties = Object.entries(schema.properties ?? {});
    const base = schema.properties?.dry_run ? { reason, dry_run: true } : {};
    const stringNames = properties
      .filter(([name, property]) => property.type === 'string' && name !== 'reason' && name !== 'cursor')
      .map(([name]) => name);
    for (const [name, property] of properties) {
      if (property.type !== 'integer' && property.type !== 'number') continue;
      const bounds = [property.minimum ?? property.exclusiveMinimum, property.maximum].filter(
        (bound): bound is number => bound !== undefined,
      );
      for (const bound of bounds) {
        const variants = [{}, ...stringNames.flatMap((key) => names.map((word) => ({ [key]: word })))];
        for (const variant of variants) {
          const args = { ...base, ...variant, [name]: property.exclusiveMinimum === bound ? bound + 1 : bound };
          const result = await callPaced(client, tool.name, args);
          answers.push({ what: `${tool.name} ${JSON.stringify(args)}`, text: JSON.stringify(result) });
        }
      }
    }
  }
  return answers;
}

describe('no planted secret leaves by any path', { skip }, () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  const opened: ConnectedSidecar[] = [];
  /** Every secret planted so far: the kwok node serves one log to every pod, so older plantings are read too. */
  const planted: string[] = [];

  before(async () => {
    if (plane) app = await startApp();
  });
  after(async () => {
    for (const sidecar of opened) await sidecar.close();
    await app?.close();
  });

  async function plantAndRead(text: TextPlanting, structured: StructuredPlanting, padLength: number): Promise<void> {
    if (!plane) return;
    const pad = padding(padLength);
    const world = await createWorld(plane, { access: 'read-write', prefix: 'planted' });
    const padded = { ...text, text: `${pad} ${text.text}` };
    const seeded = plantedWorld(padded, structured, NAME);
    planted.push(...seeded.secrets);
    const core = world.admin.makeApiClient(CoreV1Api);
    const apps = world.admin.makeApiClient(AppsV1Api);
    const namespace = world.namespace;
    await core.createNamespacedConfigMap({ namespace, body: seeded.configMap });
    const template = seeded.deployment.spec?.template;
    if (template?.spec) template.spec.serviceAccountName = SERVICE_ACCOUNT;
    await apps.createNamespacedDeployment({ namespace, body: seeded.deployment });
    const podName = await eventually('a Running planted pod', async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${NAME}` });
      return pods.items.find((pod) => pod.status?.phase === 'Running')?.metadata?.name;
    });
    const now = new Date();
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: PLANTED_EVENT },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: podName, namespace },
        reason: 'BackOff',
        message: seeded.eventMessage,
        type: 'Warning',
        count: 3,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'kubelet' },
      },
    });
    // Ordinary lines first, so the smallest log budget always leaves lines out and cuts the edge line.
    appendPodLog(plane, [
      ...Array.from({ length: 30 }, (_, index) => `level=info msg="request ${index} served"`),
      ...seeded.logLines,
    ]);
    app.body.text = padded.text;

    const env = {
      PODMCP_RATE_LIMIT: '6000',
      PODMCP_RUNBOOKS: seeded.configMap.metadata?.name ?? '',
      PODMCP_APP_HEALTH_PORT: String(app.port),
      PODMCP_APP_METRICS_PORT: String(app.port),
    };
    const connect = async (self: string, more: Record<string, string> = {}) => {
      const sidecar = await connectSidecar(world, { podName: self, appHost: '127.0.0.1', env: { ...env, ...more } });
      opened.push(sidecar);
      return sidecar;
    };
    const actor = await connect(podName, READ_WRITE);
    // An action's reason is at most 500 characters: the planting, with as much padding as fits.
    const reason = `${pad.slice(0, Math.max(0, 480 - text.text.length))} ${text.text}`.trim();
    // One action for real first: it writes its Event, with a planting in the reason it records, and gives the
    // Deployment a second revision, so the rollback's dry run has one to go back to.
    const restart = await actor.client.callTool({ name: 'restart_deployment', arguments: { workload: NAME, reason } });
    const answers: Answer[] = [{ what: 'restart_deployment (applied)', text: JSON.stringify(restart) }];
    const restarted = await eventually(`the restarted pod running alone after ${JSON.stringify(restart)}`, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${NAME}` });
      const running = pods.items.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
      return running.length === 1 && running[0]?.metadata?.name !== podName ? running[0]?.metadata?.name : undefined;
    });
    const readOnly = await connect(restarted);
    const readWrite = await connect(restarted, READ_WRITE);
    const names = [restarted, NAME, seeded.configMap.metadata?.name ?? '', 'self'];
    for (const sidecar of [readOnly, readWrite]) {
      answers.push(...(await exerciseEverything(sidecar.client, { names })));
      answers.push(...(await budgetAnswers(sidecar.client, names.slice(0, 2), reason)));
    }

    const events = await core.listNamespacedEvent({ namespace });
    const written = events.items.filter((event) => event.metadata?.name !== PLANTED_EVENT);
    const paths: Array<{ what: string; text: string }> = [
      ...answers,
      ...[actor, readOnly, readWrite].flatMap((sidecar, index) =>
        sidecar.audit.map((record) => ({ what: `audit record of sidecar ${index}`, text: JSON.stringify(record) })),
      ),
      ...written.map((event) => ({ what: `event ${event.metadata?.name}`, text: JSON.stringify(event) })),
    ];
    assert.ok(answers.length > 50, `expected many answers, got ${answers.length}`);
    // The plantings were reachable: a path that showed nothing of them would prove nothing.
    const everything = answers.map((answer) => answer.text).join('\n');
    assert.match(everything, /\[REDACTED\]/);
    assert.match(everything, /BackOff/);
    assert.match(everything, /startup failed/);
    assert.match(everything, /left out to fit max_bytes/, 'no answer was cut to its budget');
    assert.ok(
      written.some((event) => event.source?.component?.includes('podmcp') || /podmcp/i.test(event.reason ?? '')),
      'the restart wrote no Event',
    );
    for (const path of paths) {
      for (const secret of planted) assertNoSecretFragment(path.text, secret, '', `in ${path.what}`);
    }
    for (const sidecar of opened.splice(0)) await sidecar.close();
  }

  test('every tool, resource template and prompt, over random plantings and small budgets', async () => {
    await fc.assert(
      fc.asyncProperty(
        textPlanting.filter((planting) => varied(planting.secret)),
        structuredPlanting.filter((planting) => varied(planting.secret)),
        fc.nat({ max: 2400 }),
        plantAndRead,
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  });
});
