/**
 * The README module-map check on planted fixtures: a named path that does not exist and a module the map
 * leaves out are each reported; globs, folders and several paths in one code span are understood.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LayerTable, staleMemberFindings } from './layer-rules.ts';
import { documentedRankFindings, gateStepsOf, namedPaths, readmeMapFindings } from './readme-maps.ts';

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

const table: LayerTable = { pkg: 'sidecar', ranks: [['index.ts', 'serve.ts'], ['transport/', 'auth/'], ['kube/']] };

test('a documented rank table that says what the data says passes, with or without src/', () => {
  const doc = [
    '# Title',
    '## Layers',
    '| Rank | Modules | Job |',
    '| --- | --- | --- |',
    '| 0 | `serve.ts`, `index.ts` | entry |',
    '| 1 | `src/transport/`, `auth/` | edges, `not-a-member` in the job column |',
    '| 2 | `kube/` | gateway |',
    '## Next',
    '| 3 | `format/` | not in the section |',
  ].join('\n');
  assert.deepEqual(documentedRankFindings('ARCHITECTURE.md', doc, 'Layers', table), []);
});

test('a documented rank table that drifted from the data is reported at the row, rank by rank', () => {
  const doc = [
    '## Layers',
    '| 0 | `index.ts`, `serve.ts` | x |',
    '| 1 | `transport/` | x |',
    '| 2 | `kube/`, `self.ts` | x |',
  ];
  assert.deepEqual(documentedRankFindings('ARCHITECTURE.md', doc.join('\n'), 'Layers', table), [
    {
      at: 'ARCHITECTURE.md:3',
      rule: 'rank 1 of the sidecar table reads transport/; test/packages/layer-rules.ts has auth/, transport/',
    },
    {
      at: 'ARCHITECTURE.md:4',
      rule: 'rank 2 of the sidecar table reads kube/, self.ts; test/packages/layer-rules.ts has kube/',
    },
  ]);
  assert.match(documentedRankFindings('X.md', '# nothing', 'Layers', table)[0]?.rule ?? '', /no section "## Layers"/);
});

test('a member of the rank table with no file behind it is reported', () => {
  const files = [
    { pkg: 'sidecar', path: 'index.ts', text: '' },
    { pkg: 'sidecar', path: 'transport/http.ts', text: '' },
    { pkg: 'sidecar', path: 'auth/bearer.ts', text: '' },
    { pkg: 'sidecar', path: 'kube/errors.ts', text: '' },
  ];
  assert.deepEqual(staleMemberFindings(files, table), [
    {
      at: 'test/packages/layer-rules.ts',
      rule: 'the sidecar table names serve.ts at rank 0, which has no file in packages/sidecar/src',
    },
  ]);
});

test('gateStepsOf reads the composed steps in order, called or not', () => {
  const pipeline = [
    'export function createPipeline(services: Services) {',
    '  const x = other([nope]);',
    '  return compose([',
    '    audit(services.audit),',
    '    sanitise,',
    '    run(services.calls ?? processCalls),',
    '  ]);',
    '}',
  ].join('\n');
  assert.deepEqual(gateStepsOf(pipeline), ['audit', 'sanitise', 'run']);
  assert.deepEqual(gateStepsOf('export const nothing = 1;'), []);
});
