/**
 * The world the sidecar e2e suites run in, on the real control plane: namespace A with a ServiceAccount bound
 * to the shipped sidecar ClusterRole by a RoleBinding (exactly what manifests/sidecar-rbac installs), a
 * namespace B the sidecar must never see, and a sidecar that authenticates with a TokenRequest-minted token
 * for that ServiceAccount — never as admin.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLAIMED_IDENTITY_HEADER, decodeSidecarEnv } from '@podmcp/core';
import pino from 'pino';
import { createSidecar, type Sidecar } from '../../../packages/sidecar/src/sidecar.ts';
import { type RunningHttpTransport, startHttpTransport } from '../../../packages/sidecar/src/transport/http.ts';
import type { ControlPlane } from '../../control-plane/harness.ts';
import { createAll, eventually, serviceAccountToken } from '../../control-plane/kube.ts';
import { MANIFESTS, render } from '../../manifests/render.ts';

export const SERVICE_ACCOUNT = 'app';

export interface World {
  readonly plane: ControlPlane;
  readonly admin: KubeConfig;
  /** The sidecar's namespace. */
  readonly namespace: string;
  /** A namespace with objects the sidecar must never reach. */
  readonly otherNamespace: string;
  /** Authenticates as system:serviceaccount:<namespace>:app, bound to the shipped ClusterRole. */
  readonly sidecarKubeConfig: KubeConfig;
  readonly sidecarToken: string;
}

let worldCounter = 0;

/** Creates namespaces A and B and the sidecar's identity. `access` picks the shipped ClusterRole to bind. */
export async function createWorld(
  plane: ControlPlane,
  options: { readonly access?: 'read-only' | 'read-write'; readonly prefix?: string } = {},
): Promise<World> {
  worldCounter += 1;
  const prefix = options.prefix ?? 'sc';
  const namespace = `${prefix}-${worldCounter}-a`;
  const otherNamespace = `${prefix}-${worldCounter}-b`;
  const admin = plane.kubeConfig;
  const core = admin.makeApiClient(CoreV1Api);
  for (const name of [namespace, otherNamespace]) {
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: SERVICE_ACCOUNT } } });
  }
  await ensureClusterRoles(admin);
  const access = options.access ?? 'read-only';
  const binding = render(join(MANIFESTS, 'sidecar-rbac', access)).one('RoleBinding');
  await createAll(admin, [
    {
      ...binding,
      metadata: { ...binding.metadata, namespace },
      subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace }],
    } as never,
  ]);
  const sidecarToken = await serviceAccountToken(admin, namespace, SERVICE_ACCOUNT);
  return {
    plane,
    admin,
    namespace,
    otherNamespace,
    sidecarKubeConfig: plane.kubeConfigForToken(sidecarToken),
    sidecarToken,
  };
}

let clusterRolesInstalled = false;
async function ensureClusterRoles(admin: KubeConfig): Promise<void> {
  if (clusterRolesInstalled) return;
  const roles = render(join(MANIFESTS, 'components', 'sidecar-rbac')).all('ClusterRole');
  await createAll(admin, roles as never[]);
  clusterRolesInstalled = true;
}

export interface ConnectedSidecar {
  readonly client: Client;
  readonly sidecar: Sidecar;
  /** Every audit record written so far. */
  readonly audit: Array<Record<string, unknown>>;
  /** The HTTP edge, when the client connects over Streamable HTTP. */
  readonly http?: RunningHttpTransport;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PODMCP_* variables, decoded by the same contract the injected sidecar uses. */
  readonly env?: Readonly<Record<string, string>>;
  /** The pod the sidecar pretends to run in ("self"). */
  readonly podName?: string;
  /** Use another kubeconfig (e.g. admin, or one pointing at a stopped server). */
  readonly kubeConfig?: KubeConfig;
  readonly appHost?: string;
  /** Capabilities the test client declares (e.g. elicitation), and handlers to install before it connects. */
  readonly clientCapabilities?: ClientCapabilities;
  readonly prepareClient?: (client: Client) => void;
  /**
   * How the client reaches the sidecar: in memory (default), or Streamable HTTP on loopback through the
   * sidecar's own HTTP edge, claiming `claimedIdentity` as `podmcp connect` does.
   */
  readonly transport?: 'in-memory' | 'http';
  readonly claimedIdentity?: string;
  /** Overrides how long a human has to approve an action. */
  readonly approvalTimeoutMs?: number;
  /** `modern`: over HTTP, a client pinned to 2026-07-28 and an edge that serves it (whatever the era switch says). */
  readonly era?: 'legacy' | 'modern';
}

