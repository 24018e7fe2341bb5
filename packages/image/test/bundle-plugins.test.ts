/**
 * The bundle's start-up plugins, each on a small entry of its own: client-node narrowed to the names asked for
 * (and a name it lacks fails the bundle), the tool schemas baked as the sidecar converts them, built-ins
 * reached through require with the same values.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { builtinsByRequire } from '../src/builtins-by-require.ts';
import { narrowClientNode } from '../src/client-node-narrowing.ts';
import { bakeToolSchemas } from '../src/tool-schemas.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const work = realpathSync(mkdtempSync(join(tmpdir(), 'podmcp-bundle-plugins-')));
after(() => rmSync(work, { recursive: true, force: true }));

const REQUIRE_SHIM = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);";

function options(name: string, source: string, extra: BuildOptions): BuildOptions {
  const entry = join(work, `${name}.mjs`);
  writeFileSync(entry, source);
  return {
    entryPoints: [entry],
    outfile: join(work, `${name}.out.mjs`),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    nodePaths: [join(root, 'node_modules')],
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'silent',
    ...extra,
  };
}

describe('client-node narrowed', () => {
  const uses = `import { KubeConfig, Watch, ApiException, dumpYaml } from '@kubernetes/client-node';
import * as models from '@kubernetes/client-node';
export const found = [KubeConfig, Watch, ApiException, dumpYaml, models.V1Pod].map((value) => typeof value);`;

  test('holds what the sidecar uses and none of the generated API classes', async () => {
    const result = await build(options('narrow', uses, { plugins: [narrowClientNode([work])] }));
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    assert.ok(inputs.some((input) => input.includes('@kubernetes/client-node/dist/config.js')));
    assert.deepEqual(
      // ApiException is the one class the sidecar takes from the generated APIs' folder.
      inputs.filter((input) => /client-node\/dist\/gen\/(apis\/(?!exception\.js)|types\/)/.test(input)),
      [],
    );
    const { found } = (await import(pathToFileURL(join(work, 'narrow.out.mjs')).href)) as { found: string[] };
    assert.deepEqual(found, ['function', 'function', 'function', 'function', 'function']);
  });

  test('an importer outside the narrowed folders gets the whole index', async () => {
    const result = await build(options('whole', uses, { plugins: [narrowClientNode([join(work, 'elsewhere')])] }));
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    assert.ok(inputs.some((input) => /client-node\/dist\/gen\/apis\//.test(input)));
  });

  test('a name the narrowed index lacks fails the bundle', async () => {
    const source = `import { CoreV1Api } from '@kubernetes/client-node';\nexport default CoreV1Api;`;
    await assert.rejects(build(options('lacking', source, { plugins: [narrowClientNode([work])] })), /CoreV1Api/);
  });
});

test('the baked tool schemas are what tools/list shows (the sidecar catalogue golden)', {
  timeout: 120_000,
}, async () => {
  const baked = join(root, 'packages/sidecar/src/tools/baked-schemas.ts');
  const source = `export { BAKED_SCHEMAS } from ${JSON.stringify(baked)};`;
  await build(options('schemas', source, { plugins: [bakeToolSchemas(root)] }));
  const { BAKED_SCHEMAS } = (await import(pathToFileURL(join(work, 'schemas.out.mjs')).href)) as {
    BAKED_SCHEMAS: Record<string, { input: unknown; output: unknown }>;
  };
  const golden = JSON.parse(readFileSync(join(root, 'packages/sidecar/test/golden/catalogue.json'), 'utf8')) as {
    tools: { name: string; inputSchema: unknown; outputSchema: unknown }[];
  };
  assert.ok(golden.tools.length > 0);
  for (const tool of golden.tools) {
    assert.deepStrictEqual(BAKED_SCHEMAS[tool.name]?.input, tool.inputSchema, tool.name);
    assert.deepStrictEqual(BAKED_SCHEMAS[tool.name]?.output, tool.outputSchema, tool.name);
  }
});

test('built-ins are required, with the values an import gives', async () => {
  const source = `import { STATUS_CODES } from 'node:http';
import * as path from 'path';
import fs from 'node:fs';
export const found = [STATUS_CODES[200], path.posix.join('a', 'b'), typeof fs.readFileSync];`;
  const result = await build(options('builtins', source, { plugins: [builtinsByRequire()] }));
  const [output] = Object.values(result.metafile?.outputs ?? {});
  const kinds = (output?.imports ?? []).map((entry) => `${entry.kind} ${entry.path}`).sort();
  assert.deepEqual(kinds, ['require-call node:fs', 'require-call node:http', 'require-call path']);
  const { found } = (await import(pathToFileURL(join(work, 'builtins.out.mjs')).href)) as { found: unknown[] };
  assert.deepEqual(found, ['OK', 'a/b', 'function']);
});
