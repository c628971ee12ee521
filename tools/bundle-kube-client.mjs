// Replaces tsc's dist/kube/client-node.js (re-exports of @kubernetes/client-node) with one
// bundled module holding only what it names. Importing the package itself loads every generated
// model and API, about 2,800 modules and a second of start-up; the bundle loads in a tenth of it.
// esbuild tree-shakes what the kube layer does not use. The package's CommonJS dependencies call
// require() for Node's built-ins, which an ES module lacks: the banner gives them one.
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'kube', 'client-node.js');
const staged = `${target}.bundle`;

await build({
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
  logLevel: 'warning',
});
await rename(staged, target);
// tsc's source map describes the re-exports, not the bundle.
await rm(`${target}.map`, { force: true });
