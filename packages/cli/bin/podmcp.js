#!/usr/bin/env node
// The `podmcp` command. Installed from a package it runs the compiled JavaScript in dist/; in the repository,
// where src/ is present, it runs the TypeScript sources as they are (Node 24 type stripping): no build step.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node's compile cache is used only where NODE_COMPILE_CACHE names a directory for it (Node then turns it on by
// itself, before this file runs): never by default, since the default is the OS temp directory, which in an
// injected pod is a memory-backed volume counted as the pod's memory.

const sources = new URL('../src/main.ts', import.meta.url);
const fromSources = existsSync(sources);
if (fromSources) {
  // The workspace packages export their sources under the "@podmcp/source" condition (dist/ otherwise). A
  // child process started without --conditions=@podmcp/source (tests spawn it with a bare environment) must
  // still resolve @podmcp/* to sources, so the condition is added for this process here.
  module.registerHooks?.({
    resolve: (specifier, context, nextResolve) =>
      nextResolve(specifier, { ...context, conditions: [...context.conditions, '@podmcp/source'] }),
  });
}
const { main } = await import(fromSources ? sources.href : '../dist/main.js');

process.exitCode = await main(process.argv.slice(2), process);
