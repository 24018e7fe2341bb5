/**
 * The inputs of `podmcp inject`: files, directories and stdin, each read whole and named the way the user
 * wrote it, so that every later message points at the right file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { CommandError, UsageError } from '../command.ts';

export interface Source {
  readonly name: string;
  readonly text: string;
}

export const STDIN = '-';
export const STDIN_NAME = '<stdin>';

const MANIFEST_FILE = /\.ya?ml$/i;

/** No paths means stdin, like `kubectl apply -f -`; `-` among the paths reads stdin at that position. */
export async function readSources(paths: readonly string[], stdin: Readable): Promise<Source[]> {
  if (paths.length === 0) {
    // Waiting on a terminal for YAML that never comes looks like a hang; say what was expected instead.
    if ((stdin as { isTTY?: boolean }).isTTY) {
      throw new UsageError('no input: give -f FILE, or pipe manifests on stdin');
    }
    return [await readStdin(stdin)];
  }
  if (paths.filter((path) => path === STDIN).length > 1) {
    throw new UsageError('-f - (stdin) can be given only once');
  }
  const sources: Source[] = [];
  for (const path of paths) {
    if (path === STDIN) sources.push(await readStdin(stdin));
    else sources.push(...(await readPath(path)));
  }
  return sources;
}

async function readStdin(stdin: Readable): Promise<Source> {
  return { name: STDIN_NAME, text: await text(stdin) };
}

/** A directory stands for its manifest files, sorted so that the output order never depends on the file system. */
async function readPath(path: string): Promise<Source[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw unreadable(path, error);
  }
  if (!isDirectory) return [await readManifest(path)];
  let names: string[];
  try {
    names = (await readdir(path)).filter((name) => MANIFEST_FILE.test(name)).sort();
  } catch (error) {
    throw unreadable(path, error);
  }
  if (names.length === 0) throw new CommandError(`${path}: the directory has no .yaml or .yml files`);
  return Promise.all(names.map((name) => readManifest(join(path, name))));
}

async function readManifest(path: string): Promise<Source> {
  try {
    return { name: path, text: await readFile(path, 'utf8') };
  } catch (error) {
    throw unreadable(path, error);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/** File system errors, in words rather than errno codes, naming the file. */
export function unreadable(path: string, error: unknown): CommandError {
  const code = (error as { code?: string }).code ?? '';
  return new CommandError(`cannot read ${path}: ${REASONS[code] ?? (error as Error).message}`);
}
