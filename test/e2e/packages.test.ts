/**
 * The published packages installed as a user installs them: each one packed with `npm pack`, the tarballs
 * installed into an empty folder outside the repository (dependencies from the registry), then run there on this
 * Node 24 without the repository: `podmcp --version`, `podmcp inject` (the same output as in the repository),
 * `podmcp serve` against the control plane over stdio, and `import('@podmcp/…')`. The tarballs and the installed
 * tree hold compiled JavaScript and declarations only: Node does not strip types under node_modules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { controlPlaneForSuite } from '../control-plane/suite.ts';
import {
  filesUnder,
  importedPackages,
  installTarballs,
  type PackedPackage,
  packAll,
  REPO,
  runEnv,
} from '../packages/install.ts';
import { callTool, createWorld, deployApp } from './sidecar/fixture.ts';
import { PODMCP_BIN } from './sidecar/process-helpers.ts';

const { plane, skip } = await controlPlaneForSuite({ nodes: true });

const LIBRARIES = ['@podmcp/core', '@podmcp/injector', '@podmcp/sidecar'] as const;
const EXAMPLE = join(REPO, 'examples', 'demo', 'deployment.yaml');

interface PodList {
  readonly namespace: string;
  readonly pods: Array<{ name: string; status: string }>;
}

describe('published packages, packed and installed outside the repository', () => {
  let scratch: string;
  let install: string;
  let packed: PackedPackage[];
  /** The installed command, run directly: its `#!/usr/bin/env node` finds this Node 24 first on PATH. */
  let podmcp: string;

  before(
    () => {
      scratch = mkdtempSync(join(tmpdir(), 'podmcp-e2e-packages-'));
      const tarballs = join(scratch, 'tarballs');
      install = join(scratch, 'install');
      mkdirSync(tarballs);
      mkdirSync(install);
      packed = packAll(tarballs);
      installTarballs(
        install,
        packed.map((entry) => entry.tarball),
      );
      podmcp = join(install, 'node_modules', '.bin', 'podmcp');
    },
    { timeout: 900_000 },
  );
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('each tarball holds its package.json, README, compiled JavaScript and declarations, and nothing else', () => {
    assert.deepEqual(packed.map((entry) => entry.name).sort(), [
      '@podmcp/core',
      '@podmcp/injector',
      '@podmcp/sidecar',
      'podmcp',
    ]);
    for (const entry of packed) {
      const other = entry.files.filter(
        (file) =>
          !['package.json', 'README.md', 'bin/podmcp.js'].includes(file) && !/^dist\/.+\.(js|d\.ts)$/.test(file),
      );
      assert.deepEqual(other, [], `${entry.name} packs only what runs`);
      assert.ok(entry.files.includes('dist/index.js') || entry.files.includes('dist/main.js'), entry.name);
      assert.ok(
        entry.files.some((file) => file.endsWith('.d.ts')),
        `${entry.name} ships type declarations`,
      );
    }
  });

  test('the installed packages are real folders from the tarballs, with no TypeScript to strip', () => {
    for (const name of [...LIBRARIES, 'podmcp']) {
      const folder = join(install, 'node_modules', name);
      assert.ok(!lstatSync(folder).isSymbolicLink(), `${name} is installed, not linked to the repository`);
      const files = filesUnder(folder);
      assert.ok(files.length > 2, `${name} has files`);
      assert.deepEqual(
        files.filter((file) => /\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file)),
        [],
        `${name} holds no .ts but .d.ts`,
      );
      assert.deepEqual(
        files.filter((file) => /^(src|test)\//.test(file)),
        [],
        `${name} holds no sources or tests`,
      );
    }
  });

  test('each installed package lists exactly the packages its JavaScript and declarations import as dependencies', () => {
    for (const name of [...LIBRARIES, 'podmcp']) {
      const folder = join(install, 'node_modules', name);
      const { dependencies = {} } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      assert.deepEqual(importedPackages(folder), Object.keys(dependencies).sort(), name);
    }
  });

  test('podmcp --version', () => {
    const run = spawnSync(podmcp, ['--version'], { cwd: install, env: runEnv(scratch), encoding: 'utf8' });
    const { version } = JSON.parse(readFileSync(join(REPO, 'packages', 'cli', 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.deepEqual(
      { code: run.status, stdout: run.stdout, stderr: run.stderr },
      { code: 0, stdout: `podmcp ${version}\n`, stderr: '' },
    );
  });

  test('podmcp inject -f <example> prints what the repository prints', () => {
    const manifest = join(scratch, 'deployment.yaml');
    copyFileSync(EXAMPLE, manifest);
    const installed = spawnSync(podmcp, ['inject', '-f', manifest], {
      cwd: install,
      env: runEnv(scratch),
      encoding: 'utf8',
    });
    assert.equal(installed.status, 0, installed.stderr);
    const inRepo = spawnSync(process.execPath, [PODMCP_BIN, 'inject', '-f', manifest], { cwd: REPO, encoding: 'utf8' });
    assert.equal(inRepo.status, 0, inRepo.stderr);
    assert.match(installed.stdout, /name: podmcp\n/);
    assert.equal(installed.stdout, inRepo.stdout);
  });

  test("import('@podmcp/…') from the install folder gives the modules the repository's sources export", async () => {
    const script = `
      const names = {};
      for (const name of ${JSON.stringify(LIBRARIES)}) names[name] = Object.keys(await import(name)).sort();
      process.stdout.write(JSON.stringify(names));`;
    // An entry module in the install folder, so that bare names resolve through its node_modules.
    const entry = join(install, 'exports.mjs');
    writeFileSync(entry, script);
    const run = spawnSync(process.execPath, [entry], { cwd: install, env: runEnv(scratch), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const expected: Record<string, string[]> = {};
    for (const name of LIBRARIES) expected[name] = Object.keys(await import(name)).sort();
    assert.deepEqual(JSON.parse(run.stdout), expected);
  });

  test("a TypeScript user's type check resolves each library's declarations, with real types, not any", () => {
    // Each @ts-expect-error must meet an error: were an import typed `any`, tsc would report it unused.
    const consumer = join(install, 'consumer.ts');
    writeFileSync(
      consumer,
      `import { ANNOTATION_PREFIX } from '@podmcp/core';
import { injectManifests } from '@podmcp/injector';
import { runSidecar } from '@podmcp/sidecar';
export const prefix: string = ANNOTATION_PREFIX;
export const names: string[] = [injectManifests.name, runSidecar.name];
// @ts-expect-error a string is not a number
export const wrongPrefix: number = ANNOTATION_PREFIX;
// @ts-expect-error injectManifests takes manifests text, a configuration and cluster facts
injectManifests(42);
// @ts-expect-error runSidecar returns a promise, not a string
export const wrongRun: string = runSidecar({});
`,
    );
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2024', '--skipLibCheck'];
    const types = ['--typeRoots', join(REPO, 'node_modules', '@types'), '--types', 'node'];
    const run = spawnSync(process.execPath, [tsc, ...options, ...types, consumer], {
      cwd: install,
      env: runEnv(scratch),
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  test('podmcp serve over stdio against the control plane: tools/list and list_pods', { skip }, async () => {
    assert.ok(plane);
    const world = await createWorld(plane, { prefix: 'pkg' });
    const { pods } = await deployApp(world, 'web');
    const ownPod = pods[0]?.metadata?.name ?? '';
    const kubeconfig = join(scratch, 'sidecar.kubeconfig');
    writeFileSync(kubeconfig, plane.kubeConfigForToken(world.sidecarToken).exportConfig(), { mode: 0o600 });
    const transport = new StdioClientTransport({
      command: podmcp,
      args: ['serve', '--transport', 'stdio'],
      cwd: install,
      env: runEnv(scratch, {
        KUBECONFIG: kubeconfig,
        PODMCP_POD_NAMESPACE: world.namespace,
        PODMCP_POD_NAME: ownPod,
      }),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'podmcp-e2e-packages', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.ok(
        tools.some((tool) => tool.name === 'list_pods'),
        stderr,
      );
      const { structured } = await callTool<PodList>(client, 'list_pods');
      assert.equal(structured.namespace, world.namespace);
      assert.deepEqual(
        structured.pods.map((pod) => pod.name),
        [ownPod],
      );
    } finally {
      await client.close();
    }
    assert.match(stderr, /"msg":"listening"/);
    assert.match(stderr, /"msg":"stopped"/);
  });
});
