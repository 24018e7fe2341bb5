/**
 * The published packages as a user gets them: `npm pack` in the repository (each package's prepack builds its
 * dist/), then `npm install` of the tarballs into a folder outside it, with their dependencies from the registry.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The workspaces that are published, dependencies first. */
export const PUBLISHED = ['packages/core', 'packages/injector', 'packages/sidecar', 'packages/cli'] as const;

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** The tarball's path. */
  readonly tarball: string;
  /** The paths inside the tarball, relative to the package folder. */
  readonly files: readonly string[];
}

/** Packs every published package into `destination`, exactly as `npm pack -w …` does from the README. */
export function packAll(destination: string): PackedPackage[] {
  const workspaces = PUBLISHED.flatMap((workspace) => ['-w', workspace]);
  const run = npm(['pack', ...workspaces, '--pack-destination', destination, '--json'], REPO, process.env);
  const packed = JSON.parse(run.stdout) as Array<{
    name: string;
    version: string;
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return packed.map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: join(destination, entry.filename),
    files: entry.files.map((file) => file.path),
  }));
}

/** Installs the tarballs into `folder` (which must exist and be outside the repository). */
export function installTarballs(folder: string, tarballs: readonly string[]): void {
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], folder, installEnv());
}

/**
 * The environment for npm outside the repository: none of the variables npm sets for the script that runs this
 * (they would point npm at the repository) and no NODE_OPTIONS (see runEnv).
 */
function installEnv(): Record<string, string> {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS') continue;
    if (key.toLowerCase().startsWith('npm_') && !keep.has(key.toLowerCase())) continue;
    env[key] = value;
  }
  return env;
}

/**
 * Exactly what an installed command sees: this Node 24 first on PATH (so that `#!/usr/bin/env node` finds it), a
 * scratch HOME, and `extra`. No NODE_OPTIONS: the repository's npm configuration adds the source export
 * condition, which an installed package must never need.
 */
export function runEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(':'), HOME: home, ...extra };
}

/** The package's own files under `directory`, relative to it: not its nested node_modules. */
export function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1))
    .filter((file) => !file.startsWith('node_modules/'))
    .sort();
}

/**
 * The packages that an installed package's JavaScript and type declarations import (static, dynamic and
 * side-effect imports; not Node's built-in modules): what its `dependencies` must list, no more and no less. A
 * package imported by the declarations only (`import type`) is still a dependency: a user's type check needs it.
 */
export function importedPackages(folder: string): string[] {
  const names = new Set<string>();
  for (const file of filesUnder(folder).filter((path) => path.endsWith('.js') || path.endsWith('.d.ts'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(folder, file), 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.') || isBuiltin(fileName)) continue;
      const parts = fileName.split('/');
      names.add(fileName.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? fileName));
    }
  }
  return [...names].sort();
}

function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): { stdout: string } {
  const run = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) {
    throw new Error(`npm ${args.join(' ')} exited with ${run.status}:\n${run.stderr.slice(-4000)}`);
  }
  return { stdout: run.stdout };
}
