// `npm run image`: see src/build.ts. Prints the image's manifest digest last on stdout.
import { fileURLToPath } from 'node:url';
import { main } from './src/build.ts';

process.exitCode = await main(process.argv.slice(2), fileURLToPath(new URL('../..', import.meta.url)));
