/**
 * podmcp's cache folder on this machine, where builds keep what they download or compile between runs: the
 * image's inputs, the benchmark's peer servers, and (in shell) the test binaries. The same rule as the
 * scripts' `${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}`: an empty variable counts as unset,
 * as with the shell's `:-` and the XDG base-directory spec.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function podmcpCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.PODMCP_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'podmcp');
}
