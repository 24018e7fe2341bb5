/**
 * podmcp as the image runs it: the esbuild bundle (packages/image/src/bundle.ts) with its V8 compile cache baked
 * the way the image bakes it, started with the NODE_OPTIONS the injector sets for the default memory limit.
 * The footprint section starts it next to the servers from their sources, against the same cluster, for the
 * cold-start and idle-memory goals (the sources load 2–3 times more code than the image does).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, ENTRY_FILE } from '../../packages/image/src/bundle.ts';
import { bakeArguments } from '../../packages/image/src/compile-cache.ts';
import { injectedEnvText, injectedNodeOptions, type PodmcpEntry } from './load-servers.ts';
import { podmcpSpec, type ServerSpec, type ServerWorld } from './mcp-servers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles podmcp into `work` and bakes its compile cache there, as the image build does. */
export async function buildImageEntry(work: string): Promise<PodmcpEntry> {
  const app = join(work, 'podmcp-app');
  const cache = join(work, 'podmcp-compile-cache');
  await bundle(REPO, app);
  mkdirSync(cache, { recursive: true });
  execFileSync(process.execPath, bakeArguments(app), { env: { NODE_COMPILE_CACHE: cache }, stdio: 'ignore' });
  return {
    script: join(app, ENTRY_FILE),
    env: { NODE_COMPILE_CACHE: cache },
    describe: "from the image's bundle (minified, split) with its baked compile cache",
  };
}

/** podmcp over stdio like podmcpSpec, but from the image's bundle and with the injector's NODE_OPTIONS. */
export function podmcpImageSpec(world: ServerWorld, entry: PodmcpEntry): ServerSpec {
  const sources = podmcpSpec(world);
  const nodeOptions = injectedNodeOptions();
  return {
    ...sources,
    describe: `node ${process.version} ${entry.describe}, ${injectedEnvText()}; otherwise as podmcp`,
    args: [entry.script, ...sources.args.slice(1)],
    env: { ...sources.env, ...entry.env, ...nodeOptions },
  };
}
