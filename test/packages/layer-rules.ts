/**
 * Which way imports may go, as data, and the checks that read it: the direction between packages, the rank
 * tables inside the sidecar and the injector, where the MCP SDK may be imported (in the packages, and which of
 * it the tests, benchmarks and examples may use), and no import cycle inside any package. Each check takes the
 * sources as plain values and returns findings (`file:line: rule broken`), so a test can feed it a fixture.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import ts from 'typescript';
import { importsOf, parse, resolveSpecifier, type SourceFile, where } from './source-graph.ts';

export interface Finding {
  readonly at: string;
  readonly rule: string;
}

/**
 * The packages each package may import by name. @podmcp/core is below every package; the image builds the
 * CLI, nothing imports the image.
 */
export const PACKAGE_DIRECTION: Readonly<Record<string, readonly string[]>> = {
  core: [],
  injector: ['core'],
  sidecar: ['core'],
  cli: ['core', 'injector', 'sidecar'],
  image: ['core', 'cli'],
};

/**
 * A package's modules by rank, the entry first: index 0 is rank 0, the top. A member is a file at the top of
 * src/ (`serve.ts`) or a folder (`tools/`, everything under it). A module imports only its own rank or below
 * (a greater rank number); within a rank, the cycle check keeps imports one-way.
 */
export interface LayerTable {
  readonly pkg: string;
  readonly ranks: ReadonlyArray<readonly string[]>;
}

export const SIDECAR_LAYERS: LayerTable = {
  pkg: 'sidecar',
  ranks: [
    /* 0 entry */ ['index.ts', 'serve.ts', 'sidecar.ts', 'health-server.ts', 'metrics.ts', 'docs.ts'],
    /* 1 */ ['transport/', 'auth/'],
    /* 2 mcp/ owns the MCP protocol (transport/ the SDK's transports); gate/ the named steps of the call gate */ [
      'mcp/',
      'gate/',
    ],
    /* 3 */ ['prompts/'],
    /* 4 */ ['resources/'],
    /* 5 */ ['tools/'],
    /* 6 */ ['actions/', 'diagnosis/', 'metrics-history/'],
    /* 7 */ ['context.ts'],
    /* 8 */ ['format/'],
    /* 9 */ ['kube/', 'app-endpoints.ts', 'self.ts'],
    /* 10 */ ['governance/', 'safety/', 'output/'],
    /* 11 neutral shared types and leaf helpers */ ['caller.ts', 'failure.ts', 'hints.ts', 'bounded-text.ts', 'jwt.ts'],
  ],
};

/**
 * The injector follows its data: the entry wires servers; the servers serve admission and certificates;
 * admission turns a pod into a patch; the patch carries the sidecar container; the container renders a
 * decision; the decision reads the annotations, the cluster's facts and the configuration.
 */
export const INJECTOR_LAYERS: LayerTable = {
  pkg: 'injector',
  ranks: [
    /* 0 entry and wiring */ ['index.ts', 'run-webhook.ts'],
    /* 1 servers, Events, the self-signed certificate lifecycle */ ['webhook-server.ts', 'events.ts', 'self-signed/'],
    /* 2 one review, the rendered manifests, serving certificate and metrics */ [
      'admission.ts',
      'manifests.ts',
      'serving-certificate.ts',
      'metrics.ts',
    ],
    /* 3 */ ['patch.ts'],
    /* 4 the sidecar container: image, env, volumes */ ['sidecar.ts'],
    /* 5 */ ['decide.ts'],
    /* 6 what the decision is told about the cluster */ ['cluster-facts.ts'],
    /* 7 leaves */ ['config.ts', 'certificates.ts'],
  ],
};

export const LAYER_TABLES: readonly LayerTable[] = [SIDECAR_LAYERS, INJECTOR_LAYERS];

/**
 * Where the MCP SDK (any package of the `@modelcontextprotocol` scope) may be imported, per package: a folder
 * (`mcp/`, everything under it) or one file. In the sidecar mcp/ owns the protocol: the server and its handlers,
 * and under mcp/wire/ the SDK's transports and serving entries for both eras; transport/ keeps the HTTP edge and
 * stdio framing and reaches the SDK only through what mcp/ exports. In the CLI connect/ relays messages between
 * an agent and a sidecar. Nothing else knows the SDK, so an upgrade of it is read in these places only.
 */
