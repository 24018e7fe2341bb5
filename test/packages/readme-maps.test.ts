/**
 * The README module-map check on planted fixtures: a named path that does not exist and a module the map
 * leaves out are each reported; globs, folders and several paths in one code span are understood.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namedPaths, readmeMapFindings } from './readme-maps.ts';

const paths = ['index.ts', 'serve.ts', 'tools/catalog.ts', 'tools/diagnose.ts', 'diagnosis/rules/probe.ts'];

test('namedPaths reads src/ paths in code spans, several to a span, with their lines', () => {
  const readme =
    'Intro\n| `src/serve.ts`, `src/tools/*.ts` | x |\nsee `src/index.ts, src/diagnosis/` and src/not-code.ts\n';
  assert.deepEqual(namedPaths(readme), [
    { path: 'serve.ts', line: 2 },
    { path: 'tools/*.ts', line: 2 },
    { path: 'index.ts', line: 3 },
    { path: 'diagnosis/', line: 3 },
  ]);
});

test('a map that names every module, by file, folder or glob, passes', () => {
  const readme = '`src/index.ts` `src/serve.ts` `src/tools/*.ts` `src/diagnosis/rules/`\n';
  assert.deepEqual(readmeMapFindings('sidecar', readme, paths), []);
});

test('a named path that does not exist is reported at its README line', () => {
  const readme = '`src/index.ts` `src/serve.ts` `src/tools/`\n`src/diagnosis/`\n`src/format/diagnosis.ts`\n';
  assert.deepEqual(readmeMapFindings('sidecar', readme, paths), [
    { at: 'packages/sidecar/README.md:3', rule: 'names src/format/diagnosis.ts, which does not exist' },
  ]);
});

test('a top-level module the map leaves out is reported', () => {
  const readme = '`src/index.ts` `src/tools/catalog.ts` `src/diagnosis/`\n';
  assert.deepEqual(readmeMapFindings('sidecar', readme, paths), [
    { at: 'packages/sidecar/README.md:1', rule: 'the module map does not name src/serve.ts' },
  ]);
});
