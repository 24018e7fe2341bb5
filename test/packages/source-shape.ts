/**
 * The shape a newcomer can read: no function over 80 lines (unless the line before it is a comment starting
 * with `long:` that says why), no source file over 600 lines, no `export *` in an index. Functions are counted
 * from their first line to their closing brace: declarations, expressions, arrows, methods, accessors and
 * constructors alike, so an object literal's inline handlers count too. And no package version written out in
 * a source file: it is read from package.json.
 */
import ts from 'typescript';
import type { Finding } from './layer-rules.ts';
import { parse, type SourceFile, where } from './source-graph.ts';

export const MAX_FUNCTION_LINES = 80;
export const MAX_FILE_LINES = 600;

/** `// long: why` or `/* long: why`: the reason must be written, not just the word. */
const LONG_EXEMPTION = /^(\/\/|\/\*+)\s*long:\s*\S/;

export function longFunctionFindings(file: SourceFile, limit = MAX_FUNCTION_LINES): Finding[] {
  const source = parse(file.path, file.text);
  const lines = file.text.split('\n');
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = last - first + 1;
      const before = (lines[first - 1] ?? '').trim();
      if (length > limit && !LONG_EXEMPTION.test(before)) {
        findings.push({
          at: where(file, first + 1),
          rule: `${describe(node)} is ${length} lines (over ${limit}); split it, or say why not in a comment starting with "long:" on the line before it`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

export function longFileFindings(file: SourceFile, limit = MAX_FILE_LINES): Finding[] {
  const length = lineCount(file.text);
  if (length <= limit) return [];
  return [{ at: where(file, 1), rule: `the file is ${length} lines (over ${limit}); split it along its jobs` }];
}

/** An index names what it exports: `export * from` hands out whatever the module behind it grows. */
export function exportStarFindings(file: SourceFile): Finding[] {
  if (file.path !== 'index.ts' && !file.path.endsWith('/index.ts')) return [];
  const source = parse(file.path, file.text);
  const findings: Finding[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.exportClause) {
      const { line } = source.getLineAndCharacterOfPosition(statement.getStart(source));
      findings.push({ at: where(file, line + 1), rule: 'export * in an index; name the exports' });
    }
  }
  return findings;
}

/**
 * A package's version written out in its sources: each copy is one more place a release must edit, and the
 * one it forgets ships the old number. Read it from package.json instead.
 */
export function versionLiteralFindings(file: SourceFile, version: string): Finding[] {
  const source = parse(file.path, file.text);
  const pattern = new RegExp(`(^|[^\\d.])${version.replaceAll('.', '\\.')}($|[^\\d.])`);
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      if (pattern.test(node.text)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        findings.push({
          at: where(file, line + 1),
          rule: `the version ${version} is written out; read it from the package's package.json`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

export function shapeFindings(files: readonly SourceFile[]): Finding[] {
  return files.flatMap((file) => [
    ...longFileFindings(file),
    ...longFunctionFindings(file),
    ...exportStarFindings(file),
  ]);
}

export function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)) &&
    node.body !== undefined
  );
}

/** `function podIssues`, `method call`, `arrow onMessage`, or `arrow (anonymous)`: enough to find it by name. */
function describe(node: ts.FunctionLikeDeclaration): string {
  const kind = ts.isArrowFunction(node)
    ? 'arrow'
    : ts.isMethodDeclaration(node)
      ? 'method'
      : ts.isConstructorDeclaration(node)
        ? 'constructor'
        : ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)
          ? 'accessor'
          : 'function';
  return `${kind} ${nameOf(node) ?? '(anonymous)'}`;
}

function nameOf(node: ts.FunctionLikeDeclaration): string | undefined {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) return node.name.text;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  if (ts.isPropertyAssignment(parent) && ts.isStringLiteral(parent.name)) return parent.name.text;
  return undefined;
}
