/**
 * The tool catalogue's JSON Schemas, converted from zod while the image is built rather than at every sidecar
 * start (the first tools/list converted them all, a tenth of the start). This esbuild plugin replaces the
 * sidecar's `tools/baked-schemas.ts` (undefined in the sources) with what the sidecar's own `catalogueSchemas()`
 * returns, as JSON: the same conversion, run once here from the sources being bundled, so tools/list answers the
 * same bytes. JSON as the sidecar's wire would write it: a value JSON drops or changes would be dropped or
 * changed on the wire too (the sidecar's tests check the catalogue has none).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Plugin } from 'esbuild';

const TOOLS_DIR = join('packages', 'sidecar', 'src', 'tools');

export function bakeToolSchemas(repoRoot: string): Plugin {
  const baked = join(repoRoot, TOOLS_DIR, 'baked-schemas.ts');
  return {
    name: 'bake-tool-schemas',
    setup(build) {
      build.onLoad({ filter: /[\\/]baked-schemas\.ts$/ }, async (args) => {
        if (args.path !== baked) return undefined;
        const json = await catalogueSchemasJson(repoRoot);
        return { contents: `export const BAKED_SCHEMAS = JSON.parse(${JSON.stringify(json)});\n`, loader: 'js' };
      });
    },
  };
}

/** `catalogueSchemas()` of the sidecar in `repoRoot`, run from its sources in a Node of its own. */
async function catalogueSchemasJson(repoRoot: string): Promise<string> {
  const module = pathToFileURL(join(repoRoot, TOOLS_DIR, 'listed-schemas.ts')).href;
  const script = `import { catalogueSchemas } from ${JSON.stringify(module)};
process.stdout.write(JSON.stringify(catalogueSchemas()));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@podmcp/source', '--input-type=module', '--eval', script],
    { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, maxBuffer: 16 * 1024 * 1024 },
  );
  JSON.parse(stdout);
  return stdout;
}
