/** Where downloads are kept between builds: the image's part of podmcp's cache folder, shared with the test harness. */
import { join } from 'node:path';
import { podmcpCacheDir } from '@podmcp/core';

export function cacheDir(...parts: string[]): string {
  return join(podmcpCacheDir(), 'image', ...parts);
}
