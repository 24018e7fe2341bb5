import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { chooseContainer, hasPreviousInstance } from '../src/format/containers.ts';
import {
  buildLogAnswer,
  compileGrep,
  decodeLogCursor,
  encodeLogCursor,
  GREP_MAX_PATTERN,
  grepLines,
  type LogLine,
  linesAfter,
  linesSince,
  logNotes,
  parseLogText,
  parseTimestampNanos,
  positionAt,
  redactLogLines,
  selectLines,
} from '../src/format/logs.ts';
import { describeLogError } from '../src/tools/get-pod-logs.ts';

const T1 = '2026-03-01T10:00:00.000000001Z';
const T2 = '2026-03-01T10:00:00.5Z';
const T3 = '2026-03-01T10:00:01Z';

import { assertNoSecretFragment } from './redact-plantings.ts';

function log(...entries: Array<[string, string]>): string {
  return entries.map(([time, text]) => `${time} ${text}\n`).join('');
}

describe('timestamps', () => {
  test('orders nanosecond, trimmed-fraction and offset forms on one scale', () => {
    const a = parseTimestampNanos(T1);
    const b = parseTimestampNanos(T2);
    const c = parseTimestampNanos(T3);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.ok(a < b && b < c);
    assert.equal(parseTimestampNanos('2026-03-01T12:00:01+02:00'), c);
    assert.equal(b - a, 499_999_999n);
  });

  test('rejects what is not an RFC 3339 timestamp', () => {
    for (const bad of ['', 'yesterday', '2026-03-01', '2026-03-01T10:00:00', '2026-03-01T10:00:00.1234567891Z']) {
      assert.equal(parseTimestampNanos(bad), undefined, bad);
    }
  });
});

describe('parseLogText', () => {
  test('splits timestamped lines and keeps text with spaces intact', () => {
    const lines = parseLogText(log([T1, 'hello world'], [T2, '  indented']), false);
    assert.deepEqual(
      lines.map((line) => [line.timestamp, line.text]),
      [
        [T1, 'hello world'],
        [T2, '  indented'],
      ],
    );
  });

  test('a read cut at limitBytes drops the fragment after the last newline', () => {
    const raw = `${log([T1, 'whole'])}${T2} half a li`;
    assert.deepEqual(
      parseLogText(raw, true).map((line) => line.text),
      ['whole'],
    );
    assert.deepEqual(
      parseLogText(raw, false).map((line) => line.text),
      ['whole', 'half a li'],
    );
  });

  test('a single line longer than the read is kept rather than lost', () => {
    assert.deepEqual(
      parseLogText(`${T1} ${'x'.repeat(50)}`, true).map((line) => line.text.length),
      [50],
    );
  });

  test('a line without a timestamp keeps its whole text', () => {
    const [line] = parseLogText('no timestamp here\n', false);
    assert.equal(line?.text, 'no timestamp here');
    assert.equal(line?.nanos, undefined);
  });

  test('an empty log has no lines', () => {
    assert.deepEqual(parseLogText('', false), []);
  });
});

describe('cursors', () => {
  const lines = parseLogText(log([T1, 'a'], [T2, 'b1'], [T2, 'b2'], [T2, 'b3'], [T3, 'c']), false);

  test('after a line sharing its timestamp with others, continues with the next of them', () => {
    const position = positionAt(lines, 2);
    assert.deepEqual(position && { timestamp: position.timestamp, seen: position.seen }, { timestamp: T2, seen: 2 });
    const cursor = encodeLogCursor(position as NonNullable<typeof position>);
    const decoded = decodeLogCursor(cursor);
    assert.ok(decoded);
    assert.deepEqual(
      linesAfter(lines, decoded).map((line) => line.text),
      ['b3', 'c'],
    );
  });

  test('"before" a line starts with that line', () => {
    const position = positionAt(lines, 1, true);
    assert.ok(position);
    assert.deepEqual(
      linesAfter(lines, position).map((line) => line.text),
      ['b1', 'b2', 'b3', 'c'],
    );
  });

  test('after the last line there is nothing until the log grows', () => {
    const position = positionAt(lines, lines.length - 1);
    assert.ok(position);
    assert.deepEqual(linesAfter(lines, position), []);
    const grown = parseLogText(log([T1, 'a'], [T2, 'b1'], [T2, 'b2'], [T2, 'b3'], [T3, 'c'], [T3, 'd']), false);
    assert.deepEqual(
      linesAfter(grown, position).map((line) => line.text),
      ['d'],
    );
  });

  test('a bare timestamp means strictly after that time', () => {
    const decoded = decodeLogCursor(T2);
    assert.ok(decoded);
    assert.deepEqual(
      linesAfter(lines, decoded).map((line) => line.text),
      ['c'],
    );
  });

  test('a bare timestamp cursor is given back unchanged when nothing followed it', () => {
    const decoded = decodeLogCursor(T2);
    assert.ok(decoded);
    assert.equal(encodeLogCursor(decoded), T2);
  });

  test('rejects cursors that are not ours', () => {
    for (const bad of ['', 'abc', `${T1}/x`, `${T1}/-1`, `${T1}/1234567`, 'null/2']) {
      assert.equal(decodeLogCursor(bad), undefined, bad);
    }
  });

  test('since_time keeps the lines at or after it', () => {
    const since = parseTimestampNanos(T2);
    assert.ok(since !== undefined);
    assert.deepEqual(
      linesSince(lines, since).map((line) => line.text),
      ['b1', 'b2', 'b3', 'c'],
    );
    assert.deepEqual(linesSince(lines, (parseTimestampNanos(T3) ?? 0n) + 1n), []);
  });
});

