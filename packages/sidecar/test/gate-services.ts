/**
 * Sidecar services for tests of the MCP gate (createMcpServer over an in-memory transport): read-write settings
 * for the tools given, a namespaced client in namespace `team` on an address nothing listens on (the tests'
 * own tools never use it), and the log kept as lines so that the audit records can be read back. Also plain
 * calls for the unit tests of the gate's steps.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { SidecarSettings } from '@podmcp/core';
import { pino } from 'pino';
import { createAppEndpoints } from '../src/app-endpoints.ts';
import type { ServiceContext, SidecarServices } from '../src/context.ts';
import type { Call, Step, Subject } from '../src/gate/call.ts';
import { createAuditLog } from '../src/governance/audit.ts';
import type { CallGate } from '../src/governance/concurrency.ts';
import { createLimits } from '../src/governance/limits.ts';
import { createNamespacedKube, type NamespacedKube } from '../src/kube/namespaced-kube.ts';
import { createRedactor } from '../src/safety/redact.ts';
import { createSelfLocator } from '../src/self.ts';

export interface GateServicesOptions {
  readonly tools: SidecarSettings['tools'];
  readonly perMinute: number;
  readonly cooldownSeconds: number;
  readonly unattendedActions: boolean;
  /** The clock of the limits and of the services, in milliseconds. */
  readonly now: () => number;
  /** Values the redactor hides. */
  readonly secrets?: readonly string[];
  readonly calls?: CallGate;
}

export function gateServices(options: GateServicesOptions): {
  services: SidecarServices;
  kube: NamespacedKube;
  /** The audit records logged so far, parsed. */
  audit: <T = Record<string, unknown>>() => T[];
} {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'nowhere', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 'unused' }],
    contexts: [{ name: 'c', cluster: 'nowhere', user: 'u', namespace: 'team' }],
    currentContext: 'c',
  });
  const kube = createNamespacedKube(kubeConfig, 'team');
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const settings: SidecarSettings = {
    mode: 'read-write',
    tools: options.tools,
    port: 9810,
    healthPort: 9811,
    expose: false,
    logLevel: 'info',
    rateLimitPerMinute: options.perMinute,
    maxReplicas: 10,
    actionCooldownSeconds: options.cooldownSeconds,
    unattendedActions: options.unattendedActions,
  };
  const secrets = options.secrets ?? [];
  const services: SidecarServices = {
    kube,
    self: createSelfLocator(kube, undefined),
    settings,
    app: createAppEndpoints(settings),
    redactor: createRedactor(() => secrets),
    limits: createLimits({ perMinute: options.perMinute, cooldownSeconds: options.cooldownSeconds }, options.now),
    audit: createAuditLog(logger),
    logger,
    version: '0.0.0-test',
    now: () => new Date(options.now()),
    ...(options.calls === undefined ? {} : { calls: options.calls }),
  };
  const audit = <T = Record<string, unknown>>() =>
    lines.map((line) => JSON.parse(line) as { audit?: boolean }).filter((line) => line.audit === true) as T[];
  return { services, kube, audit };
}

/**
 * A call as the gate's steps see it, on plain objects: a subject whose run returns `result` (or what `run`
 * gives), a context holding only the caller and the signal (the steps read nothing else), no Kubernetes.
 */
export type PlainCallFields = Partial<Omit<Call, 'context'>> & {
  readonly callerId?: string;
  readonly subjectFields?: Partial<Subject>;
};

export function plainCall(fields: PlainCallFields = {}): Call {
  const { callerId, subjectFields, ...rest } = fields;
  const signal = rest.signal ?? new AbortController().signal;
  const subject: Subject = {
    what: 'Thing',
    acts: false,
    parse: (raw) => ({ ok: true, input: raw }),
    run: async () => ({ ok: true }),
    answer: (result) => ({ structured: result, render: (value) => JSON.stringify(value), clean: (text) => text }),
    ...subjectFields,
  };
  return {
    kind: 'tool',
    name: 'thing',
    subject,
    unknown: 'Unknown tool thing. Available: none',
    arguments: {},
    signal,
    started: performance.now(),
    context: { caller: { id: callerId ?? 'agent-a', transport: 'in-memory' }, signal } as ServiceContext,
    ...rest,
  };
}

/** A step sequence's record of what ran, and a last step that records too. */
export function recorder(): { readonly seen: string[]; readonly last: Step } {
  const seen: string[] = [];
  return {
    seen,
    last: async () => {
      seen.push('next');
    },
  };
}
