#!/usr/bin/env node
// The installed `podmcp` command. Node 24 runs the TypeScript sources as they are (type stripping): no build step.
import { main } from '../src/main.ts';

process.exitCode = await main(process.argv.slice(2), process);
