/** Where downloads are kept between builds: podmcp's cache folder, shared with the test harness. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(...parts: string[]): string {
  const base = process.env.PODMCP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'podmcp');
  return join(base, 'image', ...parts);
}
