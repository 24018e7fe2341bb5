/**
 * The import checks on planted fixtures: each rule fires on a violation written here, at the right file and
 * line, and stays quiet on the import the rule allows, so the repository-wide test cannot pass by checking
 * nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REPO } from './install.ts';
import {
  clientLibraryFindings,
  cycleFindings,
  INJECTOR_LAYERS,
  LAYER_TABLES,
  layerFindings,
  MCP_SDK_IMPORTERS,
  mcpSdkFindings,
  memberOf,
  PACKAGE_DIRECTION,
  packageFindings,
  rankOf,
  readRootCode,
  rootMcpSdkFindings,
  SIDECAR_LAYERS,
} from './layer-rules.ts';
import { importsOf, resolveSpecifier, type SourceFile } from './source-graph.ts';

const file = (pkg: string, path: string, text: string): SourceFile => ({ pkg, path, text });

test('importsOf finds static, type-only, re-exported, dynamic and typeof-import specifiers with their lines', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    "export { c } from './c.ts';",
    'const d = await import("./d.ts");',
    "type E = typeof import('./e.ts');",
    "import 'node:fs';",
  ].join('\n');
  assert.deepEqual(importsOf('x.ts', text), [
    { specifier: './a.ts', line: 1 },
    { specifier: '../b.ts', line: 2 },
    { specifier: './c.ts', line: 3 },
    { specifier: './d.ts', line: 4 },
    { specifier: './e.ts', line: 5 },
    { specifier: 'node:fs', line: 6 },
  ]);
});

test('resolveSpecifier tells files of the package, other packages, escapes and the outside apart', () => {
  assert.deepEqual(resolveSpecifier('sidecar', 'tools/diagnose.ts', '../format/age.ts'), {
    kind: 'file',
    path: 'format/age.ts',
  });
  assert.deepEqual(resolveSpecifier('sidecar', 'index.ts', '@podmcp/core'), { kind: 'package', pkg: 'core' });
  assert.deepEqual(resolveSpecifier('sidecar', 'sidecar.ts', '../package.json'), { kind: 'external' });
  assert.deepEqual(resolveSpecifier('sidecar', 'tools/x.ts', '../../../injector/src/decide.ts'), {
    kind: 'escape',
    path: 'packages/injector/src/decide.ts',
  });
  assert.deepEqual(resolveSpecifier('sidecar', 'index.ts', 'zod'), { kind: 'external' });
});

test('package direction: a planted import of a package above, an escape into another package and a self-import are reported with file:line', () => {
  const findings = packageFindings([
    file('core', 'settings.ts', "import type { X } from './x.ts';\nimport { createSidecar } from '@podmcp/sidecar';"),
    file('sidecar', 'tools/x.ts', "import { decide } from '../../../injector/src/decide.ts';"),
    file('injector', 'patch.ts', "import { parse } from '@podmcp/injector';"),
    file('sidecar', 'serve.ts', "import { a } from '@podmcp/core';\nimport { b } from '@podmcp/injector';"),
  ]);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    [
      'packages/core/src/settings.ts:2',
      'packages/sidecar/src/tools/x.ts:1',
      'packages/injector/src/patch.ts:1',
      'packages/sidecar/src/serve.ts:2',
    ],
  );
  assert.match(findings[0]?.rule ?? '', /core imports @podmcp\/sidecar, against the package direction/);
  assert.match(findings[1]?.rule ?? '', /outside its package's src\//);
  assert.match(findings[2]?.rule ?? '', /its own package by name/);
  assert.match(findings[3]?.rule ?? '', /sidecar may import core\)/);
});

test('package direction allows cli → {injector, sidecar} → core and a package reading its own package.json', () => {
  assert.deepEqual(
    packageFindings([
      file('cli', 'main.ts', "import '@podmcp/injector';\nimport '@podmcp/sidecar';\nimport '@podmcp/core';"),
      file('sidecar', 'sidecar.ts', "import packageJson from '../package.json' with { type: 'json' };"),
      file('injector', 'decide.ts', "import { parseAnnotations } from '@podmcp/core';"),
    ]),
    [],
  );
  assert.deepEqual(PACKAGE_DIRECTION.core, []);
});

test('sidecar layers: a planted upward import (kube/ → format/) is reported with file:line and both ranks', () => {
  const findings = layerFindings(
    [
      file(
        'sidecar',
        'kube/workloads.ts',
        "import type { Pod } from './pod.ts';\nimport { age } from '../format/age.ts';",
      ),
    ],
    SIDECAR_LAYERS,
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.at, 'packages/sidecar/src/kube/workloads.ts:2');
  assert.match(findings[0]?.rule ?? '', /kube\/ \(rank 9\) imports format\/age\.ts \(format\/, rank 8\)/);
});

test('sidecar layers: imports down the table, within a folder and within a rank pass', () => {
  const files = [
    file(
      'sidecar',
      'tools/diagnose.ts',
      "import '../diagnosis/run.ts';\nimport '../format/age.ts';\nimport './definition.ts';",
    ),
    file('sidecar', 'mcp/server.ts', "import '../gate/compose.ts';\nimport '../caller.ts';"),
    file('sidecar', 'serve.ts', "import './sidecar.ts';\nimport './transport/http.ts';"),
  ];
  assert.deepEqual(layerFindings(files, SIDECAR_LAYERS), []);
});

test('sidecar layers: a file the table does not place is reported, so a new module must be given a rank', () => {
  const findings = layerFindings([file('sidecar', 'mystery/thing.ts', '')], SIDECAR_LAYERS);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    ['packages/sidecar/src/mystery/thing.ts:1'],
  );
  assert.match(findings[0]?.rule ?? '', /mystery\/ has no rank in the sidecar layer table/);
});

test('sidecar layers: an import of a file no member holds is reported, not skipped', () => {
  const findings = layerFindings(
    [file('sidecar', 'tools/x.ts', "import './definition.ts';\nimport '../mystery/gone.ts';")],
    SIDECAR_LAYERS,
  );
  assert.deepEqual(
    findings.map((finding) => finding.at),
    ['packages/sidecar/src/tools/x.ts:2'],
  );
  assert.match(findings[0]?.rule ?? '', /imports mystery\/gone\.ts, which is no file the sidecar layer table places/);
});

test('MCP SDK: planted imports outside mcp/ and connect/ are reported with file:line, transport/ included', () => {
  const findings = mcpSdkFindings([
    file(
      'sidecar',
      'tools/x.ts',
      "import './definition.ts';\nimport type { Tool } from '@modelcontextprotocol/server';",
    ),
    file('sidecar', 'serve.ts', "import { Server } from '@modelcontextprotocol/server';"),
    file('sidecar', 'transport/stdio.ts', "import { serveStdio } from '@modelcontextprotocol/server/stdio';"),
    file('sidecar', 'transport/mcp-routes.ts', "import { toNodeHandler } from '@modelcontextprotocol/node';"),
    file('core', 'tools.ts', "import '@modelcontextprotocol/core';"),
    file('cli', 'main.ts', "import '@modelcontextprotocol/client';"),
  ]);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    [
      'packages/sidecar/src/tools/x.ts:2',
      'packages/sidecar/src/serve.ts:1',
      'packages/sidecar/src/transport/stdio.ts:1',
      'packages/sidecar/src/transport/mcp-routes.ts:1',
      'packages/core/src/tools.ts:1',
      'packages/cli/src/main.ts:1',
    ],
  );
  assert.match(
    findings[2]?.rule ?? '',
    /imports @modelcontextprotocol\/server\/stdio; in sidecar, only mcp\/ may import/,
  );
  assert.match(findings[4]?.rule ?? '', /in core, no module may import the MCP SDK/);
});

test('MCP SDK: mcp/ (wire/ included) and connect/ may import it; transport/ may import what wraps it', () => {
  const findings = mcpSdkFindings([
    file('sidecar', 'mcp/server.ts', "import { Server } from '@modelcontextprotocol/server';"),
    file('sidecar', 'mcp/wire/stdio.ts', "import { serveStdio } from '@modelcontextprotocol/server/stdio';"),
    file('sidecar', 'mcp/wire/http.ts', "import { toNodeHandler } from '@modelcontextprotocol/node';"),
    file('sidecar', 'transport/stdio.ts', "import { serveStdioConnection } from '../mcp/wire/stdio.ts';"),
    file('sidecar', 'serve.ts', "import { createMcpServer } from './mcp/server.ts';"),
    file('cli', 'connect/bridge.ts', "import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';"),
    file('cli', 'connect/stdio-framing.ts', "import { ReadBuffer } from '@modelcontextprotocol/client';"),
  ]);
  assert.deepEqual(findings, []);
  assert.deepEqual(MCP_SDK_IMPORTERS.core, []);
  assert.deepEqual(MCP_SDK_IMPORTERS.sidecar, ['mcp/']);
});

test('MCP SDK outside the packages: the v2 client passes; the root copies of server and the v1 SDK are reported', () => {
  const findings = rootMcpSdkFindings([
    {
      path: 'test/e2e/x.test.ts',
      text: [
        "import { Client } from '@modelcontextprotocol/client';",
        "import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';",
        "import { Server } from '@modelcontextprotocol/server';",
        "import { Client as Old } from '@modelcontextprotocol/sdk/client/index.js';",
      ].join('\n'),
    },
    { path: 'bench/sidecar/y.ts', text: "import type { ServerContext } from '@modelcontextprotocol/core';" },
  ]);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    ['test/e2e/x.test.ts:3', 'test/e2e/x.test.ts:4', 'bench/sidecar/y.ts:1'],
  );
  assert.match(findings[0]?.rule ?? '', /only @modelcontextprotocol\/client may be imported/);
});

test("MCP SDK outside the packages: the repository's tests, benchmarks and examples import only the v2 client", () => {
  const files = readRootCode(REPO);
  assert.ok(files.some((file) => file.path === 'test/e2e/sidecar/fixture.ts'));
  assert.ok(files.some((file) => file.path.startsWith('examples/')));
  const findings = rootMcpSdkFindings(files);
  assert.deepEqual(
    findings.map((finding) => `${finding.at}: ${finding.rule}`),
    [],
  );
});

test('the sidecar table is the one the project agreed: context.ts between actions and format, neutral leaves last', () => {
  assert.equal(rankOf(SIDECAR_LAYERS, 'index.ts'), 0);
  assert.equal(rankOf(SIDECAR_LAYERS, 'mcp/server.ts'), 2);
  assert.equal(rankOf(SIDECAR_LAYERS, 'gate/compose.ts'), 2);
  assert.equal(rankOf(SIDECAR_LAYERS, 'tools/diagnose.ts'), 5);
  assert.equal(rankOf(SIDECAR_LAYERS, 'diagnosis/rules/probe.ts'), 6);
  assert.equal(rankOf(SIDECAR_LAYERS, 'context.ts'), 7);
  assert.equal(rankOf(SIDECAR_LAYERS, 'format/age.ts'), 8);
  assert.equal(rankOf(SIDECAR_LAYERS, 'kube/errors.ts'), 9);
  assert.equal(rankOf(SIDECAR_LAYERS, 'caller.ts'), 11);
  assert.equal(memberOf('diagnosis/rules/probe.ts'), 'diagnosis/');
  for (const table of LAYER_TABLES) {
    const members = table.ranks.flat();
    assert.equal(new Set(members).size, members.length, `${table.pkg}: a member placed twice`);
  }
});

test('client library: value imports outside kube/ are reported with file:line; types, kube/ and serve.ts pass', () => {
  const findings = clientLibraryFindings([
    file('sidecar', 'tools/x.ts', "import { CoreV1Api } from '@kubernetes/client-node';"),
    file(
      'sidecar',
      'actions/y.ts',
      "import type { V1Pod } from '@kubernetes/client-node';\nimport { type V1Job, dumpYaml } from '@kubernetes/client-node';",
    ),
    file(
      'sidecar',
      'format/z.ts',
      "const m = await import('@kubernetes/client-node/dist/gen/models/ObjectSerializer.js');",
    ),
    file(
      'sidecar',
      'resources/w.ts',
      "export { Watch } from '@kubernetes/client-node';\nimport '@kubernetes/client-node';",
    ),
    file(
      'sidecar',
      'diagnosis/ok.ts',
      "import type { V1Pod } from '@kubernetes/client-node';\nimport { type V1Job } from '@kubernetes/client-node';\nexport type { V1Pod } from '@kubernetes/client-node';\ntype L = typeof import('@kubernetes/client-node');",
    ),
    file('sidecar', 'kube/gateway.ts', "import { CoreV1Api } from '@kubernetes/client-node';"),
    file('sidecar', 'serve.ts', "import { KubeConfig } from '@kubernetes/client-node';"),
    file('injector', 'events.ts', "import { CoreV1Api } from '@kubernetes/client-node';"),
  ]);
  assert.deepEqual(
    findings.map((finding) => finding.at),
    [
      'packages/sidecar/src/tools/x.ts:1',
      'packages/sidecar/src/actions/y.ts:2',
      'packages/sidecar/src/format/z.ts:1',
      'packages/sidecar/src/resources/w.ts:1',
      'packages/sidecar/src/resources/w.ts:2',
    ],
  );
  assert.match(findings[0]?.rule ?? '', /outside kube\/: call the gateway/);
});

test('injector layers: the decision may not import the sidecar container it feeds (the old decide ↔ sidecar circle)', () => {
  const findings = layerFindings(
    [
      file('injector', 'decide.ts', "import { SIDECAR_CONTAINER_NAME } from './sidecar.ts';"),
      file('injector', 'sidecar.ts', "import type { InjectionPlan } from './decide.ts';"),
      file('injector', 'patch.ts', "import './sidecar.ts';\nimport './decide.ts';\nimport './config.ts';"),
    ],
    INJECTOR_LAYERS,
  );
  assert.deepEqual(
    findings.map((finding) => finding.at),
    ['packages/injector/src/decide.ts:1'],
  );
});

test('cycles: a planted circle between files and one between folders are reported with the path around', () => {
  const findings = cycleFindings([
    file('injector', 'decide.ts', "import './sidecar.ts';"),
    file('injector', 'sidecar.ts', "import './config.ts';\nimport './decide.ts';"),
    file('injector', 'config.ts', ''),
    file('sidecar', 'tools/a.ts', "import '../format/b.ts';"),
    file('sidecar', 'format/b.ts', ''),
    file('sidecar', 'format/c.ts', "import '../tools/d.ts';"),
    file('sidecar', 'tools/d.ts', ''),
  ]);
  assert.deepEqual(findings, [
    { at: 'packages/injector/src/decide.ts:1', rule: 'import cycle between files: decide.ts → sidecar.ts → decide.ts' },
    { at: 'packages/sidecar/src/format/c.ts:1', rule: 'import cycle between modules: format/ → tools/ → format/' },
  ]);
});

test('cycles: a one-way graph has none', () => {
  const findings = cycleFindings([
    file('cli', 'main.ts', "import './commands.ts';\nimport './command.ts';"),
    file('cli', 'commands.ts', "import './command.ts';\nimport './serve/command.ts';"),
    file('cli', 'command.ts', ''),
    file('cli', 'serve/command.ts', "import '../command.ts';"),
  ]);
  assert.deepEqual(findings, []);
});
