import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCursor, encodeCursor } from '../src/cursor.ts';

const asPage = (parsed: unknown): { page: string } | undefined =>
  typeof parsed === 'object' && parsed !== null && 'page' in parsed && typeof parsed.page === 'string'
    ? { page: parsed.page }
    : undefined;

describe('cursor codec', () => {
  test('a cursor is base64url JSON and decodes to the value it encodes', () => {
    const cursor = encodeCursor({ page: 'eyJ2IjoibWV0YSJ9/+?', limit: 3 });
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(JSON.parse(Buffer.from(cursor, 'base64url').toString()), {
      page: 'eyJ2IjoibWV0YSJ9/+?',
      limit: 3,
    });
    assert.deepEqual(decodeCursor(cursor, asPage), { page: 'eyJ2IjoibWV0YSJ9/+?' });
  });

  test('what is not base64url JSON is no cursor', () => {
    for (const bad of ['', 'not a cursor', Buffer.from('{"page":').toString('base64url')]) {
      assert.equal(
        decodeCursor(bad, () => ({ accepted: true })),
        undefined,
        bad,
      );
    }
  });

  test("JSON that the tool's reader refuses is no cursor", () => {
    for (const value of [null, 42, 'page', { page: 7 }, {}]) {
      assert.equal(decodeCursor(Buffer.from(JSON.stringify(value)).toString('base64url'), asPage), undefined);
    }
  });
});
