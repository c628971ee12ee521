// Replaces tsc's dist/cli/main.js with a bundle of the command line: the entry plus chunks that
// each command loads on first use (dist/chunks/). Node's ES module loader resolves, reads and
// compiles each of the ~200 modules a run imports one by one, and yaml, handlebars, semver and
// ajv's runtime go through the CommonJS loader besides; one bundle per command starts about 0.1 s
// sooner (a validate of a small runbook: 0.39 s before, 0.30 s bundled). esbuild does the
// bundling (it already bundles client-node, see bundle-kube-client.mjs): splitting keeps each
// command's modules out of `--help`.
//
// What a bundle changes, and how this keeps it as it was:
// - `import.meta.url` would name the chunk, not the module: a module finds files beside it (the
//   compiled schema validators, the sandbox daemon, the build's identity). Each module's
//   `import.meta.url` is rewritten to the URL its unbundled file had under dist/.
// - CommonJS packages call require() and read __filename, which an ES module lacks: the banner
//   gives each output file both. Their names are reserved by esbuild (unbound globals the bundled
//   code reads), so no bundled module's own declarations clash with them.
// - Packages loaded with createRequire on first use (tar, ajv when a schema has no compiled
//   validator) stay in node_modules: they are not imported statically, so esbuild never sees them.
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entry = join(dist, 'cli', 'main.js');
const staging = join(dist, '.bundle');
// Entry and chunks one level under dist/ (cli/, chunks/), so that one banner, `../` from any
// output file, reaches dist/.
const OUTPUT_DEPTH = '../';

const moduleUrl = {
  name: 'module-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const rel = relative(dist, args.path);
      if (rel.startsWith('..')) return undefined;
      const contents = await readFile(args.path, 'utf8');
      const url = `__runbookModuleUrl(${JSON.stringify(rel.split(sep).join('/'))})`;
      return { contents: contents.replace(/\bimport\.meta\.url\b/g, url), loader: 'js' };
    });
  },
};

const banner = [
  "import { createRequire as __runbookCreateRequire } from 'node:module';",
  "import { fileURLToPath as __runbookFileUrlToPath } from 'node:url';",
  'const require = __runbookCreateRequire(import.meta.url);',
  'const __filename = __runbookFileUrlToPath(import.meta.url);',
  "const __dirname = __runbookFileUrlToPath(new URL('.', import.meta.url));",
  `const __runbookModuleUrl = (path) => new URL(${JSON.stringify(OUTPUT_DEPTH)} + path, import.meta.url).href;`,
].join(' ');

// Bundling a bundle would nest banners: the entry must be the one tsc just wrote.
if ((await readFile(entry, 'utf8')).includes('__runbookModuleUrl')) {
  throw new Error(`${entry} is already bundled: run tsc first (npm run build does both)`);
}
await rm(staging, { recursive: true, force: true });
const result = await build({
  // The metafile's paths below are relative to this, wherever the tool is run from.
  absWorkingDir: root,
  entryPoints: { 'cli/main': entry },
  outdir: staging,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Identifiers kept: a profile or a debugger of the bundle reads like the sources, for a few
  // percent of size. Not keepNames: it wraps every closure the code makes in a call that sets its
  // name (1% of a loop's CPU); what reads a name (error classes) is checked after the build.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  banner: { js: banner },
  plugins: [moduleUrl],
  metafile: true,
  logLevel: 'warning',
});

// The build-time tools must never end up in the command line: they write into dist/ when run.
const strays = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('dist/build/') || p.startsWith('dist/docs/'));
if (strays.length > 0) throw new Error(`the CLI bundle pulled in build-time modules: ${strays.join(', ')}`);

// Error classes name themselves after their class (contract/errors.ts: new.target.name), and that
// name reaches reports. esbuild renames a top-level name only when two modules of one chunk declare
// it; every class of ours must keep its name.
const output = (await Promise.all(Object.keys(result.metafile.outputs).map((f) => readFile(join(root, f), 'utf8')))).join('\n');
for (const input of Object.keys(result.metafile.inputs).filter((p) => p.startsWith('dist/'))) {
  for (const [, name] of (await readFile(join(root, input), 'utf8')).matchAll(/\bexport class (\w+)/g)) {
    // Bundled, `class X {}` becomes `var X = class {}`, whose name is still X.
    if (!new RegExp(`(?:\\bclass ${name}|(?<![$\\w])${name}=class)(?![$\\w])`).test(output)) throw new Error(`class ${name} (${input}) was renamed in the bundle: give it a name no other module uses`);
  }
}

await rm(join(dist, 'chunks'), { recursive: true, force: true });
await rename(join(staging, 'chunks'), join(dist, 'chunks'));
await rename(join(staging, 'cli', 'main.js'), entry);
await rm(staging, { recursive: true, force: true });
// tsc's source map describes the module, not the bundle.
await rm(`${entry}.map`, { force: true });
