/**
 * The packages' sources as a graph: every TypeScript file under packages/<name>/src and each import it makes,
 * read with the TypeScript compiler's parser (static and dynamic imports, `export … from`, `import type`, and
 * `typeof import(…)` types). Type-only imports count: they tie modules together as much as value imports do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportRef {
  /** The text between the quotes. */
  readonly specifier: string;
  /** 1-based line of the import in its file. */
  readonly line: number;
}

export interface SourceFile {
  /** The package's folder name under packages/ (core, sidecar, …). */
  readonly pkg: string;
  /** The path under the package's src/, with forward slashes (e.g. tools/diagnose.ts). */
  readonly path: string;
  readonly text: string;
}

/** Where a specifier leads from a file: a file of the same package, another package, or outside (npm, node:). */
export type Target =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'package'; readonly pkg: string }
  | { readonly kind: 'escape'; readonly path: string }
  | { readonly kind: 'external' };

export function parse(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Every module specifier the file names, with its line. */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const source = parse(fileName, text);
  const found: ImportRef[] = [];
  const add = (literal: ts.Node) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const { line } = source.getLineAndCharacterOfPosition(literal.getStart(source));
    found.push({ specifier: literal.text, line: line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first) add(first);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Resolves a specifier written in `from` (a path under src/) of package `pkg`. */
export function resolveSpecifier(pkg: string, from: string, specifier: string): Target {
  const scoped = /^@podmcp\/([^/]+)/.exec(specifier);
  if (scoped?.[1]) return { kind: 'package', pkg: scoped[1] };
  if (!specifier.startsWith('.')) return { kind: 'external' };
  // Paths are worked out as if the package lived at /packages/<pkg>, so the result does not depend on the machine.
  const srcRoot = `/packages/${pkg}/src`;
  const absolute = resolve(srcRoot, dirname(from), specifier);
  const underSrc = relative(srcRoot, absolute).split(sep).join('/');
  if (!underSrc.startsWith('..')) return { kind: 'file', path: underSrc };
  const underPackage = relative(`/packages/${pkg}`, absolute).split(sep).join('/');
  // The package's own manifest (its version) is part of it; anything else outside src/ is not.
  if (underPackage === 'package.json') return { kind: 'external' };
  return { kind: 'escape', path: relative('/', absolute).split(sep).join('/') };
}

/** Every .ts file (not .d.ts) under packages/<pkg>/src for each package folder of the repository. */
export function readPackageSources(repoRoot: string): SourceFile[] {
  const packagesDir = join(repoRoot, 'packages');
  const files: SourceFile[] = [];
  for (const pkg of readdirSync(packagesDir).sort()) {
    const src = join(packagesDir, pkg, 'src');
    let entries: string[];
    try {
      entries = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
      files.push({ pkg, path: entry.split(sep).join('/'), text: readFileSync(join(src, entry), 'utf8') });
    }
  }
  return files;
}

/** `packages/<pkg>/src/<path>:<line>`, the form every finding is reported in. */
export function where(file: { pkg: string; path: string }, line: number): string {
  return `packages/${file.pkg}/src/${file.path}:${line}`;
}
