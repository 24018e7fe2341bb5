/**
 * A flag and its value as two arguments (`--api-key`, `VALUE`) hide the value from every `name=value` rule:
 * the value is recognised by the flag before it. Used on argv arrays (a container's `command` and `args`, an
 * exec probe) and by the text rule for the same pair rendered as a command line, a JSON or a YAML list.
 */
import { endsInSecretWord, REDACTED } from './secret-names.ts';

const FLAG = /^(--?)([A-Za-z0-9][A-Za-z0-9_.-]*)$/;
/** `-p 8080`, `-p 8080:80`, `-p 127.0.0.1:53:53/udp`, `mkdir -p /data`, `-p $(PORT)`: not a password. */
const NOT_A_PASSWORD = /^(?:[\d.:]+(?:\/(?:tcp|udp|sctp))?|[/.~$].*)$/i;
/** `-u 1000:1000` is a uid:gid, not user:password. */
const UID_GID = /^\d+:\d+$/;

/**
 * What the value after a flag becomes, or undefined when the flag does not take a credential. `argv` is true for
 * real argument arrays: only there is `-p` (the password of mysql, sshpass, …) trusted to be a flag of its own.
 */
export function flagValueReplacement(dashes: string, name: string, value: string, argv: boolean): string | undefined {
  if (value === '' || value.startsWith('-') || value === REDACTED) return undefined;
  if (endsInSecretWord(name)) return REDACTED;
  if (argv && dashes === '-' && name === 'p') return NOT_A_PASSWORD.test(value) ? undefined : REDACTED;
  const userFlag = (dashes === '-' && name === 'u') || (dashes === '--' && name === 'user');
  const colon = value.indexOf(':');
  if (userFlag && colon >= 0 && !UID_GID.test(value) && !value.endsWith(`:${REDACTED}`)) {
    return `${value.slice(0, colon)}:${REDACTED}`;
  }
  return undefined;
}

/**
 * Redacts the value that follows a credential flag in an argument array (`['--api-key', 'k']`,
 * `['-p', 'hunter2']`, `['-u', 'user:pass']`). `--token=VALUE` in one argument is left to the text rules.
 */
export function redactArgv(argv: readonly string[]): string[] {
  return argv.map((argument, index) => {
    const flag = index > 0 ? FLAG.exec(argv[index - 1] ?? '') : null;
    if (!flag) return argument;
    return flagValueReplacement(flag[1] ?? '', flag[2] ?? '', argument, true) ?? argument;
  });
}
