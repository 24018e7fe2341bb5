/**
 * What the injector must know about the cluster it serves: for now, whether native sidecars (init containers
 * with restartPolicy Always) exist — on by default from Kubernetes 1.29. Asked once at start-up from
 * /version, which every authenticated client may read.
 */
import { type KubeConfig, VersionApi } from '@kubernetes/client-node';
import { pooledApiClient } from '@podmcp/core';
import type { InjectorConfig } from './config.ts';

export interface ClusterFacts {
  /** Whether the API server runs native sidecars (Kubernetes ≥ 1.29); undefined when unknown (offline). */
  readonly nativeSidecars: boolean | undefined;
}

export const NATIVE_SIDECARS_SINCE = { major: 1, minor: 29 } as const;

/** Parses /version's major and minor, which some distributions decorate ("1", "29+"). */
export function parseServerVersion(major: string, minor: string): { major: number; minor: number } | undefined {
  const parsedMajor = Number.parseInt(major, 10);
  const parsedMinor = Number.parseInt(minor, 10);
  if (Number.isNaN(parsedMajor) || Number.isNaN(parsedMinor)) return undefined;
  return { major: parsedMajor, minor: parsedMinor };
}

export function supportsNativeSidecars(version: { major: number; minor: number }): boolean {
  return (
    version.major > NATIVE_SIDECARS_SINCE.major ||
    (version.major === NATIVE_SIDECARS_SINCE.major && version.minor >= NATIVE_SIDECARS_SINCE.minor)
  );
}

/** The configuration decides when it is explicit; `auto` needs the API server. */
export async function discoverClusterFacts(
  config: InjectorConfig,
  kubeConfig: KubeConfig | undefined,
): Promise<ClusterFacts> {
  if (config.nativeSidecars === 'always') return { nativeSidecars: true };
  if (config.nativeSidecars === 'never') return { nativeSidecars: false };
  if (!kubeConfig) {
    throw new Error('nativeSidecars is "auto" but there is no API server to ask; set it to "always" or "never"');
  }
  const info = await pooledApiClient(kubeConfig, VersionApi).getCode();
  const version = parseServerVersion(info.major, info.minor);
  if (!version) throw new Error(`cannot read the API server's version from major=${info.major} minor=${info.minor}`);
  return { nativeSidecars: supportsNativeSidecars(version) };
}