describe('compileGrep', () => {
  test('is case-insensitive unless asked', () => {
    const insensitive = compileGrep('error', false);
    const sensitive = compileGrep('error', true);
    assert.ok(insensitive instanceof RegExp && sensitive instanceof RegExp);
    assert.ok(insensitive.test('ERROR: boom'));
    assert.ok(!sensitive.test('ERROR: boom'));
  });

  test('accepts ordinary log searches', () => {
    for (const pattern of [
      'error|timeout',
      'status=5\\d\\d',
      '^\\[WARN\\]',
      'user \\w+ logged in',
      '(GET|POST) /api',
      '[a-z]+-[0-9]+',
    ]) {
      assert.ok(compileGrep(pattern, false) instanceof RegExp, pattern);
    }
  });

  test('an invalid pattern says how to fix it', () => {
    const result = compileGrep('error(', false);
    assert.ok(!(result instanceof RegExp));
    assert.match(result.error, /not a valid regular expression.*Escape special characters/);
  });

  test('refuses patterns whose matching cost can explode', () => {
    const cases: Array<[string, RegExp]> = [
      ['(a+)+$', /nested quantifier/],
      ['(x*)*y', /nested quantifier/],
      ['((ab)+c)+', /nested quantifier/],
      ['(a|aa)*b', /repeated alternation/],
      ['(a|b){2,}', /repeated alternation/],
      ['(a)\\1', /backreference/],
      ['(?<x>a)\\k<x>', /backreference/],
      ['.*a.*b.*c.*d', /unbounded quantifiers/],
    ];
    for (const [pattern, expected] of cases) {
      const result = compileGrep(pattern, false);
      assert.ok(!(result instanceof RegExp), pattern);
      assert.match(result.error, expected, pattern);
    }
  });

  test('quantifiers inside a character class or escaped are literal, not risky', () => {
    assert.ok(compileGrep('([+*]x)+', false) instanceof RegExp);
    assert.ok(compileGrep('(\\+x)+', false) instanceof RegExp);
  });

  test('refuses patterns over the length cap', () => {
    const result = compileGrep('a'.repeat(GREP_MAX_PATTERN + 1), false);
    assert.ok(!(result instanceof RegExp));
    assert.match(result.error, /at most 200/);
  });

  test('grepLines keeps log order whichever end it searches from', () => {
    const lines = parseLogText(log([T1, 'error one'], [T1, 'fine'], [T2, 'ERROR two'], [T3, 'error three']), false);
    const pattern = compileGrep('error', false) as RegExp;
    for (const newestFirst of [true, false]) {
      const result = grepLines(lines, pattern, newestFirst);
      assert.deepEqual(
        result.matched.map((line) => line.text),
        ['error one', 'ERROR two', 'error three'],
      );
      assert.equal(result.scanned, 4);
    }
  });

  test('grepLines matches what the answer shows, never a hidden secret: no guessing it one prefix at a time', () => {
    const lines = parseLogText(log([T1, 'connecting to postgres://app:hunter2-s3cret@db:5432/app']), false);
    for (const guess of ['hunter2', 'app:h', 'hunter2-s3cret@']) {
      const pattern = compileGrep(guess, true) as RegExp;
      assert.deepEqual(grepLines(lines, pattern, true).matched, [], `the pattern ${guess} must not find the password`);
    }
    assert.equal(grepLines(lines, compileGrep('postgres://', false) as RegExp, true).matched.length, 1);
  });
});

