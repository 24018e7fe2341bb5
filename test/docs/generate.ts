// Rewrites the generated sections of README.md from the code that defines them.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDocument } from './sections.ts';

const path = new URL('../../README.md', import.meta.url);
writeFileSync(path, renderDocument(readFileSync(path, 'utf8')));
