/**
 * The podmcp image for the real node: the OCI archive `npm run image` writes, built first when it is missing
 * or older than the code it holds (a stale image would test yesterday's sidecar).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;

export const PODMCP_IMAGE = {
  ref: `ghcr.io/podmcp/podmcp:${VERSION}`,
  archive: join(REPO, 'dist/image', `podmcp-${VERSION}.oci.tar`),
} as const;

/** The newest modification time under a folder the image is built from. */
function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test') continue;
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The archive's path, after building it with `npm run image` when needed (progress on stderr). */
export function ensurePodmcpImage(): string {
  const { archive } = PODMCP_IMAGE;
  const stale = !existsSync(archive) || statSync(archive).mtimeMs < newestSource(join(REPO, 'packages'));
  if (stale) {
    process.stderr.write('[node] building the podmcp image (npm run image)\n');
    const built = spawnSync('npm', ['run', 'image'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    if (built.status !== 0) throw new Error(`npm run image failed (exit ${built.status ?? built.signal})`);
  }
  return archive;
}
