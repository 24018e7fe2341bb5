/**
 * Runs the build scripts that fill the podmcp cache (test/control-plane/build.sh, test/node/build.sh, …): a
 * first build takes minutes, so its progress goes straight to the terminal; what the script made is on its
 * last stdout lines. Exit status 3 is the scripts' "a prerequisite is missing" (Go, a C compiler, headers).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { basename } from 'node:path';

export interface BuildScript {
  readonly path: string;
  /** What it builds, for the error: "could not build <what>". */
  readonly what: string;
  /** What exit status 3 means for this script. */
  readonly missing: string;
  /** The error thrown when the build fails (the suites turn it into a skip or a failure). */
  readonly unavailable: (message: string) => Error;
}

/** The script's stdout lines; `--print` among `args` only prints where the build would go. */
export function runBuildScript(script: BuildScript, args: readonly string[]): string[] {
  const result = spawnSync('bash', [script.path, ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) {
    const why =
      result.status === 3 ? script.missing : `${basename(script.path)} exited with ${result.status ?? result.signal}`;
    throw script.unavailable(`could not build ${script.what}: ${why} (see the output above)`);
  }
  return result.stdout.trim().split('\n');
}

export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
