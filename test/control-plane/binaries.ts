/**
 * Finds the control-plane binaries: a user's own (KUBE_APISERVER_BIN, …) first, else the cache that
 * build.sh fills, building it on first use. Building prints progress on stderr because it takes minutes.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const buildScript = join(dirname(fileURLToPath(import.meta.url)), 'build.sh');

export class ControlPlaneUnavailableError extends Error {
  override name = 'ControlPlaneUnavailableError';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

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

function cacheDirectory(build: boolean): string {
  const result = spawnSync('bash', [buildScript, ...(build ? [] : ['--print'])], {
    // Progress of a first build goes straight to the terminal; the last stdout line is the bin directory.
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const why = result.status === 3 ? 'Go is not installed' : `build.sh exited with ${result.status ?? result.signal}`;
    throw new ControlPlaneUnavailableError(`could not build the control plane: ${why} (see the output above)`);
  }
  return result.stdout.trim().split('\n').at(-1) ?? '';
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
