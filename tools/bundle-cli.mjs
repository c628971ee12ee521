// Replaces tsc's dist/cli/main.js with the command line as one CommonJS bundle,
// dist/cli/runbook.cjs, started by a small entry (src/cli/launch.ts) with the V8 code cache this
// build saves beside it. Node's ES module loader resolves, reads and compiles each of the ~200
// modules a run imports one by one, and yaml, handlebars, semver and ajv's runtime go through the
// CommonJS loader besides: one bundle starts about 0.1 s sooner. And Node 20 compiles every
// function it runs on every start; it can take compiled code back only for a script, not for an
// ES module, hence CommonJS: a `validate` of the shipped upgrade is about 15% faster with the
// cache (see docs/performance.md). esbuild does the bundling (it already bundles client-node, see
// bundle-kube-client.mjs). Each module still runs only when first imported: esbuild wraps the
// modules a command imports on demand, so `--help` runs none of the commands' code.
//
// What a bundle changes, and how this keeps it as it was:
// - `import.meta.url` would name the bundle, not the module: a module finds files beside it (the
//   compiled schema validators, the sandbox daemon, the build's identity). Each module's
//   `import.meta.url` is rewritten to the URL its unbundled file had under dist/.
// - Packages loaded with createRequire on first use (tar, ajv when a schema has no compiled
//   validator) stay in node_modules: they are not imported statically, so esbuild never sees
//   them. The compiled validators are the exception (withGeneratedValidators below).
// - The code cache fits one build of the bundle: the entry carries the bundle's digest, and the
//   launcher uses a cache stamped with it only.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entry = join(dist, 'cli', 'main.js');
const bundle = join(dist, 'cli', 'runbook.cjs');
const cache = `${bundle}.cache`;
const staged = `${bundle}.staged`;
// What the build runs to fill the code cache: the check a runbook author runs most, over the
// largest runbook shipped.
const CACHE_RUN = ['validate', '--no-cache', join(root, 'runbooks', 'upgrade-2.25-to-3.3.yaml')];

const moduleUrl = {
  name: 'module-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const rel = relative(dist, args.path);
      if (rel.startsWith('..')) return undefined;
      let contents = await readFile(args.path, 'utf8');
      if (rel.split(sep).join('/') === 'runbook/schema-compile.js') contents = withGeneratedValidators(contents);
      const url = `__runbookModuleUrl(${JSON.stringify(rel.split(sep).join('/'))})`;
      return { contents: contents.replace(/\bimport\.meta\.url\b/g, url), loader: 'js' };
    });
  },
};

// commander requires child_process as it loads, for executable subcommands (`git-foo`), which
// runbook has none of; child_process loads net, dgram and the streams, about 3 ms of every start.
// commander gets it on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let loaded; module.exports = new Proxy({}, { get: (_, name) => (loaded ??= require('node:child_process'))[name] });",
      loader: 'js',
    }));
  },
};

// The validators compiled at build time (dist/runbook/schema-validators.generated.cjs, 0.4 MB)
// are required by path at run time, out of esbuild's sight: imported instead, they are compiled
// with the rest and their code is in the cache.
const GENERATED_LOAD = 'existsSync(file) ? require(file) : {}';
function withGeneratedValidators(contents) {
  if (!contents.includes(GENERATED_LOAD)) throw new Error(`runbook/schema-compile.js no longer loads its validators with \`${GENERATED_LOAD}\`: update tools/bundle-cli.mjs`);
  return `import __runbookGeneratedValidators from './schema-validators.generated.cjs';\n${contents.replace(GENERATED_LOAD, '__runbookGeneratedValidators')}`;
}

// The bundle sits in dist/cli/: a module's URL is its path under dist/.
const banner = "const __runbookModuleUrl = (path) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', path)).href;";

// The entry tsc wrote, which this replaces: bundling the launcher would bundle nothing.
if ((await readFile(entry, 'utf8')).includes('runbook.cjs')) {
  throw new Error(`${entry} is already the launcher: run tsc first (npm run build does both)`);
}
const result = await build({
  // The metafile's paths below are relative to this, wherever the tool is run from.
  absWorkingDir: root,
  entryPoints: [entry],
  outfile: staged,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Identifiers kept: a profile or a debugger of the bundle reads like the sources, for a few
  // percent of size. Not keepNames: it wraps every closure the code makes in a call that sets its
  // name (1% of a loop's CPU); what reads a name (error classes) is checked after the build.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  banner: { js: banner },
  plugins: [moduleUrl, lazyChildProcess],
  metafile: true,
  // A package reading import.meta in a CommonJS bundle would read nothing: that warning fails the build.
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'error' },
});

