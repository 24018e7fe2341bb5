/**
 * V8's compile cache for podmcp's bundle, baked into the image at build time so that no start compiles what
 * the previous one did: NODE_COMPILE_CACHE (the image's environment) points Node at it, read-only.
 *
 * Reproducible: the bake imports every file of the bundle in a fixed order and runs nothing else, so the code
 * V8 caches does not depend on what a run happened to do, and `--random-seed` fixes the string hash seed the
 * cache is written with (else each bake differs). V8 leaves --random-seed out of the flag hash a cache is
 * checked against, so runs without it accept the cache — and keep a random seed of their own.
 * Node keys the folder by uid, so the bake runs as 65532 (a user namespace, chrooted into the root filesystem
 * so the paths are the image's own); a pod run as another uid finds no folder of its own and compiles as if
 * there were no cache, silently.
 */
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENTRY_FILE } from './bundle.ts';
import { APP_DIR, NODE_DIR, NONROOT } from './rootfs.ts';
import { run } from './run.ts';

export const COMPILE_CACHE_DIR = `${APP_DIR}/compile-cache`;

/**
 * Node's arguments for a bake of the bundle in `appDir` into NODE_COMPILE_CACHE. Imports, not runs: the entry
 * only runs its main when it is the program (import.meta.main). Also used by the start-up benchmark.
 */
export function bakeArguments(appDir: string): string[] {
  const bake = `import { readdirSync } from 'node:fs';
const files = [${JSON.stringify(ENTRY_FILE)}, ...readdirSync(${JSON.stringify(`${appDir}/chunks`)}).sort().map((file) => 'chunks/' + file)];
for (const file of files) await import(${JSON.stringify(`${appDir}/`)} + file);`;
  return ['--random-seed=1', '--input-type=module', '--eval', bake];
}

export function bakeCompileCache(rootfs: string): void {
  run(
    'unshare',
    [
      '--user',
      `--map-user=${NONROOT}`,
      `--map-group=${NONROOT}`,
      `--root=${rootfs}`,
      `${NODE_DIR}/bin/node`,
      ...bakeArguments(APP_DIR),
    ],
    { env: { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR, NODE_ENV: 'production' } },
  );
  // Node writes its cache files for its user only (0600); in the layer they are root's, read by 65532.
  readable(join(rootfs, COMPILE_CACHE_DIR));
}

function readable(path: string): void {
  const directory = statSync(path).isDirectory();
  chmodSync(path, directory ? 0o755 : 0o644);
  if (directory) for (const name of readdirSync(path)) readable(join(path, name));
}