export const MCP_SDK_IMPORTERS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  injector: [],
  sidecar: ['mcp/'],
  cli: ['connect/'],
  image: [],
};

const MCP_SDK = /^@modelcontextprotocol\//;

/** The member a path belongs to: its top-level folder (`tools/`) or, at the top of src/, the file itself. */
export function memberOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash + 1);
}

export function rankOf(table: LayerTable, path: string): number | undefined {
  const member = memberOf(path);
  const rank = table.ranks.findIndex((members) => members.includes(member));
  return rank === -1 ? undefined : rank;
}

/** Imports between packages: only by name, only in PACKAGE_DIRECTION, never into another package's files. */
export function packageFindings(files: readonly SourceFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    const allowed = PACKAGE_DIRECTION[file.pkg];
    if (allowed === undefined) {
      findings.push({ at: where(file, 1), rule: `package ${file.pkg} has no place in PACKAGE_DIRECTION` });
      continue;
    }
    for (const ref of importsOfFile(file)) {
      const target = resolveSpecifier(file.pkg, file.path, ref.specifier);
      if (target.kind === 'escape') {
        findings.push({
          at: where(file, ref.line),
          rule: `imports ${target.path} outside its package's src/; import the package by its name`,
        });
      } else if (target.kind === 'package' && target.pkg === file.pkg) {
        findings.push({ at: where(file, ref.line), rule: `imports its own package by name; use a relative path` });
      } else if (target.kind === 'package' && !allowed.includes(target.pkg)) {
        const may = allowed.length === 0 ? 'no other package' : allowed.join(', ');
        findings.push({
          at: where(file, ref.line),
          rule: `${file.pkg} imports @podmcp/${target.pkg}, against the package direction (${file.pkg} may import ${may})`,
        });
      }
    }
  }
  return findings;
}

/** Imports inside one package against its rank table, and files the table does not place. */
export function layerFindings(files: readonly SourceFile[], table: LayerTable): Finding[] {
  const findings: Finding[] = [];
  for (const file of files.filter((candidate) => candidate.pkg === table.pkg)) {
    const from = rankOf(table, file.path);
    if (from === undefined) {
      findings.push({
        at: where(file, 1),
        rule: `${memberOf(file.path)} has no rank in the ${table.pkg} layer table; place it in test/packages/layer-rules.ts`,
      });
      continue;
    }
    for (const ref of importsOfFile(file)) {
      const target = resolveSpecifier(file.pkg, file.path, ref.specifier);
      if (target.kind !== 'file') continue;
      const to = rankOf(table, target.path);
      if (to === undefined) {
        // Every file of the package has a rank (else it is reported above): a target without one is no file.
        findings.push({
          at: where(file, ref.line),
          rule: `imports ${target.path}, which is no file the ${table.pkg} layer table places (moved or misspelt?)`,
        });
        continue;
      }
      if (allowedWithin(from, to)) continue;
      findings.push({
        at: where(file, ref.line),
        rule: `${memberOf(file.path)} (rank ${from}) imports ${target.path} (${memberOf(target.path)}, rank ${to}): imports go only down (to a greater rank) or within the rank`,
      });
    }
  }
  return findings;
}

/** Imports of the MCP SDK (`@modelcontextprotocol/*`) outside the places MCP_SDK_IMPORTERS names. */
export function mcpSdkFindings(files: readonly SourceFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    const allowed = MCP_SDK_IMPORTERS[file.pkg] ?? [];
    const may = allowed.some((place) => (place.endsWith('/') ? file.path.startsWith(place) : file.path === place));
    if (may) continue;
    for (const ref of importsOfFile(file)) {
      if (!MCP_SDK.test(ref.specifier)) continue;
      const places = allowed.length === 0 ? 'no module' : `only ${allowed.join(', ')}`;
      findings.push({
        at: where(file, ref.line),
        rule: `imports ${ref.specifier}; in ${file.pkg}, ${places} may import the MCP SDK (MCP_SDK_IMPORTERS)`,
      });
    }
  }
  return findings;
}

