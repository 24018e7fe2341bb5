// Start-up of the image's `podmcp serve` (stdio), from spawn to the answer to the first tools/list, with the
// compile cache the build bakes into the image (src/compile-cache.ts) and with it switched off. Needs root (see
// src/sandbox.ts), umoci and skopeo.
//   node packages/image/startup.ts [--archive dist/image/podmcp-<version>.oci.tar] [--runs 9]
// The API server it is pointed at (127.0.0.1:1) refuses connections: serve starts anyway, and start-up is what
// is measured. Prints one line per variant: median and range in milliseconds.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const image = unpackImage(values.archive);
try {
  await measure(image, {
    'as built: compile cache baked at build time, read-only': [],
    // Node's own switch: the same image and environment, compiling every start.
    'compile cache off (NODE_DISABLE_COMPILE_CACHE=1)': ['NODE_DISABLE_COMPILE_CACHE=1'],
  });
} finally {
  image.remove();
  rmSync(kubeconfig, { force: true });
}
