// The launcher runs the CommonJS bundle as Node's loader would and offers V8 the code cache the
// build saved, only when it is stamped with the bundle's build id.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileBundle, readCache, runBundle, saveCache } from '../../../src/cli/launch.js';

const work = mkdtempSync(join(tmpdir(), 'runbook-launch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bundle = join(work, 'bundle.cjs');
writeFileSync(
  bundle,
  [
    "const { basename } = require('node:path');",
    'function square(n) { return n * n; }',
    'module.exports = { file: basename(__filename), dir: __dirname, squares: [1, 2, 3].map(square), self: this === exports };',
  ].join('\n'),
);

describe('runBundle', () => {
  it('gives the bundle require, module, exports, __filename and __dirname as Node does', () => {
    expect(runBundle(compileBundle(bundle), bundle)).toEqual({ file: 'bundle.cjs', dir: work, squares: [1, 4, 9], self: true });
  });
});

describe('the code cache', () => {
  const cacheFile = join(work, 'bundle.cjs.cache');
  const saved = compileBundle(bundle);
  runBundle(saved, bundle);
  saveCache(saved, cacheFile, 'build-1');

  it('is saved stamped with the build id', () => {
    expect(readFileSync(cacheFile).subarray(0, 8).toString()).toBe('build-1\n');
  });

  it('is offered as saved, without its stamp, when the stamp is the bundle build id', () => {
    // That V8 takes it in a new process is checked on the built command line (cli-bundle.test.ts):
    // here V8 finds the bundle already compiled in this process and would not read it.
    const cached = readCache(cacheFile, 'build-1');
    expect(cached?.equals(readFileSync(cacheFile).subarray('build-1\n'.length))).toBe(true);
    expect(runBundle(compileBundle(bundle, cached), bundle)).toMatchObject({ squares: [1, 4, 9] });
  });

  it('is not offered when it is another build', () => {
    expect(readCache(cacheFile, 'build-2')).toBeUndefined();
    expect(readCache(cacheFile, 'build')).toBeUndefined();
  });

  it('is not offered when there is none', () => {
    expect(readCache(join(work, 'absent.cache'), 'build-1')).toBeUndefined();
  });

  it('when V8 refuses it, the bundle is compiled and runs as without one', () => {
    // Another source than above, which V8 has not compiled in this process yet.
    const other = join(work, 'other.cjs');
    writeFileSync(other, `${readFileSync(bundle, 'utf8')}\n// another build`);
    const damaged = join(work, 'damaged.cache');
    writeFileSync(damaged, Buffer.concat([Buffer.from('build-1\n'), Buffer.alloc(64, 7)]));
    const script = compileBundle(other, readCache(damaged, 'build-1'));
    expect(script.cachedDataRejected).toBe(true);
    expect(runBundle(script, other)).toMatchObject({ file: 'other.cjs', squares: [1, 4, 9] });
  });
});
