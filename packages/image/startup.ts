// Start-up of the image's `podmcp serve` (stdio), from spawn to the answer to the first tools/list, with and
// without a compile cache baked into the image. Needs root (see src/sandbox.ts), umoci and skopeo.
//   node packages/image/startup.ts [--archive dist/image/podmcp-<version>.oci.tar] [--runs 9]
// The API server it is pointed at (127.0.0.1:1) refuses connections: serve starts anyway, and start-up is what
// is measured. Prints one line per variant: median and range in milliseconds.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sandboxCommand, type UnpackedImage, unpackImage } from './src/sandbox.ts';
import { TOOLS_LIST_ID, toolsListInput, unreachableKubeconfig } from './src/serve-stdio.ts';

const root = new URL('../..', import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version;
const { values } = parseArgs({
  options: {
    archive: { type: 'string', default: join(root, `dist/image/podmcp-${version}.oci.tar`) },
    runs: { type: 'string', default: '9' },
  },
});
const runs = Number(values.runs);
const kubeconfig = join(tmpdir(), `podmcp-startup-kubeconfig-${process.pid}.yaml`);
writeFileSync(kubeconfig, unreachableKubeconfig('default'));
const input = toolsListInput('startup');

function once(image: UnpackedImage, env: readonly string[]): Promise<number> {
  const argv = [...image.entrypoint, 'serve', '--transport', 'stdio', '--kubeconfig', '/tmp/kubeconfig'];
  const [command, args] = sandboxCommand(image, argv, { kubeconfig }, env);
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.write(input);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('no tools/list answer in 30 s')), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').some((line) => line.includes(`"id":${TOOLS_LIST_ID}`) && line.includes('"tools"'))) {
        const elapsed = performance.now() - started;
        clearTimeout(timer);
        child.stdin.end();
        child.once('exit', () => resolve(elapsed));
      }
    });
    child.once('error', reject);
  });
}

/** Runs the variants alternately (A, B, A, B, …) so drift in the machine's load lands on both alike. */
async function measure(image: UnpackedImage, variants: Record<string, readonly string[]>) {
  const times = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  for (const env of Object.values(variants)) await once(image, env); // page cache warm-up, not counted
  for (let i = 0; i < runs; i++) {
    for (const [name, env] of Object.entries(variants)) times.get(name)?.push(await once(image, env));
  }
  for (const [name, list] of times) {
    list.sort((a, b) => a - b);
    const median = list[Math.floor(list.length / 2)] ?? Number.NaN;
    console.log(
      `${name}: median ${median.toFixed(0)} ms (min ${list[0]?.toFixed(0)}, max ${list.at(-1)?.toFixed(0)}, ${runs} runs)`,
    );
  }
}

/** A compile cache as a build would bake it: one run of serve with the cache folder writable (as root). */
// Node keys the cache folder by uid as well (v24…-x64-<hash>-<uid>), so it is baked as the image's user.
function bake(image: UnpackedImage, dir: string): void {
  mkdirSync(join(image.rootfs, dir));
  chownSync(join(image.rootfs, dir), 65532, 65532);
  const result = spawnSync(
    ['/usr/sbin/chroot', '/usr/bin/chroot'].find((path) => existsSync(path)) ?? 'chroot',
    [
      `--userspec=${image.user}`,
      image.rootfs,
      ...image.entrypoint,
      'serve',
      '--transport',
      'stdio',
      '--kubeconfig',
      '/cache-kubeconfig',
    ],
    {
      input,
      env: {
        ...Object.fromEntries(image.env.map((e) => e.split(/=(.*)/s, 2) as [string, string])),
        NODE_COMPILE_CACHE: dir,
      },
      timeout: 30_000,
    },
  );
  if (result.error) throw result.error;
}

const image = unpackImage(values.archive);
try {
  writeFileSync(join(image.rootfs, 'cache-kubeconfig'), readFileSync(kubeconfig), { mode: 0o444 });
  bake(image, '/app/.compile-cache-a');
  bake(image, '/app/.compile-cache-b');
  const cache = join(image.rootfs, 'app/.compile-cache-a');
  const same = spawnSync('diff', ['-r', cache, join(image.rootfs, 'app/.compile-cache-b')]).status === 0;
  const size = spawnSync('du', ['-sh', cache], { encoding: 'utf8' }).stdout.split('\t')[0];
  console.log(`baked compile cache: ${size}; two bakes ${same ? 'are byte-identical' : 'differ (not reproducible)'}`);
  await measure(image, {
    'no compile cache (as built)': [],
    'baked compile cache, read-only': ['NODE_COMPILE_CACHE=/app/.compile-cache-a'],
  });
} finally {
  image.remove();
  rmSync(kubeconfig, { force: true });
}