/** A file outside the packages, by its path from the repository root (test/e2e/x.test.ts). */
export interface RootFile {
  readonly path: string;
  readonly text: string;
}

/** Where code outside the packages lives: tests, benchmarks, examples. */
export const ROOT_CODE_DIRS = ['test', 'bench', 'examples'] as const;

const MCP_CLIENT = /^@modelcontextprotocol\/client(\/|$)/;
const MCP_TOOLS = /^@modelcontextprotocol\/(conformance|inspector)/;

/**
 * Outside the packages the MCP SDK is a client only (`@modelcontextprotocol/client` and its subpaths). The
 * root's other copies resolve but are not the project's: its `@modelcontextprotocol/server` is the Inspector's
 * own, older than the sidecar's, and the v1 `@modelcontextprotocol/sdk` comes with the conformance suites, so
 * a test importing either would quietly test against the wrong SDK. The conformance suites and the Inspector
 * are run as programs, never imported.
 */
export function rootMcpSdkFindings(files: readonly RootFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    for (const ref of importsOf(file.path, file.text)) {
      if (!MCP_SDK.test(ref.specifier) || MCP_CLIENT.test(ref.specifier) || MCP_TOOLS.test(ref.specifier)) continue;
      findings.push({
        at: `${file.path}:${ref.line}`,
        rule: `imports ${ref.specifier}; outside the packages only @modelcontextprotocol/client may be imported`,
      });
    }
  }
  return findings;
}

/** Every .ts file under ROOT_CODE_DIRS, node_modules left out. */
export function readRootCode(repoRoot: string): RootFile[] {
  const files: RootFile[] = [];
  for (const dir of ROOT_CODE_DIRS) {
    const entries = readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' });
    for (const entry of entries.sort()) {
      const path = `${dir}/${entry.split(sep).join('/')}`;
      if (!path.endsWith('.ts') || path.endsWith('.d.ts') || path.includes('/node_modules/')) continue;
      files.push({ path, text: readFileSync(join(repoRoot, path), 'utf8') });
    }
  }
  return files;
}

/**
 * The Kubernetes client library is the sidecar's gateway's business: kube/ (and serve.ts, which sets up the
 * connection) may use it; everywhere else in the sidecar it may lend its types only, so every request goes
 * through kube/ and how requests are sent can change in one place.
 */
export const CLIENT_LIBRARY = '@kubernetes/client-node';
export const CLIENT_LIBRARY_USERS: readonly string[] = ['kube/', 'serve.ts'];

export function clientLibraryFindings(files: readonly SourceFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files.filter((candidate) => candidate.pkg === 'sidecar')) {
    if (CLIENT_LIBRARY_USERS.includes(memberOf(file.path))) continue;
    for (const line of valueImportLines(file, CLIENT_LIBRARY)) {
      findings.push({
        at: where(file, line),
        rule: `imports values from ${CLIENT_LIBRARY} outside kube/: call the gateway (kube/namespaced-kube.ts) and import only types`,
      });
    }
  }
  return findings;
}

/** Lines where `file` takes more than types from `library` (or one of its subpaths). */
function valueImportLines(file: SourceFile, library: string): number[] {
  const source = parse(file.path, file.text);
  const lines: number[] = [];
  const isLibrary = (node: ts.Expression | undefined) =>
    node !== undefined &&
    ts.isStringLiteralLike(node) &&
    (node.text === library || node.text.startsWith(`${library}/`));
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && isLibrary(node.moduleSpecifier) && !typeOnlyImport(node)) {
      lines.push(lineOf(node));
    } else if (ts.isExportDeclaration(node) && isLibrary(node.moduleSpecifier) && !typeOnlyExport(node)) {
      lines.push(lineOf(node));
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      isLibrary(node.arguments[0])
    ) {
      lines.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

function typeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // imported for its side effects
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.every((item) => item.isTypeOnly);
}

function typeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.every((item) => item.isTypeOnly);
}

