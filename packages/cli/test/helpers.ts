/** Runs the CLI the two ways users meet it: in-process through main() with captured streams, and as the real bin. */
import { spawnSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/podmcp.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export async function runCli(argv: readonly string[], stdin = '', options: { tty?: boolean } = {}): Promise<Run> {
  const input = Readable.from(stdin === '' ? [] : [stdin]);
  if (options.tty) Object.assign(input, { isTTY: true });
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdin: input, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export function runBin(argv: readonly string[], stdin = '', script = BIN): Run {
  const result = spawnSync(process.execPath, [script, ...argv], {
    cwd: REPO,
    input: stdin,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