/** A sidecar for the world's namespace, connected to an SDK client (in memory, or over Streamable HTTP). */
export async function connectSidecar(world: World, options: ConnectOptions = {}): Promise<ConnectedSidecar> {
  const decoded = decodeSidecarEnv(options.env ?? {});
  if (!decoded.ok) throw new Error(`bad test settings: ${decoded.errors.join('; ')}`);
  const audit: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.audit) audit.push(record);
      }
      done();
    },
  });
  const sidecar = createSidecar({
    settings: decoded.settings,
    connection: {
      kubeConfig: options.kubeConfig ?? world.sidecarKubeConfig,
      namespace: world.namespace,
      namespaceSource: 'test',
    },
    logger: pino({ level: 'info' }, sink),
    podName: options.podName,
    appHost: options.appHost,
    approvalTimeoutMs: options.approvalTimeoutMs,
  });
  const client = new Client(
    { name: 'podmcp-e2e', version: '1.0.0' },
    {
      ...(options.clientCapabilities ? { capabilities: options.clientCapabilities } : {}),
      ...(options.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  options.prepareClient?.(client);
  if (options.transport === 'http') {
    const http: RunningHttpTransport = await startHttpTransport({
      sidecar,
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      ...(options.era === 'modern' ? { modernEra: true } : {}),
    });
    const headers: Record<string, string> =
      options.claimedIdentity === undefined ? {} : { [CLAIMED_IDENTITY_HEADER]: options.claimedIdentity };
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers } }));
    return {
      client,
      sidecar,
      audit,
      http,
      async close() {
        await client.close();
        await http.close({ drainMs: 0 });
      },
    };
  }
  const server = sidecar.server(() => ({ id: 'e2e', transport: 'in-memory' }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    sidecar,
    audit,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** A Deployment in the world's namespace whose pods kwok runs; resolves once `replicas` pods are Running. */
export async function deployApp(
  world: World,
  name: string,
  options: {
    readonly replicas?: number;
    readonly namespace?: string;
    readonly annotations?: Record<string, string>;
  } = {},
): Promise<{ deployment: V1Deployment; pods: V1Pod[] }> {
  const namespace = options.namespace ?? world.namespace;
  const replicas = options.replicas ?? 1;
  const apps = world.admin.makeApiClient(AppsV1Api);
  const core = world.admin.makeApiClient(CoreV1Api);
  const labels = { app: name };
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: options.annotations },
          spec: {
            serviceAccountName: SERVICE_ACCOUNT,
            containers: [{ name: 'app', image: 'registry.example/app:1.0', env: [{ name: 'MODE', value: 'test' }] }],
          },
        },
      },
    },
  });
  const pods = await eventually(
    `${replicas} Running pod(s) of ${namespace}/${name}`,
    async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
      const running = list.items.filter((pod) => pod.status?.phase === 'Running');
      return running.length === replicas ? running : undefined;
    },
    90_000,
  );
  return { deployment, pods };
}

/** The structured content of a successful tool call; fails the test with the error text otherwise. */
export async function callTool<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ structured: T; text: string }> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('\n');
  if (result.isError) throw new Error(`${name} failed: ${text}`);
  return { structured: result.structuredContent as T, text };
}

/** The error text of a tool call that must fail; fails the test if it succeeded. */
export async function callToolError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('\n');
  if (!result.isError) throw new Error(`${name} was expected to fail but returned: ${text.slice(0, 500)}`);
  return text;
}

/**
 * A scratch directory holding a Metadata-level audit policy, and the kube-apiserver flags that apply it and
 * write the audit log (one JSON event per request) to `log` in that directory.
 */
export function apiServerAuditLog(prefix: string): { directory: string; log: string; args: string[] } {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const policy = join(directory, 'audit-policy.yaml');
  const log = join(directory, 'audit.log');
  writeFileSync(
    policy,
    [
      'apiVersion: audit.k8s.io/v1',
      'kind: Policy',
      'omitStages: [RequestReceived]',
      'rules:',
      '  - level: Metadata',
      '',
    ].join('\n'),
  );
  return { directory, log, args: [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`] };
}
