/**
 * `podmcp <command> [flags]`: picks the command, answers --help and --version, and turns what a command
 * throws into a message and an exit code. The commands do the work; this module only dispatches.
 */
import packageJson from '../package.json' with { type: 'json' };
import { CommandError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type IO, UsageError } from './command.ts';
import { type CommandEntry, commands } from './commands.ts';

export async function main(argv: readonly string[], io: IO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(topLevelHelp());
    return EXIT_USAGE;
  }
  if (first === '-h' || first === '--help') {
    io.stdout.write(topLevelHelp());
    return EXIT_OK;
  }
  if (first === '--version') {
    io.stdout.write(`podmcp ${packageJson.version}\n`);
    return EXIT_OK;
  }
  if (first === 'help') return rest[0] === undefined ? main(['--help'], io) : main([rest[0], '--help'], io);
  if (first.startsWith('-')) {
    return usageFailure(io, 'podmcp', `unknown flag ${JSON.stringify(first)}`, 'podmcp --help');
  }

  const entry = findCommand(first);
  if (entry === undefined) {
    const known = Object.keys(commands).join(', ');
    return usageFailure(
      io,
      'podmcp',
      `unknown command ${JSON.stringify(first)}; known commands: ${known}`,
      'podmcp --help',
    );
  }
  const command = await entry.load();
  if (asksForHelp(rest)) {
    io.stdout.write(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError)
      return usageFailure(io, `podmcp ${first}`, error.message, `podmcp ${first} --help`);
    if (error instanceof CommandError) {
      io.stderr.write(`podmcp ${first}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    // Anything else is a bug in podmcp, so the stack is worth more than a tidy message.
    io.stderr.write(`podmcp ${first}: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}

function findCommand(name: string): CommandEntry | undefined {
  // hasOwn, so that names like "constructor" are unknown commands rather than Object.prototype members.
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

/** --help anywhere before a `--` wins over every other flag, as users expect from any CLI. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}

function usageFailure(io: IO, who: string, message: string, helpCommand: string): number {
  io.stderr.write(`${who}: ${message}\nRun '${helpCommand}' for usage.\n`);
  return EXIT_USAGE;
}

function topLevelHelp(): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((name) => name.length)) + 3;
  const list = names.map((name) => `  ${name.padEnd(width)}${commands[name]?.summary ?? ''}`).join('\n');
  return `podmcp: safe, scoped MCP access to one Kubernetes workload.

Usage:
  podmcp <command> [flags]
  podmcp <command> --help

Commands:
${list}

Flags:
  -h, --help   Show this help.
  --version    Print the version.

Exit codes: 0 success, 1 failure, 2 usage error.
`;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2), process);
