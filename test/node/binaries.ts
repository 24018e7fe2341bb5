/**
 * Finds the real node's binaries and its own images (pause, test app) in the cache build.sh fills, building
 * them on first use (minutes; progress on stderr).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildScript, executable, runBuildScript } from '../build-script.ts';
import { ControlPlaneUnavailableError } from '../control-plane/binaries.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BINARIES = [
  'kubelet',
  'kube-proxy',
  'containerd',
  'containerd-shim-runc-v2',
  'ctr',
  'runc',
  'bridge',
  'loopback',
  'host-local',
] as const;

export interface NodeImage {
  /** The OCI archive, for `ctr images import`. */
  readonly archive: string;
  /** The reference it is imported under. */
  readonly ref: string;
}

export interface NodeBuild {
  /** Every binary of the node, and the CNI plugins (the CNI plugin folder too). */
  readonly bin: string;
  readonly pause: NodeImage;
  readonly testApp: NodeImage;
}

const buildScript: BuildScript = {
  path: join(here, 'build.sh'),
  what: 'the real node',
  missing: 'a build prerequisite is missing',
  unavailable: (message) => new ControlPlaneUnavailableError(message),
};

/** build.sh's `bin=<dir>` and `images=<dir>` lines. */
function run(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    runBuildScript(buildScript, args)
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function complete(bin: string, images: string): boolean {
  return (
    BINARIES.every((name) => executable(join(bin, name))) &&
    ['pause.oci.tar', 'testapp.oci.tar', 'refs.env'].every((file) => existsSync(join(images, file)))
  );
}

export function resolveNodeBuild(): NodeBuild {
  let dirs = run(['--print']);
  if (!complete(dirs.bin ?? '', dirs.images ?? '')) dirs = run([]);
  const bin = dirs.bin ?? '';
  const images = dirs.images ?? '';
  if (!complete(bin, images)) throw new ControlPlaneUnavailableError(`the real node's build is incomplete in ${bin}`);
  const refs = Object.fromEntries(
    readFileSync(join(images, 'refs.env'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return {
    bin,
    pause: { archive: join(images, 'pause.oci.tar'), ref: refs.PAUSE_IMAGE ?? '' },
    testApp: { archive: join(images, 'testapp.oci.tar'), ref: refs.TESTAPP_IMAGE ?? '' },
  };
}
