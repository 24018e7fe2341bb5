/**
 * podmcp's code for the image: the CLI and everything it imports bundled by esbuild from the TypeScript
 * sources, minified, as ES modules split at every import() (the lazily loaded commands, serve's HTTP edge,
 * auth and metrics) so `podmcp serve` parses only what it serves.
 * No source maps, no TypeScript, no dev dependencies: only what the entry reaches ends up in the bundle.
 * Three plugins make `serve`'s start lighter without changing what it answers: client-node narrowed to the
 * names the sidecar uses, the tool catalogue's JSON Schemas baked, Node's built-ins reached through require.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { builtinsByRequire } from './builtins-by-require.ts';
import { narrowClientNode } from './client-node-narrowing.ts';
import { bakeToolSchemas } from './tool-schemas.ts';

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** The package's folder, relative to the repository root. */
  readonly dir: string;
}

export interface Bundle {
  readonly packages: readonly BundledPackage[];
}

/** Where the image keeps Node: the entry file is a program of its own (#!) so `podmcp` runs without a shell. */
export const NODE_PATH = '/nodejs/bin/node';

/** The entry's file name in outdir; chunks go to outdir/chunks. */
export const ENTRY_FILE = 'podmcp.mjs';

// Bundled CommonJS code calls require() for Node's built-ins, which an ES module lacks; each chunk gets one.
const REQUIRE_SHIM =
  "import { createRequire as __podmcpCreateRequire } from 'node:module';\nconst require = __podmcpCreateRequire(import.meta.url);";

export async function bundle(repoRoot: string, outdir: string): Promise<Bundle> {
  const result = await build({
    absWorkingDir: repoRoot,
    // The CLI's main module runs itself when it is the program (import.meta.main), as the bundle's entry is.
    entryPoints: { podmcp: 'packages/cli/src/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // The workspace packages resolve to their TypeScript sources, as in the repository.
    conditions: ['@podmcp/source'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: `#!${NODE_PATH}\n${REQUIRE_SHIM}` },
    // ws tries these optional native add-ons and falls back to JavaScript when they are missing.
    external: ['bufferutil', 'utf-8-validate'],
    legalComments: 'none',
    // A third of the bytes to read, hash and compile at every start; keepNames so class and function names
    // (error names, constructor checks in libraries) stay as written.
    minify: true,
    keepNames: true,
    sourcemap: false,
    metafile: true,
    plugins: [
      narrowClientNode(['packages/sidecar/src', 'packages/core/src'].map((dir) => join(repoRoot, dir))),
      bakeToolSchemas(repoRoot),
      builtinsByRequire(),
    ],
    logLevel: 'warning',
    logOverride: { 'empty-import-meta': 'silent' },
  });
  return { packages: packagesOf(repoRoot, result.metafile) };
}

/** The npm packages whose files ended up in the bundle, one entry per name and version. */
function packagesOf(repoRoot: string, metafile: Metafile): BundledPackage[] {
  const found = new Map<string, BundledPackage>();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(repoRoot, input);
    if (dir === undefined || dir === 'packages/image') continue;
    const manifest = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const pkg = { name: manifest.name, version: manifest.version, license: manifest.license ?? 'NOASSERTION', dir };
    found.set(`${pkg.name}@${pkg.version}`, pkg);
  }
  return [...found.values()].sort((a, b) =>
    a.name === b.name ? compare(a.version, b.version) : compare(a.name, b.name),
  );
}

/** The nearest folder above an input file with a package.json that names a package. */
function packageDirOf(repoRoot: string, input: string): string | undefined {
  let dir = dirname(input.split('/').join(sep));
  while (dir !== '.' && dir !== sep && dir !== '') {
    const file = join(repoRoot, dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name !== undefined && manifest.version !== undefined) return dir;
    }
    dir = dirname(dir);
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