describe('selectLines', () => {
  const lines: LogLine[] = parseLogText(log([T1, 'aaaa'], [T2, 'bbbb'], [T3, 'cccc']), false);

  test('a tail keeps the newest lines that fit and counts what it left out', () => {
    const selection = selectLines(lines, { maxBytes: 10, keep: 'newest', lineCapBytes: 100, timestamps: false });
    assert.deepEqual(selection.texts, ['bbbb', 'cccc']);
    assert.equal(selection.firstIndex, 1);
    assert.equal(selection.omittedLines, 1);
    assert.equal(selection.omittedBytes, 5);
  });

  test('reading forward keeps the oldest', () => {
    const selection = selectLines(lines, { maxBytes: 10, keep: 'oldest', lineCapBytes: 100, timestamps: false });
    assert.deepEqual(selection.texts, ['aaaa', 'bbbb']);
    assert.equal(selection.omittedLines, 1);
  });

  test('counts bytes as encoded in JSON, so quote-heavy lines cannot burst the answer budget', () => {
    // 9 raw bytes each, 13 once escaped in JSON: raw counting would fit both in 20 bytes.
    const json = parseLogText(log([T1, '{"a":"b"}'], [T2, '{"c":"d"}']), false);
    const tight = selectLines(json, { maxBytes: 20, keep: 'newest', lineCapBytes: 100, timestamps: false });
    assert.deepEqual(tight.texts, ['{"c":"d"}']);
    const roomy = selectLines(json, { maxBytes: 28, keep: 'newest', lineCapBytes: 100, timestamps: false });
    assert.equal(roomy.texts.length, 2);
  });

  test('cuts an overlong line with a marker instead of dropping it', () => {
    const long = parseLogText(log([T1, 'é'.repeat(100)]), false);
    const selection = selectLines(long, { maxBytes: 1000, keep: 'newest', lineCapBytes: 11, timestamps: false });
    assert.equal(selection.cutLines, 1);
    assert.match(selection.texts[0] ?? '', /^é{5} … \[line cut: 190 more bytes\]$/);
  });

  test('prefixes timestamps when asked', () => {
    const selection = selectLines(lines.slice(0, 1), {
      maxBytes: 1000,
      keep: 'newest',
      lineCapBytes: 100,
      timestamps: true,
    });
    assert.deepEqual(selection.texts, [`${T1} aaaa`]);
  });
});

