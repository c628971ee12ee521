// Replaces tsc's dist/kube/client-node.js (re-exports of @kubernetes/client-node) with one
// bundled module holding only what it names. Importing the package itself loads every generated
// model and API, about 2,800 modules and a second of start-up; the bundle loads in a tenth of it.
// esbuild tree-shakes what the kube layer does not use. The package's CommonJS dependencies call
// require() for Node's built-ins, which an ES module lacks: the banner gives them one.
//
// Two imports are narrowed (plugin below), which halves the bundle's size and import time:
// - client-node's config.js imports `createConfiguration` and `ServerConfiguration` from its
//   generated index, which also loads every generated model (340 KB minified, whose classes
//   register themselves, so tree-shaking keeps them). The kube layer never calls a generated API;
//   config.js is given the two names from the files that define them, the same functions.
// - node-fetch 2 imports whatwg-url (and its 260 KB of Unicode tables) only as a fallback for a
//   missing `URL` in node:url (`Url.URL || whatwgUrl.URL`, node-fetch/lib/index.mjs), which
//   Node 20 always has: node-fetch is given node:url's URL under that name.
// A name either narrowed module lacks fails the build ("No matching export"), never a run.
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'kube', 'client-node.js');
const staged = `${target}.bundle`;

const NARROWED = {
  'client-node-gen': [/^\.\/gen\/index\.js$/, /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/,
    "export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';\n" +
      "export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';"],
  'whatwg-url': [/^whatwg-url$/, /[\\/]node-fetch[\\/]/, "import { URL } from 'node:url';\nexport default { URL };"],
};
const narrow = {
  name: 'narrow',
  setup(b) {
    for (const [name, [filter, importer]] of Object.entries(NARROWED)) {
      b.onResolve({ filter }, (args) => (importer.test(args.importer) ? { path: name, namespace: 'narrowed' } : undefined));
    }
    b.onLoad({ filter: /.*/, namespace: 'narrowed' }, (args) => ({ contents: NARROWED[args.path][2], resolveDir: root, loader: 'js' }));
  },
};

const result = await build({
  entryPoints: [target],
  outfile: staged,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'eof',
  banner: { js: "import { createRequire as __runbookRequire } from 'node:module'; const require = __runbookRequire(import.meta.url);" },
  plugins: [narrow],
  // client-node's own code compares with -0; what it means there is not ours to change.
  logOverride: { 'equals-negative-zero': 'silent' },
  metafile: true,
  logLevel: 'warning',
});
// A narrowing that stopped matching (the package moved an import) would cost a run 0.1 s unseen.
const heavy = Object.keys(result.metafile.inputs).filter((p) => /client-node\/dist\/gen\/models\/|\/whatwg-url\//.test(p));
if (heavy.length > 0) throw new Error(`client-node's bundle holds what it should not load (${heavy.length} files, e.g. ${heavy[0]}): check NARROWED`);
await rename(staged, target);
// tsc's source map describes the re-exports, not the bundle.
await rm(`${target}.map`, { force: true });
