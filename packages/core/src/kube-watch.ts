/**
 * client-node's Watch ends a watch after 30 s without a byte, which is shorter than the API server's bookmark
 * interval (about a minute): a watch on something quiet would be torn down and re-listed twice a minute. The
 * timeout is a private field of Watch in the typings but a plain property at run time; this is the one place
 * that sets it.
 */
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { WatchAuth } from './kube-pool.ts';

/** A Watch over `auth` (a KubeConfig or a pool's `forWatch`) that tolerates `silenceMs` without any data. */
export function patientWatch(auth: WatchAuth, silenceMs: number): Watch {
  const watch = new Watch(auth as KubeConfig);
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = silenceMs;
  return watch;
}
