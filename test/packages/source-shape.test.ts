/**
 * The shape checks on planted fixtures: an 81-line function, a 601-line file and an `export *` in an index are
 * each reported at their file and line; the limits themselves and a written `long:` reason pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceFile } from './source-graph.ts';
import {
  exportStarFindings,
  lineCount,
  longFileFindings,
  longFunctionFindings,
  MAX_FILE_LINES,
  MAX_FUNCTION_LINES,
  shapeFindings,
  versionLiteralFindings,
} from './source-shape.ts';

const file = (path: string, text: string): SourceFile => ({ pkg: 'sidecar', path, text });

/** A function of exactly `lines` lines, from its first line to its closing brace. */
function functionOf(lines: number, head = 'export function big() {'): string {
  const body = Array.from({ length: lines - 2 }, (_, index) => `  const v${index} = ${index};`);
  return [head, ...body, '}'].join('\n');
}

test('a function over 80 lines is reported at its first line, by kind and name', () => {
  const text = `/** Does much. */\n${functionOf(MAX_FUNCTION_LINES + 1)}\n`;
  assert.deepEqual(longFunctionFindings(file('format/big.ts', text)), [
    {
      at: 'packages/sidecar/src/format/big.ts:2',
      rule: 'function big is 81 lines (over 80); split it, or say why not in a comment starting with "long:" on the line before it',
    },
  ]);
});

test('a function of exactly 80 lines passes', () => {
  assert.deepEqual(longFunctionFindings(file('format/big.ts', functionOf(MAX_FUNCTION_LINES))), []);
});

test('a "long:" comment with a reason on the line before lets a long function be; the bare word does not', () => {
  const reasoned = `// long: one table read top to bottom; split, its order is lost\n${functionOf(90)}`;
  assert.deepEqual(longFunctionFindings(file('a.ts', reasoned)), []);
  const blockReasoned = `/* long: the steps share one transaction */\n${functionOf(90)}`;
  assert.deepEqual(longFunctionFindings(file('a.ts', blockReasoned)), []);
  assert.equal(longFunctionFindings(file('a.ts', `// long:\n${functionOf(90)}`)).length, 1);
  assert.equal(longFunctionFindings(file('a.ts', `// long: why\n\n${functionOf(90)}`)).length, 1);
});

test('arrows, methods and an object literal inline handler count as functions', () => {
  const arrow = functionOf(85, 'export const handle = async (request: Request) => {');
  const method = `class A {\n${functionOf(85, '  run() {')}\n}`;
  const handler = `server.on({\n${functionOf(85, '  message: (data: string) => {')},\n});`;
  const objectMethod = `export const tool = {\n${functionOf(85, '  async run(args: unknown) {')},\n};`;
  const found = [arrow, method, handler, objectMethod].flatMap((text) =>
    longFunctionFindings(file('x.ts', text)).map((finding) => finding.rule.split(' is ')[0]),
  );
  assert.deepEqual(found, ['arrow handle', 'method run', 'arrow message', 'method run']);
});

test('a nested long function is reported along with the function that holds it', () => {
  const text = functionOf(100, 'export function outer() {').replace(
    '  const v0 = 0;',
    functionOf(85, '  const inner = () => {'),
  );
  const names = longFunctionFindings(file('x.ts', text)).map((finding) => finding.rule.split(' is ')[0]);
  assert.deepEqual(names, ['function outer', 'arrow inner']);
});

test('a file over 600 lines is reported; 600 lines pass', () => {
  const lines = (count: number) => `${Array.from({ length: count }, (_, index) => `// ${index}`).join('\n')}\n`;
  assert.equal(lineCount(lines(MAX_FILE_LINES)), MAX_FILE_LINES);
  assert.deepEqual(longFileFindings(file('format/diagnosis.ts', lines(MAX_FILE_LINES))), []);
  assert.deepEqual(longFileFindings(file('format/diagnosis.ts', lines(MAX_FILE_LINES + 1))), [
    {
      at: 'packages/sidecar/src/format/diagnosis.ts:1',
      rule: 'the file is 601 lines (over 600); split it along its jobs',
    },
  ]);
});

test('export * in an index is reported at its line; named re-exports and other files pass', () => {
  const text = "export { a } from './a.ts';\nexport * from './b.ts';\nexport * as c from './c.ts';\n";
  assert.deepEqual(exportStarFindings(file('index.ts', text)), [
    { at: 'packages/sidecar/src/index.ts:2', rule: 'export * in an index; name the exports' },
  ]);
  assert.equal(exportStarFindings(file('prompts/index.ts', text)).length, 1);
  assert.deepEqual(exportStarFindings(file('tools/catalog.ts', text)), []);
});

test('shapeFindings runs every shape check over every file', () => {
  const findings = shapeFindings([
    file('index.ts', "export * from './a.ts';\n"),
    file('a.ts', functionOf(81)),
    file('b.ts', 'export const ok = 1;\n'),
  ]);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    ['packages/sidecar/src/index.ts:1', 'packages/sidecar/src/a.ts:1'],
  );
});

test('a version written out in a string or template is reported; the same digits inside another number are not', () => {
  const text = [
    "export const SIDECAR_VERSION = '0.1.0';",
    'const image = `ghcr.io/podmcp/podmcp:0.1.0`;',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture is source text with a template in it
    'const tagged = `podmcp:${tag}-0.1.0`;',
    "const other = ['10.1.0', '0.1.01', '0.1.0.2'];",
    "const release = 'v0.1.0-rc';",
    "import packageJson from '../package.json' with { type: 'json' };",
  ].join('\n');
  assert.deepEqual(
    versionLiteralFindings(file('sidecar.ts', text), '0.1.0').map((finding) => finding.at),
    [
      'packages/sidecar/src/sidecar.ts:1',
      'packages/sidecar/src/sidecar.ts:2',
      'packages/sidecar/src/sidecar.ts:3',
      'packages/sidecar/src/sidecar.ts:5',
    ],
  );
  assert.match(
    versionLiteralFindings(file('a.ts', "'0.1.0'"), '0.1.0')[0]?.rule ?? '',
    /read it from the package's package.json/,
  );
  assert.deepEqual(versionLiteralFindings(file('a.ts', "const v = '0.2.0';"), '0.1.0'), []);
});
