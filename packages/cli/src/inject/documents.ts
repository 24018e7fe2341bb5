/**
 * Splits a YAML stream into its documents, each rendered on its own. Invalid YAML stops here, with the file,
 * line and column, before anything is injected.
 */
import { isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { CommandError } from '../command.ts';
import type { Source } from './sources.ts';

export function splitDocuments(source: Source): string[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(source.text, { lineCounter, prettyErrors: false });
  const texts: string[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new CommandError(`${source.name}:${line}:${col}: not valid YAML: ${error.message}`);
    }
    // Empty and comment-only documents (a null scalar) hold nothing to apply; dropping them keeps repeated
    // runs from piling up separators.
    const { contents } = document;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    // Without its own `---` and `...` markers, so the caller can join documents with exactly one separator.
    if (document.directives !== undefined) {
      document.directives.docStart = null;
      document.directives.docEnd = false;
    }
    texts.push(document.toString({ lineWidth: 0 }));
  }
  return texts;
}
