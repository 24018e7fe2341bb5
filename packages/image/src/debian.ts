/**
 * The image's operating-system part, from Debian packages without dpkg's maintainer scripts: the C and C++
 * runtime libraries Node links against and the CA certificates. Each .deb is fetched once (the version apt
 * would install), checked against apt's hash, kept in the cache, and unpacked with `dpkg-deb -x`.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { cacheDir } from './cache.ts';
import { run } from './run.ts';

/** What Node's binary needs (glibc, libstdc++, libgcc_s) and the CA bundle; nothing else. */
export const DEBIAN_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates'] as const;

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly sha256: string;
  readonly file: string;
}

/** The candidate version apt would install, fetched into the cache unless it is already there. */
export function fetchDebianPackage(name: string): DebianPackage {
  const fields = parseControl(run('apt-cache', ['show', '--no-all-versions', name]));
  const version = required(fields, 'Version', name);
  const architecture = required(fields, 'Architecture', name);
  const sha256 = required(fields, 'SHA256', name);
  const dir = cacheDir('debs');
  const file = join(dir, basename(required(fields, 'Filename', name)));
  if (!existsSync(file) || sha256Of(file) !== sha256) {
    mkdirSync(dir, { recursive: true });
    const tmp = mkdtempSync(join(dir, '.download-'));
    try {
      run('apt-get', ['download', '-q', `${name}=${version}`], { cwd: tmp });
      const [downloaded] = readdirSync(tmp);
      if (downloaded === undefined) throw new Error(`apt-get download ${name} wrote nothing`);
      if (sha256Of(join(tmp, downloaded)) !== sha256) throw new Error(`${name} ${version}: hash differs from apt's`);
      renameSync(join(tmp, downloaded), file);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { name, version, architecture, sha256, file };
}

/**
 * Unpacks the packages into rootfs laid out as merged /usr (bin, sbin, lib, lib64 are links into usr/), keeps
 * only libraries, copyright notices and the CA bundle, and records each package where scanners look for it.
 */
export function installDebianPackages(rootfs: string, packages: readonly DebianPackage[]): void {
  for (const pkg of packages) {
    run('dpkg-deb', ['-x', pkg.file, rootfs]);
    const status = join(rootfs, 'var/lib/dpkg/status.d');
    mkdirSync(status, { recursive: true });
    const control = run('dpkg-deb', ['-f', pkg.file]);
    writeFileSync(join(status, pkg.name), control.endsWith('\n') ? control : `${control}\n`);
  }
  mergeUsr(rootfs);
  writeCaBundle(rootfs);
  prune(rootfs);
}

function mergeUsr(rootfs: string): void {
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
    const path = join(rootfs, top);
    const target = join(rootfs, 'usr', top);
    mkdirSync(target, { recursive: true });
    if (existsSync(path) && !lstatSync(path).isSymbolicLink()) {
      cpSync(path, target, { recursive: true, verbatimSymlinks: true });
      rmSync(path, { recursive: true });
    }
    if (!existsSync(path)) symlinkSync(`usr/${top}`, path);
  }
}

/** What update-ca-certificates would write (the package's postinst, not run here): every certificate, sorted. */
function writeCaBundle(rootfs: string): void {
  const source = join(rootfs, 'usr/share/ca-certificates/mozilla');
  const certificates = readdirSync(source)
    .filter((name) => name.endsWith('.crt'))
    .sort()
    .map((name) => readFileSync(join(source, name), 'utf8'))
    .map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`));
  if (certificates.length === 0) throw new Error('ca-certificates holds no certificate');
  mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), certificates.join(''));
}

/** Programs (no shell to run them, and none is needed), locales, manuals, debugger helpers, gconv modules. */
function prune(rootfs: string): void {
  const drop = [
    'usr/bin',
    'usr/sbin',
    'usr/libexec',
    'usr/share/ca-certificates',
    'usr/share/gcc',
    'usr/share/gdb',
    'usr/share/info',
    'usr/share/lintian',
    'usr/share/locale',
    'usr/share/man',
    'usr/lib/x86_64-linux-gnu/gconv',
    'usr/lib/x86_64-linux-gnu/audit',
    'etc/ca-certificates',
    'etc/ld.so.conf.d',
    'etc/ld.so.conf',
  ];
  for (const path of drop) rmSync(join(rootfs, path), { recursive: true, force: true });
  mkdirSync(join(rootfs, 'usr/bin'), { recursive: true });
  mkdirSync(join(rootfs, 'usr/sbin'), { recursive: true });
  const docs = join(rootfs, 'usr/share/doc');
  for (const pkg of existsSync(docs) ? readdirSync(docs) : []) {
    // libgcc-s1 and libstdc++6 link theirs to gcc's base package, which is not installed.
    if (lstatSync(join(docs, pkg)).isSymbolicLink()) {
      rmSync(join(docs, pkg));
      continue;
    }
    for (const entry of readdirSync(join(docs, pkg))) {
      if (entry !== 'copyright') rmSync(join(docs, pkg, entry), { recursive: true, force: true });
    }
  }
}

function parseControl(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && !fields.has(match[1])) fields.set(match[1], match[2]);
  }
  return fields;
}

function required(fields: Map<string, string>, field: string, name: string): string {
  const value = fields.get(field);
  if (value === undefined || value === '') throw new Error(`apt-cache show ${name}: no ${field}`);
  return value;
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
