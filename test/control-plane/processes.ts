/**
 * Child processes of a control plane: output to a log file each (shown when a start fails), stopped with
 * SIGTERM then SIGKILL, and a watchdog that cleans up even if the test process itself is SIGKILLed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited, with its exit code or signal. */
  readonly exited: Promise<string>;
  tail(lines?: number): string;
}

export function startProcess(
  name: string,
  binary: string,
  args: readonly string[],
  directory: string,
  pidFile: string,
): ManagedProcess {
  const logFile = join(directory, `${name}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid) appendFileSync(pidFile, `${child.pid}\n`);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
  });
  return {
    name,
    child,
    logFile,
    exited,
    tail(lines = 30) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
  };
}

export async function stopProcess(process: ManagedProcess, graceMs = 5_000): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  process.child.kill('SIGTERM');
  const timer = setTimeout(() => process.child.kill('SIGKILL'), graceMs);
  await process.exited;
  clearTimeout(timer);
}

/**
 * A detached shell that waits for this process to die, then kills every pid listed in `pidFile` and removes
 * the directory. It covers what exit handlers cannot: a SIGKILLed test runner or a crashed worker.
 */
export function startWatchdog(pidFile: string, directory: string): ChildProcess {
  const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `[ -f ${quote(pidFile)} ] && kill -KILL $(cat ${quote(pidFile)}) 2>/dev/null`,
    `rm -rf ${quote(directory)}`,
  ].join('; ');
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}