/** Members the table names that match no file: a table that still names what is gone misleads its reader. */
export function staleMemberFindings(files: readonly SourceFile[], table: LayerTable): Finding[] {
  const present = new Set(files.filter((file) => file.pkg === table.pkg).map((file) => memberOf(file.path)));
  return table.ranks.flatMap((members, rank) =>
    members
      .filter((member) => !present.has(member))
      .map((member) => ({
        at: 'test/packages/layer-rules.ts',
        rule: `the ${table.pkg} table names ${member} at rank ${rank}, which has no file in packages/${table.pkg}/src`,
      })),
  );
}

function allowedWithin(fromRank: number, toRank: number): boolean {
  return toRank >= fromRank;
}

/**
 * Import cycles inside each package, between files and between members (folders and top-level files):
 * imports flow one way, so a module can be read without reading what reads it.
 */
export function cycleFindings(files: readonly SourceFile[]): Finding[] {
  const findings: Finding[] = [];
  const packages = [...new Set(files.map((file) => file.pkg))];
  for (const pkg of packages) {
    const own = files.filter((file) => file.pkg === pkg);
    const known = new Set(own.map((file) => file.path));
    const fileEdges: Edge[] = [];
    for (const file of own) {
      for (const ref of importsOfFile(file)) {
        const target = resolveSpecifier(pkg, file.path, ref.specifier);
        if (target.kind === 'file' && known.has(target.path)) {
          fileEdges.push({ from: file.path, to: target.path, at: where(file, ref.line) });
        }
      }
    }
    for (const cycle of cyclesOf(fileEdges)) {
      findings.push({ at: cycle.at, rule: `import cycle between files: ${cycle.path.join(' → ')}` });
    }
    const memberEdges = fileEdges
      .map((edge) => ({ from: memberOf(edge.from), to: memberOf(edge.to), at: edge.at }))
      .filter((edge) => edge.from !== edge.to);
    for (const cycle of cyclesOf(memberEdges)) {
      if (cycle.path.every((member) => !member.endsWith('/'))) continue; // already reported between files
      findings.push({ at: cycle.at, rule: `import cycle between modules: ${cycle.path.join(' → ')}` });
    }
  }
  return findings;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly at: string;
}

/** One cycle per strongly connected component, named by the path around it and the first import on it. */
function cyclesOf(edges: readonly Edge[]): Array<{ path: string[]; at: string }> {
  const next = new Map<string, Edge[]>();
  for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge]);
  const cycles: Array<{ path: string[]; at: string }> = [];
  for (const component of stronglyConnected(next)) {
    const [start] = [...component].sort();
    if (start === undefined) continue;
    const selfLoop = (next.get(start) ?? []).find((edge) => edge.to === start);
    if (component.size === 1 && !selfLoop) continue;
    const around = selfLoop ? [selfLoop] : pathBack(start, component, next);
    if (around.length === 0) continue;
    cycles.push({ path: [start, ...around.map((edge) => edge.to)], at: around[0]?.at ?? start });
  }
  return cycles.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** The shortest way from `start` back to itself inside its component. */
function pathBack(start: string, component: ReadonlySet<string>, next: ReadonlyMap<string, Edge[]>): Edge[] {
  const cameBy = new Map<string, Edge>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const edge of next.get(node) ?? []) {
      if (!component.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [edge];
        for (let at = node; at !== start; ) {
          const step = cameBy.get(at) as Edge;
          path.unshift(step);
          at = step.from;
        }
        return path;
      }
      if (cameBy.has(edge.to)) continue;
      cameBy.set(edge.to, edge);
      queue.push(edge.to);
    }
  }
  return [];
}

/** Tarjan's algorithm over the nodes that have outgoing edges (a node without any cannot be on a cycle). */
function stronglyConnected(next: ReadonlyMap<string, Edge[]>): Array<Set<string>> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: Array<Set<string>> = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const { to } of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) as number, index.get(to) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.add(member);
      if (member === node) break;
    }
    components.push(component);
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

const parsed = new WeakMap<SourceFile, ReturnType<typeof importsOf>>();

function importsOfFile(file: SourceFile) {
  let refs = parsed.get(file);
  if (!refs) {
    refs = importsOf(file.path, file.text);
    parsed.set(file, refs);
  }
  return refs;
}
