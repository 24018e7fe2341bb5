/**
 * `npm run image`: podmcp's container image as an OCI archive, built without a container engine.
 * Assembles the root filesystem in a temporary folder, packs it with oci-pack.sh (umoci + skopeo), and writes
 * dist/image/podmcp-<version>.oci.tar and its SPDX SBOM. The manifest digest is the last line on stdout.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundle, ENTRY_FILE } from './bundle.ts';
import { bakeCompileCache, COMPILE_CACHE_DIR } from './compile-cache.ts';
import { DEBIAN_PACKAGES, fetchDebianPackage, installDebianPackages } from './debian.ts';
import { fetchNodeRuntime, pinnedNodeVersion } from './node-runtime.ts';
import { APP_DIR, addNodeRuntime, addUsers, ENTRYPOINT, linkEntrypoint, NODE_DIR, NONROOT } from './rootfs.ts';
import { hasCommand, run } from './run.ts';
import { spdxDocument } from './sbom.ts';

export const IMAGE_REPOSITORY = 'ghcr.io/podmcp/podmcp';
export const REQUIRED_TOOLS = [
  'umoci',
  'skopeo',
  'apt-get',
  'apt-cache',
  'dpkg-deb',
  'strip',
  'tar',
  'unshare',
] as const;

/** Every timestamp in the image and the SBOM: a fixed instant, overridable as reproducible builds expect. */
const EPOCH = Number(process.env.SOURCE_DATE_EPOCH ?? 0);

/** The image's configuration, as oci-pack.sh flags; the Containerfile states the same. */
export function imageConfig(version: string): Record<string, readonly string[]> {
  return {
    entrypoint: [ENTRYPOINT],
    user: [`${NONROOT}:${NONROOT}`],
    workdir: ['/'],
    env: [
      `PATH=/usr/bin:${NODE_DIR}/bin`,
      'NODE_ENV=production',
      'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      `NODE_COMPILE_CACHE=${COMPILE_CACHE_DIR}`,
    ],
    label: [
      'org.opencontainers.image.title=podmcp',
      `org.opencontainers.image.version=${version}`,
      'org.opencontainers.image.licenses=Apache-2.0',
      'org.opencontainers.image.description=podmcp: the MCP sidecar (podmcp serve) and its injector (podmcp webhook)',
    ],
  };
}

export interface BuiltImage {
  readonly archive: string;
  readonly sbom: string;
  readonly ref: string;
  readonly digest: string;
}

/**
 * The image's root filesystem in a new folder, without packing it (what the Containerfile copies). A build
 * stage may not create user namespaces (an engine's default seccomp profile): there `compileCache:
 * 'if-possible'` leaves the cache out with a warning, and Node compiles at start as it would without one.
 */
export async function assembleRootfs(
  repoRoot: string,
  rootfs: string,
  compileCache: 'required' | 'if-possible' = 'required',
) {
  mkdirSync(rootfs);
  const debian = DEBIAN_PACKAGES.map(fetchDebianPackage);
  installDebianPackages(rootfs, debian);
  const node = fetchNodeRuntime(pinnedNodeVersion(repoRoot));
  addNodeRuntime(rootfs, node);
  const bundled = await bundle(repoRoot, join(rootfs, APP_DIR));
  linkEntrypoint(rootfs, ENTRY_FILE);
  addUsers(rootfs);
  try {
    bakeCompileCache(rootfs);
  } catch (error) {
    if (compileCache === 'required') throw error;
    process.stderr.write(`no compile cache in the image: ${(error as Error).message}\n`);
  }
  return { debian, node, bundled };
}

export async function buildImage(repoRoot: string, outDir: string): Promise<BuiltImage> {
  const missing = REQUIRED_TOOLS.filter((tool) => !hasCommand(tool));
  if (missing.length > 0)
    throw new Error(`missing tools: ${missing.join(', ')} (Debian packages umoci, skopeo, binutils)`);
  const version = readJson<{ version: string }>(join(repoRoot, 'packages/cli/package.json')).version;
  const ref = `${IMAGE_REPOSITORY}:${version}`;
  const created = new Date(EPOCH * 1000).toISOString().replace(/\.000Z$/, 'Z');

  const work = mkdtempSync(join(tmpdir(), 'podmcp-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    const { debian, node, bundled } = await assembleRootfs(repoRoot, rootfs);

    mkdirSync(outDir, { recursive: true });
    const archive = join(outDir, `podmcp-${version}.oci.tar`);
    const options = Object.entries(imageConfig(version)).flatMap(([flag, values]) =>
      values.flatMap((value) => [`--${flag}`, value]),
    );
    const packed = run(
      'bash',
      [join(repoRoot, 'packages/image/oci-pack.sh'), '--rootfs', rootfs, '--ref', ref, '--output', archive, ...options],
      { env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } },
    );
    const digest = packed.trim().split('\n').at(-1) ?? '';
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`oci-pack.sh printed no digest: ${packed}`);

    const sbom = join(outDir, `podmcp-${version}.spdx.json`);
    const debianRelease = readFileSync('/etc/debian_version', 'utf8').trim().split('.')[0] ?? 'unknown';
    const document = spdxDocument({ ref, version, digest, created, debianRelease, bundle: bundled, debian, node });
    writeFileSync(sbom, `${JSON.stringify(document, null, 2)}\n`);
    return { archive, sbom, ref, digest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[], repoRoot: string): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { out: { type: 'string' }, rootfs: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run image [-- --out DIR]   the OCI archive and SBOM into DIR (default dist/image)\n' +
        '       npm run image -- --rootfs DIR   only the root filesystem, into the new folder DIR (Containerfile)\n',
    );
    return 0;
  }
  if (values.rootfs !== undefined) {
    await assembleRootfs(repoRoot, resolve(values.rootfs), 'if-possible');
    return 0;
  }
  const started = performance.now();
  const image = await buildImage(repoRoot, resolve(values.out ?? join(repoRoot, 'dist/image')));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`image ${image.ref}\narchive ${image.archive}\nsbom ${image.sbom}\nbuilt in ${seconds} s\n`);
  process.stdout.write(`${image.digest}\n`);
  return 0;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
