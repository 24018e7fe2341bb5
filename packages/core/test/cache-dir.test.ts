import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { podmcpCacheDir } from '../src/cache-dir.ts';

describe('podmcpCacheDir', () => {
  test('PODMCP_CACHE_DIR first', () => {
    assert.equal(podmcpCacheDir({ PODMCP_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
  });

  test('then podmcp under XDG_CACHE_HOME', () => {
    assert.equal(podmcpCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/podmcp');
  });

  test('then ~/.cache/podmcp', () => {
    assert.equal(podmcpCacheDir({ HOME: '/h' }), '/h/.cache/podmcp');
    assert.equal(podmcpCacheDir({}), join(homedir(), '.cache', 'podmcp'));
  });

  test('an empty variable counts as unset, as in the shell scripts', () => {
    assert.equal(podmcpCacheDir({ PODMCP_CACHE_DIR: '', XDG_CACHE_HOME: '', HOME: '/h' }), '/h/.cache/podmcp');
  });
});
