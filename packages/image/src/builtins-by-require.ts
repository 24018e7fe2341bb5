/**
 * Node's built-in modules reached through `require` instead of `import`. Importing a built-in as an ES module
 * makes Node read every one of its exports to fill the module namespace, and some exports are lazy getters
 * that load a whole subsystem when read: `import … from 'node:http'` alone loads Node's internal fetch
 * implementation (its WebSocket export; about 25 ms of a sidecar's start), `node:crypto` WebCrypto, `node:fs`
 * its streams. Through `require` the bundle's code reads only the exports it uses, when it uses them. This
 * esbuild plugin turns each static import of a built-in into CommonJS interop over `require` (the bundle's
 * chunks each carry a `require`); dynamic `import()`s and the bundled CommonJS code's own requires are left
 * as they are.
 */
import { builtinModules } from 'node:module';
import type { Plugin } from 'esbuild';

const NAMESPACE = 'podmcp-builtin';

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

export function builtinsByRequire(): Plugin {
  return {
    name: 'builtins-by-require',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
        if (args.kind !== 'import-statement' || !BUILTINS.has(args.path)) return undefined;
        return { path: args.path, namespace: NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}
