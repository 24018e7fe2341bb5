/**
 * Finds the control-plane binaries: a user's own (KUBE_APISERVER_BIN, …) first, else the cache that
 * build.sh fills, building it on first use. Building prints progress on stderr because it takes minutes.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildScript, executable, runBuildScript } from '../build-script.ts';

export const BINARIES = {
  kubeApiserver: { file: 'kube-apiserver', env: 'KUBE_APISERVER_BIN' },
  kubeControllerManager: { file: 'kube-controller-manager', env: 'KUBE_CONTROLLER_MANAGER_BIN' },
  kubeScheduler: { file: 'kube-scheduler', env: 'KUBE_SCHEDULER_BIN' },
  etcd: { file: 'etcd', env: 'ETCD_BIN' },
  kwok: { file: 'kwok', env: 'KWOK_BIN' },
} as const;

export type BinaryName = keyof typeof BINARIES;
/** The binaries, and kwok's Stages (node and pod lifecycle), which build.sh copies out of kwok's module. */
export type BinaryPaths = Record<BinaryName, string> & { readonly kwokStages: string };

export class ControlPlaneUnavailableError extends Error {
  override name = 'ControlPlaneUnavailableError';
}

const buildScript: BuildScript = {
  path: join(dirname(fileURLToPath(import.meta.url)), 'build.sh'),
  what: 'the control plane',
  missing: 'Go is not installed',
  unavailable: (message) => new ControlPlaneUnavailableError(message),
};

function fromEnvironment(): Partial<BinaryPaths> {
  const found: Partial<BinaryPaths> = {};
  for (const [name, { env }] of Object.entries(BINARIES) as [BinaryName, (typeof BINARIES)[BinaryName]][]) {
    const path = process.env[env];
    if (!path) continue;
    if (!executable(path)) throw new ControlPlaneUnavailableError(`${env}=${path} is not an executable file`);
    found[name] = path;
  }
  return found;
}

/** The bin directory: the last line build.sh prints. */
function cacheDirectory(build: boolean): string {
  return runBuildScript(buildScript, build ? [] : ['--print']).at(-1) ?? '';
}

/** Resolves every binary, building the missing ones unless the user supplied all of them. */
export function resolveBinaries(): BinaryPaths {
  const supplied = fromEnvironment();
  const names = Object.keys(BINARIES) as BinaryName[];
  const suppliedStages = process.env.KWOK_STAGES_FILE;
  if (suppliedStages && names.every((name) => supplied[name])) {
    return { ...(supplied as Record<BinaryName, string>), kwokStages: suppliedStages };
  }
  let bin = cacheDirectory(false);
  const stagesIn = (directory: string) => join(directory, '..', 'kwok-stages.yaml');
  const cached = (directory: string) =>
    existsSync(stagesIn(directory)) &&
    names.every((name) => supplied[name] || executable(join(directory, BINARIES[name].file)));
  if (!cached(bin)) bin = cacheDirectory(true);
  const paths = Object.fromEntries(names.map((name) => [name, supplied[name] ?? join(bin, BINARIES[name].file)]));
  for (const [name, path] of Object.entries(paths)) {
    if (!executable(path)) throw new ControlPlaneUnavailableError(`${name} is missing at ${path} after the build`);
  }
  return { ...(paths as Record<BinaryName, string>), kwokStages: suppliedStages ?? stagesIn(bin) };
}
