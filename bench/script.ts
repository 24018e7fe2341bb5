/** How a benchmark script runs: an exit code from `main`, a stack on failure, and a hard stop past its budget. */

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
