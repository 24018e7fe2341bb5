/** Plain pods, Deployments and events for the diagnosis tests, and one call to diagnose them. */
import type { CoreV1Event, V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { READ_TOOLS } from '@podmcp/core';
import { buildDiagnosis, type Diagnosis, type DiagnosisInput, examinedPods } from '../src/diagnosis/index.ts';

export const NOW = new Date('2026-03-01T12:00:00Z');
export const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
export const READ_ONLY = new Set<string>(READ_TOOLS);
export const READ_WRITE = new Set<string>([...READ_TOOLS, 'rollback_deployment', 'restart_deployment']);

export function running(name = 'app', overrides: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return {
    name,
    image: 'registry.example/app:1.0',
    imageID: '',
    ready: true,
    restartCount: 0,
    state: { running: { startedAt: ago(30) } },
    ...overrides,
  };
}

export function pod(
  name: string,
  options: {
    phase?: string;
    ready?: boolean;
    statuses?: V1ContainerStatus[];
    conditions?: V1Pod['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never;
    memoryLimit?: string;
    image?: string;
    reason?: string;
    message?: string;
  } = {},
): V1Pod {
  const ready = options.ready ?? true;
  return {
    metadata: {
      name,
      creationTimestamp: ago(30),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c', uid: 'u', controller: true }],
    },
    spec: {
      nodeName: 'node-1',
      containers: [
        {
          name: 'app',
          image: options.image ?? 'registry.example/app:1.0',
          resources: options.memoryLimit ? { limits: { memory: options.memoryLimit } } : undefined,
        },
      ],
    },
    status: {
      phase: options.phase ?? 'Running',
      reason: options.reason,
      message: options.message,
      conditions: options.conditions ?? [
        { type: 'PodScheduled', status: 'True' },
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? undefined : 'ContainersNotReady',
          message: ready ? undefined : 'containers with unready status: [app]',
        },
      ],
      containerStatuses: options.statuses ?? [running()],
    },
  };
}

export function deployment(
  overrides: { desired?: number; available?: number; updated?: number; conditions?: unknown[] } = {},
) {
  const desired = overrides.desired ?? 2;
  const available = overrides.available ?? desired;
  return {
    metadata: { name: 'web', generation: 2 },
    spec: { replicas: desired, selector: { matchLabels: { app: 'web' } }, template: {} },
    status: {
      observedGeneration: 2,
      replicas: desired,
      updatedReplicas: overrides.updated ?? desired,
      readyReplicas: available,
      availableReplicas: available,
      conditions: overrides.conditions ?? [
        { type: 'Available', status: available === desired ? 'True' : 'False', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    },
  } as V1Deployment;
}

export function warning(
  podName: string,
  reason: string,
  message: string,
  extra: Partial<CoreV1Event> & { fieldPath?: string } = {},
): CoreV1Event {
  const { fieldPath, ...rest } = extra;
  return {
    metadata: { name: `${podName}.${reason}` },
    involvedObject: { kind: 'Pod', name: podName, namespace: 'a', fieldPath },
    type: 'Warning',
    reason,
    message,
    count: 1,
    firstTimestamp: ago(20),
    lastTimestamp: ago(1),
    ...rest,
  };
}

export function diagnoseWith(
  pods: V1Pod[],
  options: Partial<Omit<DiagnosisInput, 'pods'>> & { deploymentObject?: V1Deployment } = {},
): Diagnosis {
  return buildDiagnosis({
    target: 'Deployment/web',
    workload: { kind: 'Deployment', name: 'web', object: options.deploymentObject ?? deployment() },
    pods,
    examined: options.examined ?? examinedPods(pods, 5, NOW),
    events: options.events ?? [],
    eventsWindowMinutes: 60,
    maxEvents: options.maxEvents ?? 8,
    logs: options.logs ?? new Map(),
    tools: options.tools ?? READ_ONLY,
    now: NOW,
    ...(options.workload === undefined ? {} : { workload: options.workload }),
    ...(options.self === undefined ? {} : { self: options.self }),
  });
}

export const texts = (diagnosis: Diagnosis) => diagnosis.findings.map((finding) => finding.text);
export const codes = (diagnosis: Diagnosis) => diagnosis.findings.map((finding) => finding.code);
