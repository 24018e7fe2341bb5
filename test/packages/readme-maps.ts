/**
 * A package README's map of its modules stays true: every `src/…` path it names exists (a `*` stands for any
 * name within one folder), and every top-level file and folder of src/ is named at least once, so a module
 * cannot be added, moved or removed without the map following.
 */
import type { Finding } from './layer-rules.ts';
import { memberOf } from './layer-rules.ts';

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
