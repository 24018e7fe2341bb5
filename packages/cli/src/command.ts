/**
 * The contract between the dispatcher and each subcommand: arguments in, exit code out, and every byte of I/O
 * through the streams it is handed, so a test can run a command in-process and read what it printed.
 */
import type { Readable, Writable } from 'node:stream';

export interface IO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface Command {
  /** One line for the command list of `podmcp --help`. */
  readonly summary: string;
  /** The full text of `podmcp <command> --help`. */
  readonly help: string;
  /** Resolves to the exit code. Throws UsageError (exit 2) or CommandError (exit 1) for the user to read. */
  run(argv: readonly string[], io: IO): Promise<number>;
}

export const EXIT_OK = 0;
/** The command ran and the answer is "no": a denied workload, an unreadable input. */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong; nothing was attempted. */
export const EXIT_USAGE = 2;

/** Wrong flags or arguments. The dispatcher adds a pointer to the command's --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A problem the user can fix (a missing file, invalid YAML); printed without a stack trace. */
export class CommandError extends Error {
  override name = 'CommandError';
}
