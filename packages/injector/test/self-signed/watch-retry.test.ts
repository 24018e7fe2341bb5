import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelayMs, watchFailureReport } from '../../src/self-signed/watch-retry.ts';

const RETRY = { restartMs: 1_000, firstMs: 2_000, capMs: 60_000, warnAfter: 3 };
const WHAT = 'Secret podmcp-system/podmcp-injector-tls';
const forbidden = Object.assign(new Error('Forbidden'), { statusCode: 403 });

describe('TLS Secret watch retries', () => {
  test('a watch that ended on schedule starts again after the short restart wait', () => {
    assert.equal(retryDelayMs(0, RETRY), 1_000);
  });

  test('failures wait twice as long each time, up to the cap, and stay there', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 100, 10_000].map((failures) => retryDelayMs(failures, RETRY)),
      [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000],
    );
  });

  test('the first failures are debug; repeated ones warn', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((failures) => watchFailureReport(new Error('socket hang up'), failures, WHAT, RETRY).level),
      ['debug', 'debug', 'warn', 'warn'],
    );
  });

  test('a 403 names the missing permission and when the next try is', () => {
    const report = watchFailureReport(forbidden, 3, WHAT, RETRY);
    assert.equal(report.level, 'warn');
    assert.match(report.message, /^cannot watch Secret podmcp-system\/podmcp-injector-tls: HTTP 403/);
    assert.match(report.message, /lacks list and watch/);
    assert.match(report.message, /retrying in 8 s$/);
  });

  test('another failure says how often it failed and why', () => {
    const report = watchFailureReport(
      Object.assign(new Error('Internal Server Error'), { statusCode: 500 }),
      2,
      WHAT,
      RETRY,
    );
    assert.equal(
      report.message,
      'watch of Secret podmcp-system/podmcp-injector-tls failed 2 time(s) in a row (HTTP 500): Internal Server Error; retrying in 4 s',
    );
  });
});
