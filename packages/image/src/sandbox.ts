/**
 * Runs a program of an unpacked image the way a pod runs it, without a container engine: as root, in a new
 * mount namespace, the root filesystem bound read-only, a 16 MiB tmpfs on /tmp (the injector's
 * emptyDir), /proc and /dev, then chroot as 65532:65532 with only the image's environment. Used by the image
 * test and the start-up measurement; runc is not needed. Each step execs the next, so the spawned process is
 * the program itself and signals sent to it reach podmcp.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.ts';

export interface UnpackedImage {
  readonly rootfs: string;
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly user: string;
  remove(): void;
}

export function unpackImage(archive: string): UnpackedImage {
  const dir = mkdtempSync(join(tmpdir(), 'podmcp-image-run-'));
  const layout = join(dir, 'layout');
  const rootfs = join(dir, 'rootfs');
  run('skopeo', ['copy', '--quiet', `oci-archive:${archive}`, `oci:${layout}:image`]);
  run('umoci', ['raw', 'unpack', '--image', `${layout}:image`, rootfs]);
  const config = JSON.parse(run('skopeo', ['inspect', '--config', `oci:${layout}:image`])) as {
    config: { Env?: string[]; Entrypoint?: string[]; User?: string };
  };
  // Mount points a runtime would create; the image itself has none (a runtime mounts /proc and /dev).
  mkdirSync(join(rootfs, 'proc'));
  mkdirSync(join(rootfs, 'dev'));
  return {
    rootfs,
    env: config.config.Env ?? [],
    entrypoint: config.config.Entrypoint ?? [],
    user: config.config.User ?? '0:0',
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The command line that runs argv inside the image; `files` are copied into its /tmp first (name → path). */
export function sandboxCommand(
  image: UnpackedImage,
  argv: readonly string[],
  files: Readonly<Record<string, string>> = {},
  env: readonly string[] = [],
): [string, string[]] {
  const copies = Object.entries(files)
    .map(([name, path]) => `cp ${quote(path)} "$r/tmp/${name}" && chmod 0444 "$r/tmp/${name}"`)
    .join(' && ');
  const script = [
    'set -e',
    'r=$0',
    // Resolved before the environment is emptied: env -i leaves no PATH to find it by.
    'c=$(command -v chroot)',
    'mount --bind "$r" "$r"',
    'mount -o remount,bind,ro "$r"',
    'mount -t tmpfs -o size=16m,mode=1777 tmpfs "$r/tmp"',
    'mount -t proc proc "$r/proc"',
    'mount --rbind /dev "$r/dev"',
    copies || 'true',
    `exec env -i ${[...image.env, ...env].map(quote).join(' ')} "$c" --userspec=${image.user} "$r" "$@"`,
  ].join('\n');
  return ['unshare', ['--mount', '--', 'sh', '-c', script, image.rootfs, ...argv]];
}

/** Runs to completion, capturing stdout and stderr; `input` is written to its stdin. */
export function runInImage(
  image: UnpackedImage,
  argv: readonly string[],
  options: { files?: Readonly<Record<string, string>>; env?: readonly string[]; input?: string } = {},
) {
  const [command, args] = sandboxCommand(image, argv, options.files, options.env);
  return spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, input: options.input ?? '' });
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
