/**
 * Leader election on one coordination.k8s.io/v1 Lease, by polling with get/update/create only: the RBAC of
 * the self-signed mode names the Lease, and list/watch cannot be restricted to one name. Every write carries
 * the resourceVersion it was based on, so two replicas racing for a free Lease cannot both win: the second
 * write gets 409 Conflict and that replica stays a follower this round.
 *
 * Expiry compares the holder's renewTime with this replica's clock, which assumes node clocks agree to well
 * within the lease duration (they are NTP-synchronised on any conformant cluster).
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { httpStatusOf, pooledApiClient } from '@podmcp/core';
import { kubernetesCall } from './api-errors.ts';

export type LeaseStep = 'create' | 'renew' | 'take-over' | 'wait';

/** What a candidate does about the Lease as it finds it. Pure. */
export function leaseStep(lease: V1Lease | undefined, identity: string, now: Date): LeaseStep {
  if (lease === undefined) return 'create';
  const spec = lease.spec ?? {};
  if (spec.holderIdentity === identity) return 'renew';
  if (!spec.holderIdentity) return 'take-over';
  // A holder that never wrote a renewTime cannot be waited out any other way.
  if (spec.renewTime === undefined) return 'take-over';
  const expiresAt = timeOf(spec.renewTime) + (spec.leaseDurationSeconds ?? 0) * 1000;
  return expiresAt < now.getTime() ? 'take-over' : 'wait';
}

export interface LeaderElection {
  /** One round of election: true when this replica holds the Lease for the next lease duration. */
  tryAcquireOrRenew(): Promise<boolean>;
  /** True while the last successful acquire or renew has not run out, by this replica's clock. */
  isLeader(): boolean;
  /** Gives the Lease up, if held, so that another replica takes over at its next round instead of waiting. */
  release(): Promise<void>;
}

export interface LeaderElectionOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
}

export function createLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const coordination = pooledApiClient(options.kubeConfig, CoordinationV1Api);
  const { namespace, name, identity, leaseDurationSeconds } = options;
  const what = `Lease ${namespace}/${name}`;
  let heldUntil = 0;

  const read = async (): Promise<V1Lease | undefined> => {
    try {
      return await kubernetesCall(`get ${what}`, () => coordination.readNamespacedLease({ name, namespace }));
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  };
  const replace = (lease: V1Lease, spec: V1Lease['spec']) =>
    kubernetesCall(`update ${what}`, () =>
      coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }),
    );

  return {
    async tryAcquireOrRenew() {
      // Measured before the read, so the local view of the term never outlasts the one others compute.
      const started = new Date();
      const lease = await read();
      const step = leaseStep(lease, identity, started);
      if (step === 'wait') {
        heldUntil = 0;
        return false;
      }
      const renewTime = new V1MicroTime(started.getTime());
      const spec = heldSpec(lease, step, identity, leaseDurationSeconds, renewTime);
      try {
        if (lease === undefined) {
          await kubernetesCall(`create ${what}`, () =>
            coordination.createNamespacedLease({
              namespace,
              body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
            }),
          );
        } else {
          await replace(lease, spec);
        }
      } catch (error) {
        // 409: another replica wrote the Lease since we read it (a create that lost the race included).
        if (httpStatusOf(error) === 409) {
          heldUntil = 0;
          return false;
        }
        throw error;
      }
      heldUntil = started.getTime() + leaseDurationSeconds * 1000;
      return true;
    },

    isLeader() {
      return Date.now() < heldUntil;
    },

    async release() {
      heldUntil = 0;
      const lease = await read();
      if (lease?.spec?.holderIdentity !== identity) return;
      // As client-go does: no holder, and a renewTime that, with a one-second duration, is expired at once.
      const now = new V1MicroTime(Date.now());
      try {
        await replace(lease, { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now });
      } catch (error) {
        // Someone else wrote it first: it is not ours to release any more.
        if (httpStatusOf(error) !== 409) throw error;
      }
    },
  };
}

/** The spec this replica writes to hold the Lease: a new term when it creates or takes over, else a renewal. */
function heldSpec(
  lease: V1Lease | undefined,
  step: Exclude<LeaseStep, 'wait'>,
  identity: string,
  leaseDurationSeconds: number,
  renewTime: V1MicroTime,
): V1Lease['spec'] {
  if (step === 'renew' && lease !== undefined) return { ...lease.spec, leaseDurationSeconds, renewTime };
  return {
    ...lease?.spec,
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewTime,
    renewTime,
    leaseTransitions: lease === undefined ? 0 : (lease.spec?.leaseTransitions ?? 0) + 1,
  };
}

/** client-node types MicroTime as a Date but hands over the wire's string; accept both. */
function timeOf(value: Date | string): number {
  return new Date(value).getTime();
}
