// Every module under src/ is imported by test code (a file under test/: a test, or a fixture or
// support file of tests), or listed in module-coverage.exempt.yaml with why it need not be. A
// listed reason is checked, not trusted: the tests it names must exist and reach the module, by
// imports from the test through src/, or by the built CLI (dist/cli/main.js) a test runs, or by a
// module another one starts by its URL (a daemon, a worker). A listed module that a test imports
// now fails the check too, so the list only shrinks.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXEMPT_FILE = 'test/unit/module-coverage.exempt.yaml';

interface Exemption {
  /** Why no test imports the module. */
  reason: string;
  /** Tests that reach it another way; each must. */
  tests?: string[];
  /** Instead of tests: why nothing runs it in the tests (a known gap, said out loud). */
  untested?: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative import specifiers: static, dynamic, re-exports, side-effect imports. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
/** A module started by its URL: new URL('./daemon.js', import.meta.url). */
const URL_REF = /new URL\(\s*['"](\.{1,2}\/[^'"]+\.js)['"]\s*,\s*import\.meta\.url/g;
/** The built CLI by its path from the repository: 'dist/cli/main.js', or join(REPO, 'dist', 'cli', 'main.js'). */
const BUILT_CLI = /['"]dist\/cli\/main\.js['"]|['"]dist['"]\s*,\s*['"]cli['"]\s*,\s*['"]main\.js['"]/;

/** The repository path of the source module a specifier in `from` names; dist/ is the built src/. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  let path = relative(ROOT, resolve(ROOT, dirname(from), spec)).replace(/\.js$/, '.ts');
  if (path.startsWith('dist/')) path = `src/${path.slice(5)}`;
  for (const candidate of [path, `${path}.ts`, `${path}/index.ts`]) if (existsSync(join(ROOT, candidate)) && candidate.endsWith('.ts')) return candidate;
  return undefined;
}

const text = new Map<string, string>();
const read = (file: string): string => {
  let t = text.get(file);
  if (t === undefined) text.set(file, (t = readFileSync(join(ROOT, file), 'utf8')));
  return t;
};

function imports(file: string): string[] {
  return [...read(file).matchAll(IMPORT)].map((m) => resolveSpecifier(file, m[1]!)).filter((p): p is string => p !== undefined);
}

const ran = new Map<string, string[]>();
/** Everything a file runs: its imports, modules it starts by URL, the built CLI it spawns. */
function runs(file: string): string[] {
  const known = ran.get(file);
  if (known) return known;
  const out = imports(file);
  for (const m of read(file).matchAll(URL_REF)) {
    const target = resolveSpecifier(file, m[1]!);
    if (target) out.push(target);
  }
  if (BUILT_CLI.test(read(file))) out.push('src/cli/main.ts');
  ran.set(file, out);
  return out;
}

const reached = new Map<string, Set<string>>();
function reachable(start: string): Set<string> {
  const known = reached.get(start);
  if (known) return known;
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) for (const next of runs(queue.pop()!)) if (!seen.has(next)) seen.add(next), queue.push(next);
  reached.set(start, seen);
  return seen;
}

const modules = tsFiles('src');
const testFiles = tsFiles('test');
const imported = new Set(testFiles.flatMap(imports));
const exempt = (parse(read(EXEMPT_FILE)) ?? {}) as Record<string, Exemption>;

describe('module coverage', () => {
  it('every module under src/ is imported by a test, or listed with a reason', () => {
    const bare = modules.filter((m) => !imported.has(m) && !(m in exempt));
    expect(bare, `import these in a test (test/unit/<room>/<module>.test.ts), or list them in ${EXEMPT_FILE} with why`).toEqual([]);
  });

  it('the list holds only modules that exist and that no test imports', () => {
    const gone = Object.keys(exempt).filter((m) => !modules.includes(m));
    expect(gone, `no such module: remove from ${EXEMPT_FILE}`).toEqual([]);
    const tested = Object.keys(exempt).filter((m) => imported.has(m));
    expect(tested, `a test imports these now: remove them from ${EXEMPT_FILE}`).toEqual([]);
  });

  it('every reason is given, and the tests it names exist and reach the module', () => {
    const wrong: string[] = [];
    for (const [module, e] of Object.entries(exempt)) {
      if (!e?.reason?.trim()) wrong.push(`${module}: no reason`);
      const tests = e?.tests ?? [];
      if (!tests.length && !e?.untested?.trim()) wrong.push(`${module}: names no test that runs it, and says not why (untested)`);
      if (tests.length && e.untested) wrong.push(`${module}: names tests and says it is untested`);
      for (const test of tests) {
        if (!testFiles.includes(test)) wrong.push(`${module}: ${test} does not exist`);
        else if (!reachable(test).has(module)) wrong.push(`${module}: ${test} does not reach it`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
