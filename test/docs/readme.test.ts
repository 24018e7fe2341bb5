import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderDocument } from './sections.ts';

test('README generated sections are up to date (run `npm run docs` to refresh)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, renderDocument(readme));
});
