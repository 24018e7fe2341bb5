#!/usr/bin/env node
// The installed `podmcp` command. Node 24 runs the TypeScript sources as they are (type stripping): no build step.
import module from 'node:module';

// Compiled code is cached on disk (in the OS temp directory unless NODE_COMPILE_CACHE says otherwise), so a
// restarted sidecar starts faster; the main module is imported after this so that it benefits too.
module.enableCompileCache?.();
const { main } = await import('../src/main.ts');

process.exitCode = await main(process.argv.slice(2), process);
