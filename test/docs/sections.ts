/**
 * Generated sections of the README. Each lives between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, so a
 * test can say when one is stale and `npm run docs` can rewrite it.
 */
import { renderAnnotationTable } from '@podmcp/core';
import {
  renderPromptReference,
  renderResourceReference,
  renderToolReference,
} from '../../packages/sidecar/src/docs.ts';

export const GENERATED_SECTIONS: Record<string, () => string> = {
  annotations: renderAnnotationTable,
  tools: renderToolReference,
  resources: renderResourceReference,
  prompts: renderPromptReference,
};

export function replaceSection(document: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README has no ${begin} … ${end} section`);
  return `${document.slice(0, start + begin.length)}\n${body}\n${document.slice(stop)}`;
}

export function renderDocument(document: string): string {
  return Object.entries(GENERATED_SECTIONS).reduce(
    (text, [name, render]) => replaceSection(text, name, render()),
    document,
  );
}
