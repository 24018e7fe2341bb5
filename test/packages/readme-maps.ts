/**
 * A package README's map of its modules stays true: every `src/…` path it names exists (a `*` stands for any
 * name within one folder), and every top-level file and folder of src/ is named at least once, so a module
 * cannot be added, moved or removed without the map following.
 */
import ts from 'typescript';
import { type Finding, type LayerTable, memberOf } from './layer-rules.ts';
import { parse } from './source-graph.ts';

/** `readme` is the README's text; `paths` the package's source files under src/ (e.g. `tools/diagnose.ts`). */
export function readmeMapFindings(pkg: string, readme: string, paths: readonly string[]): Finding[] {
  const at = (line: number) => `packages/${pkg}/README.md:${line}`;
  const named = namedPaths(readme);
  const findings: Finding[] = [];
  const existing = new Set([...paths, ...paths.flatMap(foldersOf)]);
  for (const { path, line } of named) {
    const pattern = globPattern(path);
    if (![...existing].some((candidate) => pattern.test(candidate))) {
      findings.push({ at: at(line), rule: `names src/${path}, which does not exist` });
    }
  }
  const members = [...new Set(paths.map(memberOf))].sort();
  for (const member of members) {
    const covered = named.some(({ path }) => (member.endsWith('/') ? path.startsWith(member) : path === member));
    if (!covered) findings.push({ at: at(1), rule: `the module map does not name src/${member}` });
  }
  return findings;
}

/** Every `src/…` path in backticks (several may share one pair, separated by commas), with its line. */
export function namedPaths(readme: string): Array<{ path: string; line: number }> {
  const found: Array<{ path: string; line: number }> = [];
  readme.split('\n').forEach((text, index) => {
    for (const [, code] of text.matchAll(/`([^`]+)`/g)) {
      for (const [, path] of (code ?? '').matchAll(/(?:^|[\s,(])src\/([\w./*-]+)/g)) {
        if (path) found.push({ path: path.replace(/[.,]$/, ''), line: index + 1 });
      }
    }
  });
  return found;
}

function foldersOf(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, index) => `${parts.slice(0, index + 1).join('/')}/`);
}

function globPattern(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

/**
 * A rank table written in a document (`| 2 | \`mcp/\`, \`gate/\` | … |`, paths with or without `src/`) says
 * what the data in layer-rules.ts says: the same members at the same ranks.
 */
export function documentedRankFindings(
  document: string,
  markdown: string,
  heading: string,
  table: LayerTable,
): Finding[] {
  const { text, firstLine } = sectionOf(markdown, heading);
  if (text === '')
    return [{ at: `${document}:1`, rule: `no section "## ${heading}" with the ${table.pkg} rank table` }];
  const documented = new Map<number, string[]>();
  const lineOf = new Map<number, number>();
  text.split('\n').forEach((line, index) => {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) return;
    const rank = Number(row[1]);
    const members = [...(row[2] ?? '').matchAll(/`([^`]+)`/g)].map(([, code]) => (code ?? '').replace(/^src\//, ''));
    documented.set(rank, [...(documented.get(rank) ?? []), ...members]);
    if (!lineOf.has(rank)) lineOf.set(rank, firstLine + index);
  });
  const findings: Finding[] = [];
  const ranks = new Set([...documented.keys(), ...table.ranks.keys()]);
  for (const rank of [...ranks].sort((a, b) => a - b)) {
    const written = [...(documented.get(rank) ?? [])].sort();
    const data = [...(table.ranks[rank] ?? [])].sort();
    if (written.join(' ') === data.join(' ')) continue;
    findings.push({
      at: `${document}:${lineOf.get(rank) ?? firstLine}`,
      rule: `rank ${rank} of the ${table.pkg} table reads ${written.join(', ') || 'nothing'}; test/packages/layer-rules.ts has ${data.join(', ') || 'nothing'}`,
    });
  }
  return findings;
}

/** The text of one `## heading` section of a markdown document, up to the next heading of that level. */
export function sectionOf(markdown: string, heading: string): { text: string; firstLine: number } {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start === -1) return { text: '', firstLine: 1 };
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return { text: lines.slice(start, end === -1 ? undefined : end).join('\n'), firstLine: start + 1 };
}

/**
 * The gate's steps in the order `compose([...])` lists them in gate/pipeline.ts (`audit(…)` and `sanitise`
 * alike), so a document can show the same chain: `steps.join(' → ')`.
 */
export function gateStepsOf(pipelineSource: string): string[] {
  const source = parse('pipeline.ts', pipelineSource);
  let steps: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'compose') {
      const [list] = node.arguments;
      if (list && ts.isArrayLiteralExpression(list)) {
        steps = list.elements.map((element) => {
          const callee = ts.isCallExpression(element) ? element.expression : element;
          return ts.isIdentifier(callee) ? callee.text : callee.getText(source);
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return steps;
}
