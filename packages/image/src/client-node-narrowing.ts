/**
 * `@kubernetes/client-node`'s index re-exports every generated API class (CoreV1Api and ~70 others, 2.7 MB
 * minified) alongside what `podmcp serve` uses of it, and its KubeConfig module imports the generated client's
 * index for two helpers: so every sidecar start read, compiled and ran all of them. This esbuild plugin points
 * the sidecar's and core's imports of the package, and KubeConfig's import of the generated index, at modules
 * that re-export only the names those importers use, from the package's own files; the commands that use the
 * generated APIs (the webhook, connect) keep the whole index, in their own chunks.
 * A name the sources start importing and these lists lack fails the bundle ("No matching export"), never a run.
 */
import { dirname, join, sep } from 'node:path';
import type { Plugin } from 'esbuild';

const PACKAGE = '@kubernetes/client-node';
const NAMESPACE = 'podmcp-client-node';

/** What sidecar/src and core/src import of the package as values, by the package file that defines it. */
const SERVE_PATH_EXPORTS: ReadonlyArray<readonly [file: string, names: readonly string[] | '*']> = [
  ['config.js', ['KubeConfig']],
  ['watch.js', ['Watch']],
  ['yaml.js', ['dumpYaml']],
  ['gen/apis/exception.js', ['ApiException']],
  ['gen/configuration.js', ['createConfiguration']],
  ['gen/servers.js', ['ServerConfiguration']],
  // Every model class: kube/decode.ts finds a model's field table by its name.
  ['gen/models/all.js', '*'],
];

/** What the KubeConfig module (dist/config.js) imports from the generated client's index. */
const CONFIG_GEN_EXPORTS: ReadonlyArray<readonly [file: string, names: readonly string[] | '*']> = [
  ['gen/configuration.js', ['createConfiguration']],
  ['gen/servers.js', ['ServerConfiguration']],
];

function reExports(dist: string, exports: typeof SERVE_PATH_EXPORTS): string {
  return exports
    .map(([file, names]) => {
      const from = JSON.stringify(join(dist, file));
      return names === '*' ? `export * from ${from};` : `export { ${names.join(', ')} } from ${from};`;
    })
    .join('\n');
}

/** `narrowedFor`: the folders (absolute) whose imports of the package get the narrowed index. */
export function narrowClientNode(narrowedFor: readonly string[]): Plugin {
  const inside = (file: string) => narrowedFor.some((dir) => file.startsWith(dir + sep));
  return {
    name: 'narrow-client-node',
    setup(build) {
      build.onResolve({ filter: /^@kubernetes\/client-node$/ }, async (args) => {
        if (!inside(args.importer)) return undefined;
        const index = await build.resolve(PACKAGE, { kind: args.kind, resolveDir: args.resolveDir });
        if (index.errors.length > 0) return { errors: index.errors };
        return { path: 'serve-path', namespace: NAMESPACE, pluginData: dirname(index.path) };
      });
      build.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) => {
        if (!args.importer.endsWith(`${sep}${PACKAGE.replace('/', sep)}${sep}dist${sep}config.js`)) return undefined;
        return { path: 'config-gen', namespace: NAMESPACE, pluginData: dirname(args.importer) };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const dist = args.pluginData as string;
        const exports = args.path === 'serve-path' ? SERVE_PATH_EXPORTS : CONFIG_GEN_EXPORTS;
        return { contents: reExports(dist, exports), loader: 'js', resolveDir: dist };
      });
    },
  };
}
