/**
 * The house rules on the repository's own sources (packages/<name>/src): imports flow one way between packages
 * and down each rank table, no import cycle, and the shape a newcomer can read. Each failure lists every
 * finding as `file:line: rule broken`; the checks themselves are proven on fixtures in layer-rules.test.ts
 * and source-shape.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './install.ts';
import {
  CLIENT_LIBRARY,
  clientLibraryFindings,
  cycleFindings,
  type Finding,
  INJECTOR_LAYERS,
  LAYER_TABLES,
  layerFindings,
  mcpSdkFindings,
  packageFindings,
  SIDECAR_LAYERS,
  staleMemberFindings,
} from './layer-rules.ts';
import { documentedRankFindings, gateStepsOf, readmeMapFindings } from './readme-maps.ts';
import { readPackageSources } from './source-graph.ts';
import { exportStarFindings, longFileFindings, longFunctionFindings, versionLiteralFindings } from './source-shape.ts';

const files = readPackageSources(REPO);

function assertNone(findings: readonly Finding[]): void {
  assert.ok(
    findings.length === 0,
    `${findings.length} finding(s):\n${findings.map((finding) => `${finding.at}: ${finding.rule}`).join('\n')}`,
  );
}

test('the sources are found: every package has some', () => {
  for (const pkg of ['core', 'injector', 'sidecar', 'cli', 'image']) {
    assert.ok(
      files.some((file) => file.pkg === pkg),
      `no source file found for ${pkg}`,
    );
  }
  assert.ok(files.length > 100, `only ${files.length} source files found`);
});

test('packages import each other only as cli → {injector, sidecar} → core (the image may use the CLI)', () => {
  assertNone(packageFindings(files));
});

for (const table of LAYER_TABLES) {
  test(`${table.pkg}: imports go only down its rank table, and the table names only what exists`, () => {
    assertNone([...layerFindings(files, table), ...staleMemberFindings(files, table)]);
  });
}

test(`sidecar: only kube/ (and serve.ts) use ${CLIENT_LIBRARY}; everywhere else imports only its types`, () => {
  assertNone(clientLibraryFindings(files));
});

test("only the sidecar's mcp/ and transport/ and the CLI's bridge import the MCP SDK", () => {
  assertNone(mcpSdkFindings(files));
});

test('no import cycle between files or modules in any package', () => {
  assertNone(cycleFindings(files));
});

test('no function over 80 lines unless the line before it says why, in a comment starting with long:', () => {
  assertNone(files.flatMap((file) => longFunctionFindings(file)));
});

test('no source file over 600 lines', () => {
  assertNone(files.flatMap((file) => longFileFindings(file)));
});

test('no export * in an index', () => {
  assertNone(files.flatMap((file) => exportStarFindings(file)));
});

test('no package version written out in its sources: each reads its package.json', () => {
  const versionOf = (pkg: string) =>
    (JSON.parse(readFileSync(join(REPO, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  assertNone(files.flatMap((file) => versionLiteralFindings(file, versionOf(file.pkg))));
});

test('each package README maps every top-level module of its src/ and names nothing that is gone', () => {
  const packages = [...new Set(files.map((file) => file.pkg))];
  assertNone(
    packages.flatMap((pkg) => {
      const readme = readFileSync(join(REPO, 'packages', pkg, 'README.md'), 'utf8');
      const paths = files.filter((file) => file.pkg === pkg).map((file) => file.path);
      return readmeMapFindings(pkg, readme, paths);
    }),
  );
});

test('the rank tables written in ARCHITECTURE.md and the injector README are the ones the layer test reads', () => {
  const architecture = readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8');
  const injectorReadme = readFileSync(join(REPO, 'packages/injector/README.md'), 'utf8');
  assertNone([
    ...documentedRankFindings('ARCHITECTURE.md', architecture, 'Sidecar layers', SIDECAR_LAYERS),
    ...documentedRankFindings('packages/injector/README.md', injectorReadme, 'Modules', INJECTOR_LAYERS),
  ]);
});

test('ARCHITECTURE.md and the sidecar README show the gate chain gate/pipeline.ts composes', () => {
  const steps = gateStepsOf(readFileSync(join(REPO, 'packages/sidecar/src/gate/pipeline.ts'), 'utf8'));
  assert.ok(steps.length > 5, `gate/pipeline.ts composes only ${steps.length} steps`);
  const chain = steps.join(' → ');
  for (const document of ['ARCHITECTURE.md', 'packages/sidecar/README.md']) {
    assert.ok(
      readFileSync(join(REPO, document), 'utf8').includes(chain),
      `${document} does not show the gate as: ${chain}`,
    );
  }
});
