import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { byteLength, RESULT_BUDGET_BYTES, truncateHead, truncateTail } from '../src/output/budget.ts';

const bytes = (text: string) => Buffer.byteLength(text);

describe('truncateHead', () => {
  test('within the budget: unchanged', () => {
    assert.deepEqual(truncateHead('hello', 5), { text: 'hello', truncated: false, omittedBytes: 0 });
    assert.deepEqual(truncateHead('', 0), { text: '', truncated: false, omittedBytes: 0 });
  });

  test('ASCII: exactly maxBytes kept, the rest counted', () => {
    assert.deepEqual(truncateHead('abcdefghij', 4), { text: 'abcd', truncated: true, omittedBytes: 6 });
  });

  test('never splits a multi-byte character', () => {
    // é is 2 bytes, 日 is 3, 🚀 is 4.
    assert.deepEqual(truncateHead('aé', 2), { text: 'a', truncated: true, omittedBytes: 2 });
    assert.deepEqual(truncateHead('日本', 4), { text: '日', truncated: true, omittedBytes: 3 });
    assert.deepEqual(truncateHead('日本', 5), { text: '日', truncated: true, omittedBytes: 3 });
    assert.deepEqual(truncateHead('🚀x', 3), { text: '', truncated: true, omittedBytes: 5 });
    assert.deepEqual(truncateHead('🚀x', 4), { text: '🚀', truncated: true, omittedBytes: 1 });
  });

  test('zero or negative budget keeps nothing', () => {
    assert.deepEqual(truncateHead('abc', 0), { text: '', truncated: true, omittedBytes: 3 });
    assert.deepEqual(truncateHead('abc', -5), { text: '', truncated: true, omittedBytes: 3 });
  });

  test('property: a prefix, within budget, no replacement characters, bytes add up', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 0, max: 200 }), (text, max) => {
        const result = truncateHead(text, max);
        assert.ok(bytes(result.text) <= Math.max(max, 0) || !result.truncated);
        assert.ok(text.startsWith(result.text));
        assert.ok(!result.text.includes('\uFFFD') || text.includes('\uFFFD'));
        assert.equal(bytes(result.text) + result.omittedBytes, bytes(text));
        assert.equal(result.truncated, bytes(text) > max);
        // Keeps as much as fits: the next character would not.
        if (result.truncated) {
          const next = text.slice(result.text.length).codePointAt(0);
          if (next !== undefined) assert.ok(bytes(result.text) + bytes(String.fromCodePoint(next)) > max);
        }
      }),
    );
  });
});

describe('truncateTail', () => {
  test('within the budget: unchanged', () => {
    assert.deepEqual(truncateTail('a\nb\n', 4), { text: 'a\nb\n', truncated: false, omittedBytes: 0 });
  });

  test('starts at the first whole line inside the budget', () => {
    assert.deepEqual(truncateTail('line one\nline two\nline three\n', 14), {
      text: 'line three\n',
      truncated: true,
      omittedBytes: 18,
    });
  });

  test('keeps a line that starts exactly at the cut', () => {
    assert.deepEqual(truncateTail('aaa\nbbb\nccc', 7), { text: 'bbb\nccc', truncated: true, omittedBytes: 4 });
    assert.deepEqual(truncateTail('aaa\nbbb\nccc\n', 8), { text: 'bbb\nccc\n', truncated: true, omittedBytes: 4 });
  });

  test('one long last line: its tail, rather than nothing', () => {
    assert.deepEqual(truncateTail('short\nabcdefghijklmnop', 5), { text: 'lmnop', truncated: true, omittedBytes: 17 });
  });

  test('never splits a multi-byte character', () => {
    assert.deepEqual(truncateTail('x日本', 4), { text: '本', truncated: true, omittedBytes: 4 });
    assert.deepEqual(truncateTail('🚀🚀', 5), { text: '🚀', truncated: true, omittedBytes: 4 });
    assert.deepEqual(truncateTail('é\n🚀', 5), { text: '🚀', truncated: true, omittedBytes: 3 });
  });

  test('zero budget keeps nothing', () => {
    assert.deepEqual(truncateTail('abc\n', 0), { text: '', truncated: true, omittedBytes: 4 });
  });

  test('property: a suffix, within budget, bytes add up, starts on a line when one fits', () => {
    const lines = fc
      .array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 12 })
      .map((parts) => parts.join('\n'));
    fc.assert(
      fc.property(lines, fc.integer({ min: 0, max: 120 }), (text, max) => {
        const result = truncateTail(text, max);
        assert.ok(text.endsWith(result.text));
        assert.ok(bytes(result.text) <= max || !result.truncated);
        assert.ok(!result.text.includes('\uFFFD') || text.includes('\uFFFD'));
        assert.equal(bytes(result.text) + result.omittedBytes, bytes(text));
        assert.equal(result.truncated, bytes(text) > max);
        if (!result.truncated) return;
        const before = text.slice(0, text.length - result.text.length);
        // Either the kept text starts a line, or no whole line fitted and the last line's tail is kept.
        const startsLine = before.endsWith('\n');
        const lastLine = !result.text.slice(0, -1).includes('\n');
        assert.ok(startsLine || lastLine, JSON.stringify({ text, max, kept: result.text }));
        // No whole line that fits was dropped.
        if (startsLine) {
          const previous = before.slice(0, -1).split('\n').at(-1) ?? '';
          assert.ok(bytes(previous) + 1 + bytes(result.text) > max, JSON.stringify({ text, max, kept: result.text }));
        }
      }),
    );
  });
});

describe('byteLength', () => {
  test('strings in UTF-8, values as JSON', () => {
    assert.equal(byteLength('日本'), 6);
    assert.equal(byteLength({ a: 'é' }), bytes('{"a":"é"}'));
    assert.equal(byteLength([1, 2]), 5);
  });

  test('the result budget is 24 KiB', () => {
    assert.equal(RESULT_BUDGET_BYTES, 24 * 1024);
  });
});
