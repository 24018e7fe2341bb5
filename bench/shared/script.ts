/** How a benchmark script runs: an exit code from `main`, a stack on failure, and a hard stop past its budget. */
import { UsageError } from './flags.ts';

/**
 * The checked command line, or the exit code once the usage text is printed: 2 with the problem on stderr for
 * a usage error, 0 on stdout for --help (`parse` returns undefined).
 */
export function optionsOrExitCode<Options extends object>(
  parse: () => Options | undefined,
  usage: string,
): Options | number {
  let options: Options | undefined;
  try {
    options = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return options;
}

/** Exits with 1 once `seconds` have passed: a stuck benchmark must not hang CI. */
export function stopAfter(name: string, seconds: number): void {
  setTimeout(() => {
    process.stderr.write(`${name}: still running after its ${Math.round(seconds)} s budget; giving up\n`);
    process.exit(1);
  }, seconds * 1000).unref();
}

export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`${name} failed: ${error.stack ?? error.message}\n`);
      process.exitCode = 1;
    },
  );
}
