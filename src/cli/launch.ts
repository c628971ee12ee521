// Starts the command line from its bundle (tools/bundle-cli.mjs) with V8's code cache. Node 20
// compiles every function of a script the first time it runs, on every start: for a `validate`
// of the shipped upgrade that is about a sixth of its time. V8 can save the compiled code of a
// script and take it back on the next start (Node ≥ 22 does so for modules, module.
// enableCompileCache; Node 20 only for a vm.Script): the build runs one `validate` of the shipped
// upgrade and saves what it compiled beside the bundle. Nothing is written at run time.
//
// The cache is only an optimization, and V8 refuses one that does not fit (another Node, other
// V8 flags): the code is then compiled as it would have been without. V8 compares the source's
// length only, so the build stamps the cache with the bundle's identity, and a cache from another
// build is never offered. `NODE_DEBUG=runbook` says which happened.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { debuglog } from 'node:util';
import vm from 'node:vm';

const log = debuglog('runbook');

export interface LaunchOptions {
  /** The bundle's identity: a cache stamped with another one is not used. */
  buildId: string;
  /** The code cache the build saved beside the bundle. */
  cacheFile: string;
  /** Saves the code compiled by this run to `cacheFile` when the process exits (the build's run). */
  saveCache?: boolean;
}

type CommonJsWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** Runs the CommonJS bundle at `bundleFile` as Node's loader would, with its code cache when it fits. */
export function launch(bundleFile: string, options: LaunchOptions): void {
  const cachedData = options.saveCache ? undefined : readCache(options.cacheFile, options.buildId);
  const script = compileBundle(bundleFile, cachedData);
  log('code cache %s', cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'refused by V8' : 'used');
  if (options.saveCache) process.once('exit', () => saveCache(script, options.cacheFile, options.buildId));
  runBundle(script, bundleFile);
}

/** The bundle compiled, with `cachedData` offered to V8. */
export function compileBundle(bundleFile: string, cachedData?: Buffer): vm.Script {
  // Node's CommonJS wrapper: the bundle reads require, __filename and __dirname as a module does.
  // The bundle is ASCII (the build escapes the rest): read as Latin-1, it is the same text, sooner.
  // Joined here, not written wrapped by the build: compiling the file's text as Node read it, a
  // run of 10,000 objects peaked 37 MB higher in RSS (docs/performance.md, eleventh round).
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundleFile, 'latin1')}\n})`;
  // No import() runs in the bundle (tools/bundle-cli.mjs refuses one): Node 20 resolves a vm.Script's
  // dynamic imports only as an experiment, and not from code compiled after its cache was read.
  return new vm.Script(source, { filename: bundleFile, ...(cachedData ? { cachedData } : {}) });
}

/** Runs the compiled bundle as the module at `bundleFile`; returns what it exports. */
export function runBundle(script: vm.Script, bundleFile: string): unknown {
  const module = { exports: {} };
  const run = script.runInThisContext() as CommonJsWrapper;
  run.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile));
  return module.exports;
}

/** The cache's data when it carries `buildId`; undefined when there is none or it is another build's. */
export function readCache(cacheFile: string, buildId: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const stamp = Buffer.from(`${buildId}\n`);
  return data.subarray(0, stamp.length).equals(stamp) ? data.subarray(stamp.length) : undefined;
}

/** Saves the code `script` has compiled so far, stamped with `buildId`. */
export function saveCache(script: vm.Script, cacheFile: string, buildId: string): void {
  const staged = `${cacheFile}.${process.pid}`;
  writeFileSync(staged, Buffer.concat([Buffer.from(`${buildId}\n`), script.createCachedData()]));
  renameSync(staged, cacheFile);
}