describe('chooseContainer', () => {
  const pod = (annotations?: Record<string, string>): V1Pod => ({
    metadata: { name: 'web-1', annotations },
    spec: {
      containers: [{ name: 'podmcp' }, { name: 'app' }, { name: 'proxy' }],
      initContainers: [{ name: 'migrate' }],
    },
  });

  test('a named container is used as is', () => {
    assert.deepEqual(chooseContainer(pod(), 'proxy'), {
      container: 'proxy',
      containers: ['podmcp', 'app', 'proxy', 'migrate'],
    });
  });

  test('an unknown container names the ones that exist', () => {
    const choice = chooseContainer(pod(), 'nope');
    assert.ok('error' in choice);
    assert.equal(choice.error, 'Pod web-1 has no container "nope". Its containers: podmcp, app, proxy; init: migrate.');
  });

  test('the default-container annotation wins, and the note lists the others', () => {
    const choice = chooseContainer(pod({ 'kubectl.kubernetes.io/default-container': 'proxy' }), undefined);
    assert.ok(!('error' in choice));
    assert.equal(choice.container, 'proxy');
    assert.match(
      choice.note ?? '',
      /Read container proxy \(the pod's kubectl.kubernetes.io\/default-container annotation\); the pod also has podmcp, app, migrate/,
    );
  });

  test('otherwise the first app container that is not the podmcp sidecar', () => {
    const choice = chooseContainer(pod({ 'kubectl.kubernetes.io/default-container': 'gone' }), undefined);
    assert.ok(!('error' in choice));
    assert.equal(choice.container, 'app');
    assert.match(choice.note ?? '', /first app container/);
  });

  test('a single-container pod needs no note', () => {
    const choice = chooseContainer({ metadata: { name: 'x' }, spec: { containers: [{ name: 'only' }] } }, undefined);
    assert.deepEqual(choice, { container: 'only', containers: ['only'] });
  });
});

describe('hasPreviousInstance', () => {
  test('only a container that restarted or terminated before has one', () => {
    const pod: V1Pod = {
      status: {
        containerStatuses: [
          { name: 'fresh', image: 'x', imageID: '', ready: true, restartCount: 0 },
          { name: 'restarted', image: 'x', imageID: '', ready: true, restartCount: 2 },
        ],
      },
    };
    assert.equal(hasPreviousInstance(pod, 'fresh'), false);
    assert.equal(hasPreviousInstance(pod, 'restarted'), true);
    assert.equal(hasPreviousInstance(pod, 'missing'), false);
  });
});

describe('logNotes', () => {
  const base = {
    mode: 'tail' as const,
    returned: 3,
    scanned: 3,
    olderNotRead: false,
    newerNotRead: false,
    cutLines: 0,
    lineCapBytes: 4096,
  };

  test('a complete small read needs no notes', () => {
    assert.deepEqual(logNotes(base), []);
  });

  test('older lines dropped by max_bytes come with the cursor that reads them', () => {
    const notes = logNotes({
      ...base,
      omitted: { lines: 40, bytes: 9000, side: 'older', earlierCursor: `${T1}/0` },
    });
    assert.deepEqual(notes, [
      `40 older line(s) (9000 bytes) left out to fit max_bytes; to read them oldest-first pass cursor "${T1}/0", or narrow with grep or since_seconds.`,
    ]);
  });

  test('later lines dropped while reading forward say to continue from next_cursor', () => {
    const notes = logNotes({
      ...base,
      mode: 'cursor',
      newerNotRead: true,
      nextCursor: `${T2}/1`,
      omitted: { lines: 5, bytes: 100, side: 'newer' },
    });
    assert.deepEqual(notes, [
      `5 later line(s) (100 bytes) left out to fit max_bytes; call again with cursor "${T2}/1" to continue.`,
    ]);
  });

  test('grep says how much it searched and how to search further back', () => {
    const notes = logNotes({
      ...base,
      returned: 2,
      scanned: 100,
      grep: { matched: 2, stoppedEarly: false },
      olderNotRead: true,
    });
    assert.deepEqual(notes, [
      'grep matched 2 of 100 line(s) read.',
      'grep searched only the last 100 line(s); raise tail_lines (max 5000) or use since_seconds to search further back.',
    ]);
  });

  test('an empty answer says why', () => {
    assert.deepEqual(logNotes({ ...base, returned: 0, scanned: 0, since: 'in the last 60 s' }), [
      'The log has no lines in the last 60 s.',
    ]);
    assert.deepEqual(logNotes({ ...base, mode: 'cursor', returned: 0, scanned: 0 }), [
      'No new lines after the cursor yet; call again later with the same cursor.',
    ]);
  });

  test('a cursor the bounded read could not reach says what to do instead', () => {
    assert.deepEqual(logNotes({ ...base, mode: 'cursor', returned: 0, scanned: 0, cursorOutOfReach: true }), [
      'The log grows faster than one bounded read reaches past this cursor; read the newest lines without cursor, or narrow with since_seconds.',
    ]);
  });

  test('cut lines are reported', () => {
    assert.deepEqual(logNotes({ ...base, cutLines: 2 }), ['2 line(s) longer than 4096 bytes were cut.']);
  });
});

describe('buildLogAnswer', () => {
  const stamp = (index: number) => `2026-03-01T10:00:${String(index).padStart(2, '0')}Z`;
  const lines = parseLogText(
    Array.from({ length: 10 }, (_, index) => `${stamp(index)} line-${index}\n`).join(''),
    false,
  );
  const options = { maxBytes: 30, timestamps: false, lineCapBytes: 4096 };

  test('a tail keeps the newest, continues after the newest line read, and can re-read what it left out', () => {
    const answer = buildLogAnswer({ lines, window: lines, olderNotRead: false, newerNotRead: false }, options);
    assert.deepEqual(answer.lines, ['line-6', 'line-7', 'line-8', 'line-9']);
    assert.equal(answer.next_cursor, `${stamp(9)}/1`);
    assert.equal(answer.more_before, true);
    assert.equal(answer.more_after, false);
    assert.deepEqual(answer.truncated, {
      omitted_lines: 6,
      omitted_bytes: 42,
      side: 'older',
      earlier_cursor: `${stamp(0)}/0`,
    });
    const earlier = decodeLogCursor(answer.truncated?.earlier_cursor ?? '');
    assert.ok(earlier);
    assert.equal(linesAfter(lines, earlier)[0]?.text, 'line-0');
  });

  test('reading forward keeps the oldest and continues after the last line returned', () => {
    const cursor = decodeLogCursor(`${stamp(1)}/1`);
    assert.ok(cursor);
    const window = linesAfter(lines, cursor);
    const answer = buildLogAnswer({ lines, window, olderNotRead: false, newerNotRead: false }, { ...options, cursor });
    assert.deepEqual(answer.lines, ['line-2', 'line-3', 'line-4', 'line-5']);
    assert.equal(answer.next_cursor, `${stamp(5)}/1`);
    assert.equal(answer.more_after, true);
    assert.equal(answer.truncated?.side, 'newer');
    assert.equal(answer.truncated?.earlier_cursor, undefined);
  });

  test('reading forward with nothing new gives the same cursor back', () => {
    const cursor = decodeLogCursor(`${stamp(9)}/1`);
    assert.ok(cursor);
    const answer = buildLogAnswer(
      { lines, window: [], olderNotRead: false, newerNotRead: false },
      { ...options, cursor },
    );
    assert.deepEqual(answer.lines, []);
    assert.equal(answer.next_cursor, `${stamp(9)}/1`);
  });

  test('grep in a tail still moves the cursor past lines that did not match', () => {
    const answer = buildLogAnswer(
      { lines, window: lines, olderNotRead: true, newerNotRead: false },
      { ...options, grep: /line-[23]$/ },
    );
    assert.deepEqual(answer.lines, ['line-2', 'line-3']);
    assert.equal(answer.matched_lines, 2);
    assert.equal(answer.scanned_lines, 10);
    assert.equal(answer.next_cursor, `${stamp(9)}/1`);
  });

  test('a line bigger than the whole budget is cut rather than blocking the reader', () => {
    const huge = parseLogText(`${stamp(0)} ${'y'.repeat(5000)}\n${stamp(1)} next\n`, false);
    const cursor = decodeLogCursor(`${stamp(0)}/0`);
    assert.ok(cursor);
    const answer = buildLogAnswer(
      { lines: huge, window: huge, olderNotRead: false, newerNotRead: false },
      { maxBytes: 512, timestamps: false, lineCapBytes: 4096, cursor },
    );
    assert.equal(answer.lines.length, 1);
    assert.match(answer.lines[0] ?? '', /^y+ … \[line cut: \d+ more bytes\]$/);
    assert.ok(Buffer.byteLength(JSON.stringify(answer.lines)) <= 512);
    assert.equal(answer.next_cursor, `${stamp(0)}/1`);
    assert.equal(answer.long_lines_cut, 1);
  });
});

describe('describeLogError', () => {
  const badRequest = (message: string) => ({ code: 400, body: JSON.stringify({ kind: 'Status', message }) });

  test('a container that is not running says where to find out why', () => {
    const failure = describeLogError(
      badRequest('container "app" in pod "web-1" is waiting to start: ContainerCreating'),
      { pod: 'web-1', container: 'app', previous: false },
    );
    assert.equal(failure.kind, 'invalid');
    assert.equal(
      failure.message,
      'Kubernetes could not return the log of container app in pod web-1: container "app" in pod "web-1" is waiting to start: ContainerCreating. If the container has not started, diagnose says why.',
    );
  });

  test('a previous log the kubelet no longer has says to read the current one', () => {
    const failure = describeLogError(badRequest('previous terminated container "app" in pod "web-1" not found'), {
      pod: 'web-1',
      container: 'app',
      previous: true,
    });
    assert.equal(failure.kind, 'not-found');
    assert.match(
      failure.message,
      /^The kubelet has no previous log for container app of pod web-1 \(previous terminated container .*\)\. Omit previous to read the current log\.$/,
    );
  });

  test('a log line the kubelet could not parse is not repeated from its error (it may hold anything)', () => {
    for (const code of [400, 500]) {
      const failure = describeLogError(
        {
          code,
          body: JSON.stringify({
            kind: 'Status',
            message: 'failed to get parse function: unsupported log format: "MIIEvQIBADANBgh40b6Qm2Inf08w7iDV3\\n"',
          }),
        },
        { pod: 'web-1', container: 'app', previous: false },
      );
      assert.doesNotMatch(failure.message, /MIIEvQ|h40b6Qm2/);
      assert.match(failure.message, /unsupported log format \(the line itself is not repeated\)/);
    }
  });

  test('anything else keeps the general wording', () => {
    assert.equal(
      describeLogError({ code: 404 }, { pod: 'web-1', container: 'app', previous: false }).kind,
      'not-found',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(describeLogError(refused, { pod: 'web-1', container: 'app', previous: false }).kind, 'unreachable');
  });
});

test('a log line is redacted before it is cut to the line cap', () => {
  const secret = 'Zq7xW2vLp9Rk4Tn8Hc3M';
  const credential = `postgres://app:${secret}@db.shop.svc:5432/orders`;
  for (let shift = 0; shift < 48; shift++) {
    const line = `${'w'.repeat(256 - 44 + shift)} ${credential} and more text after it`;
    const lines = parseLogText(log([T1, line]), false);
    const selection = selectLines(lines, { maxBytes: 4096, keep: 'newest', lineCapBytes: 256, timestamps: false });
    assertNoSecretFragment(selection.texts.join('\n'), secret);
  }
});

describe('secrets that span lines', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().trimEnd().split('\n');
  const body = pem.filter((line) => !line.startsWith('-----'));
  const stamp = (index: number) => `2026-03-01T10:01:${String(index).padStart(2, '0')}Z`;
  const keyLog = parseLogText(
    ['loading key', ...pem, 'key loaded'].map((text, index) => `${stamp(index)} ${text}\n`).join(''),
    false,
  );
  const options = { maxBytes: 64 * 1024, timestamps: false, lineCapBytes: 4096 };
  const assertNoBody = (shown: readonly string[]) => {
    for (const line of body) assert.ok(!shown.some((text) => text.includes(line)), `body line shown: ${line}`);
  };

  test('a grep for part of a private key body line finds nothing', () => {
    for (const line of body.slice(0, 3)) {
      const grep = compileGrep(line.slice(10, 20).replace(/[+/]/g, '\\$&'), true) as RegExp;
      const answer = buildLogAnswer(
        { lines: keyLog, window: keyLog, olderNotRead: false, newerNotRead: false },
        {
          ...options,
          grep,
        },
      );
      assert.deepEqual(answer.lines, [], `grep ${grep} matched a key line`);
      assert.equal(answer.matched_lines, 0);
    }
  });

  test('a tail of the last lines of a key, its header left out, shows no body line', () => {
    const lastThree = keyLog.slice(-4, -1);
    assert.ok(lastThree.at(-1)?.text.startsWith('-----END'));
    // The header read but outside the window, and the header never read at all.
    for (const read of [
      { lines: keyLog, window: lastThree },
      { lines: lastThree, window: lastThree },
    ]) {
      const answer = buildLogAnswer({ ...read, olderNotRead: true, newerNotRead: false }, options);
      assert.equal(answer.lines.length, 3, 'every line keeps its place');
      assertNoBody(answer.lines);
    }
    assertNoBody(selectLines(redactLogLines(lastThree), { ...options, keep: 'newest' }).texts);
  });

  test('a grep for the value of a YAML block scalar under a credential name finds nothing', () => {
    const yaml = parseLogText(
      log([T1, 'config:'], [T2, '  password: |'], [T3, '    hunter2xyzSecret'], [T3, '  user: app']),
      false,
    );
    const grep = compileGrep('hunter2', false) as RegExp;
    const answer = buildLogAnswer(
      { lines: yaml, window: yaml, olderNotRead: false, newerNotRead: false },
      {
        ...options,
        grep,
      },
    );
    assert.deepEqual(answer.lines, []);
    const since = yaml.slice(2);
    const tail = buildLogAnswer({ lines: yaml, window: since, olderNotRead: false, newerNotRead: false }, options);
    assert.ok(!tail.lines.join('\n').includes('hunter2'), tail.lines.join('\n'));
    assert.equal(tail.lines.at(-1), 'user: app'.padStart(11));
  });

  test('grep uses the redactor it is given, so a secret the sidecar knows is not found either', () => {
    const token = 'eyKnownSidecarToken0123';
    const lines = parseLogText(log([T1, `calling with ${token}`]), false);
    const redact = (text: string) => text.replaceAll(token, '[REDACTED]');
    const answer = buildLogAnswer(
      { lines, window: lines, olderNotRead: false, newerNotRead: false },
      {
        ...options,
        grep: compileGrep('KnownSidecar', true) as RegExp,
        redact,
      },
    );
    assert.deepEqual(answer.lines, []);
    assert.equal(grepLines(lines, /KnownSidecar/, true, 2_000, redact).matched.length, 0);
  });
});
