/**
 * `podmcp://self`: this pod and its workload at a glance — what an agent reads first to know where it is.
 * Subscribable: a watch on this one pod (started only while someone is subscribed) signals status changes.
 */

import { formatAge } from '../format/age.ts';
import { podRow } from '../format/pods.ts';
import { readWorkload, resolveWorkloadRef } from '../kube/workloads.ts';
import type { ResourceDefinition } from './definition.ts';
import { watchWhileSubscribed } from './watch.ts';

export const selfResource: ResourceDefinition = {
  uri: 'podmcp://self',
  name: 'self',
  title: 'This pod and workload',
  description:
    "The sidecar's own pod (status, containers, node) and the workload that owns it (rollout status), plus the namespace, mode and tools this sidecar serves. Read it first.",
  mimeType: 'text/markdown',
  async read(_variables, context) {
    const { settings, kube } = context;
    const lines = [
      `# ${context.self.podName ? `pod ${context.self.podName}` : 'podmcp'} in namespace ${kube.namespace}`,
      '',
    ];
    lines.push(`- mode: ${settings.mode}`, `- tools: ${settings.tools.join(', ')}`);
    const pod = await context.self.pod();
    if (pod) {
      const row = podRow(pod, context.now());
      lines.push(
        `- pod: ${row.name}, ${row.status}, ready ${row.ready}, restarts ${row.restarts}, age ${row.age}`,
        `- node: ${row.node ?? 'not scheduled'}; pod IP ${row.ip ?? 'none'}`,
        `- owner chain: ${(await context.self.ownerChain()).map((ref) => `${ref.kind}/${ref.name}`).join(' → ') || 'none (a bare pod)'}`,
        '',
        '## Containers',
        '',
      );
      for (const container of pod.spec?.containers ?? []) {
        const status = pod.status?.containerStatuses?.find((item) => item.name === container.name);
        const state = status?.state?.running
          ? `running since ${formatAge(status.state.running.startedAt, context.now())}`
          : status?.state?.waiting
            ? `waiting: ${status.state.waiting.reason ?? 'unknown'}`
            : status?.state?.terminated
              ? `terminated: ${status.state.terminated.reason ?? `exit ${status.state.terminated.exitCode}`}`
              : 'no status yet';
        lines.push(`- ${container.name} (${container.image ?? '?'}): ${state}, restarts ${status?.restartCount ?? 0}`);
      }
      for (const container of pod.spec?.initContainers ?? []) {
        if (container.restartPolicy !== 'Always') continue;
        const status = pod.status?.initContainerStatuses?.find((item) => item.name === container.name);
        lines.push(`- ${container.name} (sidecar, ${container.image ?? '?'}): ready ${status?.ready ?? false}`);
      }
    } else {
      lines.push('- pod: none (running outside a pod; "self" means the workload given at start, if any)');
    }
    const workloadRef = await context.self.workload();
    if (workloadRef) {
      const workload = await readWorkload(context, await resolveWorkloadRef(context, 'self'));
      const status = (workload.object.status ?? {}) as Record<string, unknown>;
      const spec = (workload.object.spec ?? {}) as Record<string, unknown>;
      lines.push(
        '',
        `## ${workload.kind} ${workload.name}`,
        '',
        `- replicas: desired ${String(spec.replicas ?? '?')}, ready ${String(status.readyReplicas ?? 0)}, updated ${String(status.updatedReplicas ?? 0)}, available ${String(status.availableReplicas ?? 0)}`,
      );
    }
    return lines.join('\n');
  },
  async watch(_variables, context, changed) {
    const podName = context.self.podName;
    if (!podName) return () => undefined;
    return watchWhileSubscribed(
      context,
      `/api/v1/namespaces/${context.kube.namespace}/pods`,
      { fieldSelector: `metadata.name=${podName}` },
      changed,
    );
  },
};
