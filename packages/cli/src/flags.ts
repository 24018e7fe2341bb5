/** Flag parsing shared by the commands: node:util parseArgs, with its errors turned into usage errors. */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.ts';

/** Strict parsing: unknown flags and stray positional arguments are usage errors, never ignored. */
export function parseFlags<const Options extends ParseArgsOptionsConfig>(argv: readonly string[], options: Options) {
  return withUsageErrors(() => parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values);
}

/** Runs a parseArgs call, turning its parse errors into usage errors (for commands that also take positionals). */
export function withUsageErrors<Result>(parse: () => Result): Result {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // parseArgs appends multi-line advice meant for script authors; the first line says what is wrong.
      throw new UsageError((error as Error).message.split('\n')[0]);
    }
    throw error;
  }
}

/** Checks a flag against its allowed values, naming them when it does not match. */
export function oneOf<const Value extends string>(flag: string, value: string, allowed: readonly Value[]): Value {
  if ((allowed as readonly string[]).includes(value)) return value as Value;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

/** A port flag, undefined when absent; 0 asks the system for a free port (tests, several processes side by side). */
export function portFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new UsageError(`--${flag} must be a port number between 0 and 65535, got ${JSON.stringify(value)}`);
  }
  return parsed;
}
