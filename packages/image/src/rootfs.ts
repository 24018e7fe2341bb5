/**
 * The image's root filesystem, laid out in a folder: Debian's libraries and CA bundle, Node under /nodejs,
 * podmcp's bundle under /app with /usr/bin/podmcp pointing at it, and the nonroot user (65532) podmcp runs as.
 * Nothing here is writable at run time; /tmp is only a mount point for the emptyDir the manifests provide.
 */
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeRuntime } from './node-runtime.ts';

export const NONROOT = 65532;
export const ENTRYPOINT = '/usr/bin/podmcp';
export const APP_DIR = '/app';
export const NODE_DIR = '/nodejs';

export function addNodeRuntime(rootfs: string, node: NodeRuntime): void {
  mkdirSync(join(rootfs, NODE_DIR, 'bin'), { recursive: true });
  copyFileSync(node.binary, join(rootfs, NODE_DIR, 'bin/node'));
  chmodSync(join(rootfs, NODE_DIR, 'bin/node'), 0o755);
  copyFileSync(node.license, join(rootfs, NODE_DIR, 'LICENSE'));
}

/** The entry file is executable with a #! line naming Node, so the entrypoint needs no shell. */
export function linkEntrypoint(rootfs: string, entryFile: string): void {
  chmodSync(join(rootfs, APP_DIR, entryFile), 0o755);
  mkdirSync(join(rootfs, 'usr/bin'), { recursive: true });
  symlinkSync(`../..${APP_DIR}/${entryFile}`, join(rootfs, ENTRYPOINT));
}

export function addUsers(rootfs: string): void {
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`,
  );
  writeFileSync(join(rootfs, 'etc/group'), `root:x:0:\nnonroot:x:${NONROOT}:\n`);
  mkdirSync(join(rootfs, 'home/nonroot'), { recursive: true });
  mkdirSync(join(rootfs, 'root'), { recursive: true });
  chmodSync(join(rootfs, 'root'), 0o700);
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}
