/**
 * Which pod connections go to now. A pod is picked on first use; a pod that fails (gone, not ready, stream
 * refused) is dropped, and the next request picks again among the workload's ready pods, preferring pods
 * that have not failed.
 */

import { isInjected } from '@podmcp/core';
import type { Cluster } from './cluster.ts';
import { type ChosenPod, choosePod, isSidecarReady } from './pods.ts';
import type { Target } from './target.ts';

export class PodPicker {
  private current: ChosenPod | undefined;
  private readonly failed = new Set<string>();
  private display: string | undefined;

  private readonly cluster: Cluster;
  private readonly target: Target;
  private readonly log: (line: string) => void;

  constructor(cluster: Cluster, target: Target, log: (line: string) => void) {
    this.cluster = cluster;
    this.target = target;
    this.log = log;
  }

  /** kind/name of the workload once found (deploy/checkout), else the argument as given. */
  get workload(): string {
    return this.display ?? this.target.name;
  }

  /** The pod to use; picks one when there is none. Throws ConnectError or NoPodError when none will do. */
  async pod(): Promise<ChosenPod> {
    if (this.current !== undefined) return this.current;
    const workload = await this.cluster.workload(this.target);
    this.display = workload.display;
    const chosen = choosePod(workload.pods, {
      target: workload.display,
      namespace: this.cluster.namespace,
      avoid: this.failed,
    });
    this.current = chosen;
    this.log(`${workload.display}: forwarding to pod ${chosen.name}, port ${chosen.port}`);
    return chosen;
  }

  /** Drops `pod` if it is the current one, so the next request picks again. */
  drop(pod: string, reason: string): void {
    if (this.current?.name !== pod) return;
    this.current = undefined;
    this.failed.add(pod);
    this.log(`pod ${pod} ${reason}; the next request connects to another ready pod`);
  }

  /** Re-reads the current pod: false (and dropped) once it is gone, replaced, terminating or not ready. */
  async stillServing(pod: ChosenPod): Promise<boolean> {
    const now = await this.cluster.pod(pod.name);
    if (now === undefined) this.drop(pod.name, 'is gone');
    else if (pod.uid !== undefined && now.metadata?.uid !== pod.uid) this.drop(pod.name, 'was replaced');
    else if (!isInjected(now) || !isSidecarReady(now)) this.drop(pod.name, 'is no longer ready');
    else return true;
    return false;
  }
}