// The build-time tools must never end up in the command line: they write into dist/ when run.
const strays = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('dist/build/') || p.startsWith('dist/docs/'));
if (strays.length > 0) throw new Error(`the CLI bundle pulled in build-time modules: ${strays.join(', ')}`);

// Error classes name themselves after their class (contract/errors.ts: new.target.name), and that
// name reaches reports. esbuild renames a top-level name only when two modules declare it; every
// class of ours must keep its name.
// The entry's hashbang would be a syntax error inside the launcher's function wrapper. esbuild
// escapes non-ASCII characters in strings but not in regular expressions: escaped here too, the
// bundle is ASCII, which the launcher reads as Latin-1, twice as fast as decoding UTF-8.
const output = (await readFile(staged, 'utf8'))
  .replace(/^#!.*\n/, '')
  .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
for (const input of Object.keys(result.metafile.inputs).filter((p) => p.startsWith('dist/'))) {
  for (const [, name] of (await readFile(join(root, input), 'utf8')).matchAll(/\bexport class (\w+)/g)) {
    // Bundled, `class X {}` becomes `var X = class {}`, whose name is still X.
    if (!new RegExp(`(?:\\bclass ${name}|(?<![$\\w])${name}=class)(?![$\\w])`).test(output)) throw new Error(`class ${name} (${input}) was renamed in the bundle: give it a name no other module uses`);
  }
}

// An import() esbuild leaves in (of a module it does not bundle, Node's own included) is run by the
// launcher's vm.Script, whose dynamic imports Node 20 resolves only as an experiment, with a
// warning, and not at all from code compiled after its cache was read: such a module is loaded by
// require (createRequire) instead.
const dynamicImport = /(?<![\w$.])import\(\s*["'`]([^"'`]+)/.exec(output);
if (dynamicImport) throw new Error(`the CLI bundle loads ${dynamicImport[1]} with import(): load it with require (createRequire) instead`);

const buildId = createHash('sha256').update(output).digest('hex').slice(0, 16);
await writeFile(bundle, output);
await rm(staged, { force: true });
await rm(cache, { force: true });
// What an older build left: its chunks, and tsc's source map of the entry this replaces.
await rm(join(dist, 'chunks'), { recursive: true, force: true });
await rm(`${entry}.map`, { force: true });
await writeFile(
  entry,
  [
    '#!/usr/bin/env node',
    '// The command line, built by tools/bundle-cli.mjs: its bundle, started with the code cache the build saved.',
    "import { fileURLToPath } from 'node:url';",
    "import { launch } from './launch.js';",
    `launch(fileURLToPath(new URL('./runbook.cjs', import.meta.url)), { buildId: ${JSON.stringify(buildId)}, cacheFile: fileURLToPath(new URL('./runbook.cjs.cache', import.meta.url)) });`,
    '',
  ].join('\n'),
);
await chmod(entry, 0o755);

// The code cache: one run of the bundle that saves what it compiled. The run must succeed, or the
// cache would hold the code of a failure's path.
// A script of its own, so that the command line reads its arguments as under the entry.
const saver = join(dist, 'cli', 'save-code-cache.mjs');
await writeFile(
  saver,
  [
    "import { launch } from './launch.js';",
    `launch(${JSON.stringify(bundle)}, { buildId: ${JSON.stringify(buildId)}, cacheFile: ${JSON.stringify(cache)}, saveCache: true });`,
    '',
  ].join('\n'),
);
// It parses the YAML and the expressions itself: what an earlier build saved of the shipped
// runbooks (src/build/shipped-forms.ts and shipped-expressions.ts, run after this) would spare it
// that, and the parsers a site's own files need would be missing from the cache. Both are saved
// again after.
await rm(join(dist, 'runbook', 'shipped-forms'), { recursive: true, force: true });
await rm(join(dist, 'runbook', 'shipped-expressions.json'), { force: true });
const run = spawnSync(process.execPath, [saver, ...CACHE_RUN], { cwd: root, encoding: 'utf8' });
await rm(saver, { force: true });
if (run.status !== 0 || !(await stat(cache).catch(() => undefined))) {
  throw new Error(`the run that fills the code cache failed (exit ${run.status}):\n${run.stdout}${run.stderr}`);
}
